/**
 * Full and delta runs against JumpCloud.
 *
 * Full: every system user (./listing.ts), every user group, then the direct
 * members of each group, up to the connection's concurrency at once.
 *
 * Delta (the cursor `{ v: 1, since }`, an ISO watermark): Directory Insights
 * events since the watermark (./insights.ts) say which users, groups and
 * member lists changed; each is re-read, since the events carry no complete
 * record. Users deleted or groups deleted are reported last, after the
 * re-reads. When more users changed than a full user listing would cost
 * requests, the users are listed instead of read one by one.
 *
 * The next watermark is JumpCloud's clock (the Date header) at the run's
 * first answer less `deltaOverlapSeconds`: Insights writes an event a little
 * after the change, and an event read twice is harmless.
 */
import { mergeConcurrent } from '../concurrency.js';
import type { DirectoryEvent, DirectoryRun, ProviderContext } from '../types.js';
import { ProviderError, withSource } from '../types.js';
import type { JumpCloudClient } from './client.js';
import type { InsightsRead } from './insights.js';
import { getGroup, getUser, groupPages, memberPages, userCount, userPages } from './listing.js';
import { mapGroup, mapUser } from './map.js';

export interface JumpCloudCursor {
  v: 1;
  since: string;
}

export function parseCursor(cursor: unknown): JumpCloudCursor | null {
  if (typeof cursor !== 'object' || cursor === null) return null;
  const c = cursor as Record<string, unknown>;
  return c.v === 1 && typeof c.since === 'string' && !Number.isNaN(Date.parse(c.since)) ? { v: 1, since: c.since } : null;
}

export interface RunDeps {
  client: JumpCloudClient;
  context: ProviderContext;
}

function watermark(previous: string | null, serverStart: number, overlapS: number): string {
  const start = serverStart - overlapS * 1000;
  return new Date(previous ? Math.max(Date.parse(previous), start) : start).toISOString();
}

/** `delta`: the cursor and the opened Insights read; null = a full run. */
export function startRun(deps: RunDeps, delta: { cursor: JumpCloudCursor; read: InsightsRead } | null): DirectoryRun {
  const { client, context } = deps;
  const { mapping } = client.settings;
  const width = Math.max(1, context.concurrency);
  let next: JumpCloudCursor | null = null;

  async function* members(groupId: string, inDelta: boolean): AsyncGenerator<DirectoryEvent[]> {
    let mode: 'set' | 'add' = 'set';
    try {
      for await (const userIds of memberPages(client, groupId)) {
        yield [{ type: 'members', groupExternalId: groupId, mode, userExternalIds: userIds, groupExternalIds: [] }];
        mode = 'add';
      }
    } catch (e) {
      // Deleted between the group listing and its member listing. A delta says so; a
      // snapshot just leaves it out (the next snapshot no longer lists the group).
      if (e instanceof ProviderError && e.kind === 'not-found' && mode === 'set') {
        context.logger.info('JumpCloud user group disappeared during the run', { groupId });
        if (inDelta) yield [{ type: 'group.removed', externalId: groupId }];
        return;
      }
      throw e;
    }
  }

  async function* allUsers(): AsyncGenerator<DirectoryEvent[]> {
    for await (const page of userPages(client)) yield page.map((u) => ({ type: 'user', user: withSource(mapUser(u, mapping), u, context.sourceAttributes) }));
  }

  async function* full(): AsyncGenerator<DirectoryEvent[]> {
    let serverStart: number | null = null;
    for await (const page of allUsers()) {
      serverStart ??= client.lastServerDate ?? Date.now();
      yield page;
    }
    const groupIds: string[] = [];
    for await (const page of groupPages(client)) {
      groupIds.push(...page.map((g) => g.id));
      yield page.map((g) => ({ type: 'group', group: mapGroup(g) }));
    }
    yield* mergeConcurrent(groupIds, width, (id) => members(id, false));
    next = { v: 1, since: watermark(null, serverStart ?? Date.now(), client.settings.deltaOverlapSeconds) };
  }

  async function* changed(cursor: JumpCloudCursor, read: InsightsRead): AsyncGenerator<DirectoryEvent[]> {
    const changes = await read.changes();
    const users = [...changes.users].filter((id) => !changes.deletedUsers.has(id));
    if (users.length > client.settings.pageSize && users.length > Math.ceil((await userCount(client)) / client.settings.pageSize)) {
      yield* allUsers();
    } else {
      yield* mergeConcurrent(users, width, async function* (id) {
        const user = await getUser(client, id);
        // Gone without a user_delete event read yet: the next delta or full run says so.
        if (user) yield [{ type: 'user', user: withSource(mapUser(user, mapping), user, context.sourceAttributes) }] as DirectoryEvent[];
      });
    }
    const groups = [...changes.groups].filter((id) => !changes.deletedGroups.has(id));
    const gone: string[] = [];
    const live: DirectoryEvent[][] = [];
    for await (const page of mergeConcurrent(groups, width, async function* (id) {
      yield { id, group: await getGroup(client, id) };
    })) {
      if (page.group) live.push([{ type: 'group', group: mapGroup(page.group) }]);
      else gone.push(page.id);
    }
    yield* live;
    const memberLists = [...new Set([...groups, ...changes.memberships])].filter((id) => !changes.deletedGroups.has(id) && !gone.includes(id));
    yield* mergeConcurrent(memberLists, width, (id) => members(id, true));
    const removed: DirectoryEvent[] = [
      ...[...changes.deletedGroups, ...gone].map((id): DirectoryEvent => ({ type: 'group.removed', externalId: id })),
      ...[...changes.deletedUsers].map((id): DirectoryEvent => ({ type: 'user.removed', externalId: id, reason: 'deleted' })),
    ];
    if (removed.length) yield removed;
    next = { v: 1, since: watermark(cursor.since, read.serverStart, client.settings.deltaOverlapSeconds) };
  }

  return {
    mode: delta ? 'delta' : 'full',
    pages: delta ? changed(delta.cursor, delta.read) : full(),
    nextCursor() {
      if (!next) throw new Error('nextCursor() is only known once pages have been read to the end');
      return next;
    },
  };
}
