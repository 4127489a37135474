/**
 * Full and delta runs against Okta.
 *
 * Full: users with `search=lastUpdated gt "1970-01-01T00:00:00.000Z"`, all
 * groups, then the members of every group. The plain `/api/v1/users` omits
 * DEPROVISIONED users; `search` includes every status, and using the very
 * expression of the delta (with the epoch) keeps one query shape, one that
 * Okta documents, and covers statuses Okta may add later (a status list
 * would not).
 *
 * Delta (the cursor `{ v: 2, users, groups, logs }`, ISO watermarks): users with
 * `search=lastUpdated gt "<users>"` (DEPROVISIONED included), groups with
 * `filter=lastUpdated gt "<groups>" or lastMembershipUpdated gt "<groups>"`,
 * and a fresh member list (`set`) only for groups whose
 * lastMembershipUpdated moved: Okta has no membership delta.
 * Users API: https://developer.okta.com/docs/reference/api/users/#list-users-with-search
 * Groups API: https://developer.okta.com/docs/reference/api/groups/#list-groups-with-a-filter
 *
 * What no listing shows: a user deleted in Okta (DELETE after
 * DEPROVISIONED) or a deleted group simply stops being listed. A delta reads
 * them from the System Log (system-log.ts, its watermark `logs`) and reports
 * them last, after the listings (Okta's search is eventually consistent and
 * may still list a user whose delete began). When the log cannot be read,
 * the delta runs as a full listing: absence from a *complete* snapshot is
 * then what removes them.
 */
import type { DirectoryEvent, DirectoryRun, ProviderContext } from '../types.js';
import { ProviderError, withSource } from '../types.js';
import type { OktaClient } from './client.js';
import { mergeConcurrent } from '../concurrency.js';
import { markingTheLast } from '../member-pages.js';
import { toProviderError } from './errors.js';
import { isBuiltIn, isoOf, mapGroup, mapUser, type OktaGroupLike, type OktaUserLike } from './map.js';
import type { OktaSettings } from './settings.js';

/** Okta's page caps: users 200 (search), group members 1000. Groups take up to 10,000; 1,000 keeps pages small. */
export const USERS_PAGE = 200;
export const GROUPS_PAGE = 1000;
export const MEMBERS_PAGE = 1000;
const EPOCH = '1970-01-01T00:00:00.000Z';

/** ISO watermarks: users (search), groups (filter), logs (System Log `since`). */
export interface OktaCursor {
  v: 2;
  users: string;
  groups: string;
  logs: string;
}

/** A v1 cursor (before the System Log) reads the log from its users watermark: deletions since that sync. */
export function parseCursor(cursor: unknown): OktaCursor | null {
  if (typeof cursor !== 'object' || cursor === null) return null;
  const c = cursor as Record<string, unknown>;
  const ok = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
  if (!ok(c.users) || !ok(c.groups)) return null;
  if (c.v === 1) return { v: 2, users: c.users, groups: c.groups, logs: c.users };
  return c.v === 2 && ok(c.logs) ? { v: 2, users: c.users, groups: c.groups, logs: c.logs } : null;
}

export interface RunDeps {
  client: OktaClient;
  context: ProviderContext;
  settings: OktaSettings;
  serverDate: () => number | null;
}

/** A page source: the SDK's Collection, read one API page at a time. */
interface PageSource<T> {
  nextUri?: string;
  getNextPage(): Promise<unknown[]>;
  readonly __item?: T;
}

export async function* pagesOf<T>(deps: RunDeps, what: string, open: () => Promise<PageSource<T>>): AsyncGenerator<T[]> {
  const fail = (e: unknown) => toProviderError(e, what);
  let source: PageSource<T>;
  try {
    source = await open();
  } catch (e) {
    throw fail(e);
  }
  // The Collection starts with nextUri = the first page and clears it after the last.
  while (source.nextUri) {
    try {
      yield (await source.getNextPage()) as T[];
    } catch (e) {
      throw fail(e);
    }
  }
}

/**
 * The next watermark: Okta's time at the listing's first answer, minus an
 * overlap for Okta's eventually consistent search; never backwards. Not the
 * newest `lastUpdated` seen: in a quiet directory that would return the last
 * batch of changes on every delta forever, and a record changed during a long
 * listing, on a page already read, can be older than the newest one seen on
 * a later page and would be skipped. Anything changed after the listing
 * started is newer than its start, so it comes back next time.
 */
export function nextWatermark(previous: string, serverStart: number, overlapS: number): string {
  return new Date(Math.max(Date.parse(previous), serverStart - overlapS * 1000)).toISOString();
}

/** `log`: the System Log read a delta needs (openSystemLog); a full run has none. */
/** What a delta run needs of the System Log (src/pull/providers/okta/system-log.ts reads it); declared here so the log module depends on the run, not both ways. */
export interface SystemLogRead {
  /** Throws what the first request threw: a run whose log cannot be read must not look complete. */
  assertOpened(): void;
  /** `user.removed` (deleted) and `group.removed` events, page by page; a failing page throws. */
  removals(): AsyncGenerator<DirectoryEvent[]>;
  /** The watermark of the next delta's read. */
  nextWatermark(): string;
}

export function startRun(deps: RunDeps, cursor: OktaCursor | null, log: SystemLogRead | null = null): DirectoryRun {
  const { client, context, settings } = deps;
  if (cursor && !log) throw new Error('an Okta delta needs the System Log for deletions');
  const mode = cursor ? 'delta' : 'full';
  const since = cursor ?? { v: 2 as const, users: EPOCH, groups: EPOCH, logs: EPOCH };
  let next: OktaCursor | null = null;

  async function* pages(): AsyncGenerator<DirectoryEvent[]> {
    log?.assertOpened();
    // Watermarks use Okta's clock (the Date header of each listing's first answer), not
    // ours: a local clock running ahead would otherwise skip changes.
    const serverNow = () => deps.serverDate() ?? Date.now();
    let userStart = Date.now();
    let first = true;
    for await (const page of pagesOf<OktaUserLike>(deps, 'listing Okta users', () =>
      client.userApi.listUsers({ search: `lastUpdated gt "${since.users}"`, limit: USERS_PAGE }) as never,
    )) {
      if (first) userStart = serverNow();
      first = false;
      yield page.map((u) => ({ type: 'user', user: withSource(mapUser(u, settings.mapping), u, context.sourceAttributes) }));
    }

    let groupStart = Date.now();
    const memberJobs: string[] = [];
    const sinceGroups = Date.parse(since.groups);
    const filter = cursor ? `lastUpdated gt "${since.groups}" or lastMembershipUpdated gt "${since.groups}"` : undefined;
    first = true;
    for await (const page of pagesOf<OktaGroupLike>(deps, 'listing Okta groups', () =>
      client.groupApi.listGroups({ ...(filter ? { filter } : {}), limit: GROUPS_PAGE }) as never,
    )) {
      if (first) groupStart = serverNow();
      first = false;
      const events: DirectoryEvent[] = [];
      for (const g of page) {
        const lm = Date.parse(isoOf(g.lastMembershipUpdated) ?? '');
        // Everyone (BUILT_IN) holds every user: listing it costs users/1000 requests and says
        // nothing a user listing does not. It is left out of snapshots and deltas alike.
        if (isBuiltIn(g) || !g.id) continue;
        events.push({ type: 'group', group: mapGroup(g) });
        if (!cursor || !Number.isFinite(lm) || lm > sinceGroups) memberJobs.push(g.id);
      }
      yield events;
    }

    yield* mergeConcurrent(memberJobs, Math.max(1, context.concurrency), (groupId) => groupMembers(groupId));
    if (log) yield* log.removals();

    const users = nextWatermark(since.users, userStart, settings.deltaOverlapSeconds);
    next = {
      v: 2,
      users,
      groups: nextWatermark(since.groups, groupStart, settings.deltaOverlapSeconds),
      // A full run read no log: the next delta reads it from this listing's start.
      logs: log ? log.nextWatermark() : users,
    };
    context.logger.debug('Okta run complete', { mode, cursor: next });
  }

  async function* groupMembers(groupId: string): AsyncGenerator<DirectoryEvent[]> {
    let mode: 'set' | 'add' = 'set';
    async function* events(): AsyncGenerator<DirectoryEvent & { type: 'members' }> {
      for await (const page of pagesOf<OktaUserLike>(deps, `listing members of Okta group ${groupId}`, () =>
        client.groupApi.listGroupUsers({ groupId, limit: MEMBERS_PAGE }) as never,
      )) {
        yield { type: 'members', groupExternalId: groupId, mode, userExternalIds: page.flatMap((u) => (u.id ? [u.id] : [])), groupExternalIds: [] };
        mode = 'add';
      }
    }
    try {
      yield* markingTheLast(events());
    } catch (e) {
      // Deleted between the group listing and its member listing. A delta says so; a
      // snapshot just leaves it out (the next snapshot no longer lists the group).
      if (e instanceof ProviderError && e.kind === 'not-found' && mode === 'set') {
        context.logger.info('Okta group disappeared during the run', { groupId });
        if (cursor) yield [{ type: 'group.removed', externalId: groupId }];
        return;
      }
      throw e;
    }
  }

  return {
    mode,
    pages: pages(),
    nextCursor() {
      if (!next) throw new Error('nextCursor() is only known once pages have been read to the end');
      return next;
    },
  };
}
