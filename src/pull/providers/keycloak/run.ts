/**
 * Full and delta runs against Keycloak's admin API.
 *
 * Full: every user (`/users/?first&max`), the group tree, then each group's
 * direct members. Keycloak lists carry no totals: a listing ends on a short
 * page. The group tree comes one of two ways, told apart by what the server
 * sends: since Keycloak 23 a group says `subGroupCount` and its subgroups
 * are listed by `/groups/{id}/children`; before 23, `/groups` fills
 * `subGroups` with the whole tree. Either way a subgroup is reported as a
 * direct member of its parent (`groupExternalIds`); the reconciler flattens.
 * Before anything is listed, a full run notes the newest admin event: the
 * next delta starts there (./events.ts).
 *
 * Delta: the admin events since the cursor name the users and groups that
 * changed; each is read again as it is now (an event's representation is
 * only what the admin sent). A group read again gets a complete member
 * list (`set`). Deletions come from DELETE events, last.
 */
import { mergeConcurrent } from '../concurrency.js';
import type { DirectoryEvent, DirectoryRun, ProviderContext } from '../types.js';
import { ProviderError, withSource } from '../types.js';
import type { KeycloakApi } from './client.js';
import { currentMark, readChanges, type KeycloakCursor } from './events.js';
import { mapGroup, mapUser, needsAttributes, type KeycloakGroupLike, type KeycloakUserLike } from './map.js';

export interface RunDeps {
  api: KeycloakApi;
  context: ProviderContext;
}

/** Pages of a first/max listing until a short page; `fetch` answers null when the parent is gone (404). */
export async function* paged<T>(deps: RunDeps, what: string, fetch: (first: number, max: number) => Promise<T[] | null>): AsyncGenerator<T[]> {
  const max = deps.api.settings.pageSize;
  for (let first = 0; ; first += max) {
    const page = await fetch(first, max);
    if (page === null) throw new ProviderError('not-found', `${what}: not found`);
    yield page;
    if (page.length < max) return;
  }
}

export function listUsers(deps: RunDeps): AsyncGenerator<KeycloakUserLike[]> {
  const { api } = deps;
  // Custom attributes come only with the full representation: the expressions may read them.
  const briefRepresentation = !needsAttributes(api.settings.mapping) && !deps.context.sourceAttributes;
  return paged(deps, 'listing Keycloak users', (first, max) =>
    api.call('listing Keycloak users', (kc) => kc.users.find({ first, max, briefRepresentation }) as Promise<KeycloakUserLike[]>),
  );
}

/**
 * A group's direct members: users from `/members`, subgroups as `childIds`
 * (in the first event, the `set`). Null when the group is gone.
 */
async function* groupMembers(deps: RunDeps, groupId: string, childIds: string[]): AsyncGenerator<DirectoryEvent[]> {
  const { api } = deps;
  let mode: 'set' | 'add' = 'set';
  for await (const page of paged<KeycloakUserLike>(deps, `listing members of Keycloak group ${groupId}`, (first, max) =>
    api.call(`listing members of Keycloak group ${groupId}`, (kc) => kc.groups.listMembers({ id: groupId, first, max, briefRepresentation: true }) as Promise<KeycloakUserLike[] | null>),
  )) {
    const users = page.flatMap((u) => (u.id ? [u.id] : []));
    yield [{ type: 'members', groupExternalId: groupId, mode, userExternalIds: users, groupExternalIds: mode === 'set' ? childIds : [] }];
    mode = 'add';
  }
}

/** Subgroup ids of a group read by id: `/children` since Keycloak 23, inline `subGroups` before. */
async function childIdsOf(deps: RunDeps, group: KeycloakGroupLike): Promise<string[]> {
  if (typeof group.subGroupCount !== 'number') return (group.subGroups ?? []).flatMap((g) => (g.id ? [g.id] : []));
  if (group.subGroupCount === 0) return [];
  const ids: string[] = [];
  for await (const page of childPages(deps, group.id!)) ids.push(...page.flatMap((g) => (g.id ? [g.id] : [])));
  return ids;
}

function childPages(deps: RunDeps, parentId: string): AsyncGenerator<KeycloakGroupLike[]> {
  return paged(deps, `listing subgroups of Keycloak group ${parentId}`, (first, max) =>
    deps.api.call(`listing subgroups of Keycloak group ${parentId}`, (kc) => kc.groups.listSubGroups({ parentId, first, max }) as Promise<KeycloakGroupLike[] | null>),
  );
}

/** Ignores a not-found (the group was deleted while the run read it); anything else fails the run. */
async function* unlessGone<T>(deps: RunDeps, groupId: string, source: AsyncIterable<T>, onGone?: () => T): AsyncGenerator<T> {
  let started = false;
  try {
    for await (const item of source) {
      started = true;
      yield item;
    }
  } catch (e) {
    if (!(e instanceof ProviderError && e.kind === 'not-found') || started) throw e;
    deps.context.logger.info('Keycloak group disappeared during the run', { groupId });
    if (onGone) yield onGone();
  }
}

function runOf(mode: 'full' | 'delta', pages: (done: (next: KeycloakCursor | null) => void) => AsyncGenerator<DirectoryEvent[]>): DirectoryRun {
  let next: { cursor: KeycloakCursor | null } | null = null;
  return {
    mode,
    pages: pages((cursor) => (next = { cursor })),
    nextCursor() {
      if (!next) throw new Error('nextCursor() is only known once pages have been read to the end');
      return next.cursor;
    },
  };
}

/** A full snapshot; `deltas`: whether admin events can carry the next run (else no cursor: the next run is full too). */
export function fullRun(deps: RunDeps, deltas: boolean): DirectoryRun {
  const { api, context } = deps;
  return runOf('full', async function* (done) {
    // Noted before the listing: whatever changes while it runs is in the next delta. A mark that
    // cannot be read costs the next delta (it runs full), not this listing.
    const mark = deltas
      ? await currentMark(api).catch((e: unknown) => {
          if (!(e instanceof ProviderError) || e.kind === 'auth') throw e;
          context.logger.warn('Keycloak admin events could not be read: the next run will be a full listing too', { error: e.message });
          return null;
        })
      : null;
    for await (const page of listUsers(deps)) yield page.map((u) => ({ type: 'user', user: withSource(mapUser(u, api.settings.mapping), u, deps.context.sourceAttributes) }));

    const order: string[] = [];
    const children = new Map<string, string[]>();
    let pending: string[] = [];
    const visit = (g: KeycloakGroupLike, parentId: string | null, out: DirectoryEvent[]) => {
      // A tree cannot repeat a group; a server that did would otherwise loop here.
      if (!g.id || children.has(g.id)) return;
      children.set(g.id, []);
      order.push(g.id);
      out.push({ type: 'group', group: mapGroup(g) });
      if (parentId) children.get(parentId)!.push(g.id);
      if (typeof g.subGroupCount === 'number') {
        if (g.subGroupCount > 0) pending.push(g.id);
      } else for (const sub of g.subGroups ?? []) visit(sub, g.id, out);
    };
    for await (const page of paged<KeycloakGroupLike>(deps, 'listing Keycloak groups', (first, max) =>
      api.call('listing Keycloak groups', (kc) => kc.groups.find({ first, max }) as Promise<KeycloakGroupLike[]>),
    )) {
      const out: DirectoryEvent[] = [];
      for (const g of page) visit(g, null, out);
      yield out;
    }
    // Keycloak 23+: one level of the tree at a time, each parent's /children listing in parallel.
    while (pending.length > 0) {
      const level = pending;
      pending = [];
      yield* mergeConcurrent(level, context.concurrency, (parentId) =>
        (async function* () {
          for await (const page of unlessGone(deps, parentId, childPages(deps, parentId))) {
            const out: DirectoryEvent[] = [];
            for (const g of page) visit(g, parentId, out);
            yield out;
          }
        })(),
      );
    }
    yield* mergeConcurrent(order, context.concurrency, (id) => unlessGone(deps, id, groupMembers(deps, id, children.get(id) ?? [])));
    done(mark);
  });
}

/** What changed since `cursor`, read from the admin events and then from the API as it is now. */
export function deltaRun(deps: RunDeps, cursor: KeycloakCursor): DirectoryRun {
  const { api, context } = deps;
  const mapping = api.settings.mapping;
  return runOf('delta', async function* (done) {
    const changes = await readChanges(api, cursor);
    context.logger.debug('Keycloak admin events read', { events: changes.events, users: changes.users.size, groups: changes.groups.size });
    yield* changedUsers([...changes.users]);
    yield* mergeConcurrent(changes.groups, context.concurrency, (id) => changedGroup(id));
    const removals: DirectoryEvent[] = [
      ...[...changes.deletedUsers].map((externalId): DirectoryEvent => ({ type: 'user.removed', externalId, reason: 'deleted' })),
      ...[...changes.deletedGroups].map((externalId): DirectoryEvent => ({ type: 'group.removed', externalId })),
    ];
    if (removals.length) yield removals;
    done(changes.next);
  });

  /** A group an event named, as it is now: the group and its complete member list, or its removal when it is gone. */
  async function* changedGroup(id: string): AsyncGenerator<DirectoryEvent[]> {
    const group = await api.call(`reading Keycloak group ${id}`, (kc) => kc.groups.findOne({ id }) as Promise<KeycloakGroupLike | null>);
    // Gone since: deleted with its parent (one DELETE event, for the parent), or its own DELETE is older than the cursor.
    if (!group?.id) {
      yield [{ type: 'group.removed', externalId: id }];
      return;
    }
    const childIds = await childIdsOf(deps, group);
    yield [{ type: 'group', group: mapGroup(group) }];
    yield* unlessGone(deps, id, groupMembers(deps, id, childIds), () => [{ type: 'group.removed', externalId: id }]);
  }

  /**
   * One request per changed user, or, when that costs more, the whole user
   * listing (a bulk change: an import, a scripted rename). `/users/count`
   * says which is cheaper.
   */
  async function* changedUsers(ids: string[]): AsyncGenerator<DirectoryEvent[]> {
    const pageSize = api.settings.pageSize;
    if (ids.length >= pageSize) {
      const count = await api.call('counting Keycloak users', (kc) => kc.users.count());
      if (Math.floor(Number(count) / pageSize) + 1 < ids.length) {
        for await (const page of listUsers(deps)) yield page.map((u) => ({ type: 'user', user: withSource(mapUser(u, mapping), u, context.sourceAttributes) }));
        return;
      }
    }
    const batch: DirectoryEvent[] = [];
    const read = (id: string) =>
      (async function* () {
        const user = (await api.call(`reading Keycloak user ${id}`, (kc) => kc.users.findOne({ id }))) as KeycloakUserLike | null;
        // Gone since the event, without a DELETE event in this read: the next full run settles it.
        if (user?.id) yield user;
      })();
    for await (const user of mergeConcurrent(ids, context.concurrency, read)) {
      batch.push({ type: 'user', user: withSource(mapUser(user, mapping), user, context.sourceAttributes) });
      if (batch.length >= pageSize) yield batch.splice(0);
    }
    if (batch.length) yield batch;
  }
}
