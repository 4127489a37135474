/**
 * Full and delta runs against Zitadel.
 *
 * Full: human users (UserService v2 ListUsers), then every project
 * (ProjectService v2beta ListProjects) and its roles (ListProjectRoles): each
 * role is a group; its members are the users holding an active grant of it.
 * A grant (AuthorizationService v2beta ListAuthorizations) carries all the
 * role keys its user holds in the project, so each project's active grants
 * are listed once and every role's members derived from them; projects are
 * read up to the connection's concurrency. Paging by offset, ending on
 * `totalResult` or a short page.
 *
 * Delta (cursor `{ v: 1, since }`, an ISO watermark): ./events.ts reads what
 * changed since from the admin events API. Changed users are read again by
 * id; `user.removed` is a hard delete; a removed project role is
 * `group.removed`. Grants have no membership delta that names the roles they
 * lost, so any grant or project change lists the groups and their members
 * again (complete `set`s: each project's grants once), as a full run does.
 */
import type { User } from '@zitadel/proto/zitadel/user/v2/user_pb.js';
import { mergeConcurrent } from '../concurrency.js';
import { ProviderError, type DirectoryEvent, type DirectoryRun, type ProviderContext, withSource } from '../types.js';
import type { ZitadelApi } from './client.js';
import type { EventChanges } from './events.js';
import { groupId, mapRole, mapUser, plainUser } from './map.js';
import type { ZitadelSettings } from './settings.js';

/** Zitadel's default cap for `limit` on list calls (DefaultLimits.MaxLimit... 1000). */
export const USERS_PAGE = 1000;
export const PROJECTS_PAGE = 1000;
export const ROLES_PAGE = 1000;
export const GRANTS_PAGE = 1000;

export interface ZitadelCursor {
  v: 1;
  /** Events from this creation date on are read by the next delta. */
  since: string;
}

export function parseCursor(cursor: unknown): ZitadelCursor | null {
  if (typeof cursor !== 'object' || cursor === null) return null;
  const c = cursor as Record<string, unknown>;
  return c.v === 1 && typeof c.since === 'string' && !Number.isNaN(Date.parse(c.since)) ? { v: 1, since: c.since } : null;
}

export interface RunDeps {
  api: ZitadelApi;
  context: ProviderContext;
  settings: ZitadelSettings;
}

/** Offset paging: `fetch(offset)` returns a page and the total; stops on the total or a short page. */
export async function* offsetPages<T>(limit: number, fetch: (offset: bigint) => Promise<{ items: T[]; total: bigint }>): AsyncGenerator<T[]> {
  let offset = 0n;
  let firstTotal: bigint | null = null;
  for (;;) {
    const { items, total } = await fetch(offset);
    // A total that fell between two pages is a deletion meanwhile: the offsets after it moved
    // back, so this page may start past a record never read. Incomplete: nobody is removed.
    if (firstTotal !== null && total < firstTotal) {
      throw new ProviderError('bad-response', `records were deleted while the listing was read (${firstTotal} → ${total}), so offset paging may have passed over others; the listing is incomplete and the next run reads it again`);
    }
    firstTotal ??= total;
    if (items.length) yield items;
    offset += BigInt(items.length);
    if (items.length === 0) return;
    // totalResult decides: a server whose own maximum is below `limit` answers short pages that
    // are not the last (ending there would take a partial listing for the whole directory).
    // Only without a total (proto3 omits a zero) does a short page end the listing.
    if (total > 0n ? offset >= total : items.length < limit) return;
  }
}

/** The users listing's filters: humans (machine users are API clients, not people), in the organization when one is set. */
export function userFilters(settings: ZitadelSettings) {
  return [
    { query: { case: 'typeQuery' as const, value: { type: 1 /* TYPE_HUMAN */ } } },
    ...(settings.organizationId ? [{ query: { case: 'organizationIdQuery' as const, value: { organizationId: settings.organizationId } } }] : []),
  ];
}

export async function* userPages(deps: RunDeps, extra: Array<{ query: { case: 'inUserIdsQuery'; value: { userIds: string[] } } }> = []): AsyncGenerator<User[]> {
  const { api, settings } = deps;
  yield* offsetPages(USERS_PAGE, async (offset) => {
    const r = await api.call('listing Zitadel users', (o) =>
      api.users.listUsers({ query: { offset, limit: USERS_PAGE, asc: true }, sortingColumn: 9 /* CREATION_DATE */, queries: [...userFilters(settings), ...extra] }, o));
    return { items: r.result, total: r.details?.totalResult ?? 0n };
  });
}

/** Every group (project role), then the members of each; `listed` collects the ids streamed. */
async function* groupsAndMembers(deps: RunDeps, listed: Set<string>): AsyncGenerator<DirectoryEvent[]> {
  const { api, context, settings } = deps;
  const org = settings.organizationId ? [{ filter: { case: 'projectOrganizationIdFilter' as const, value: { id: settings.organizationId } } }] : [];
  const projects: Array<{ id: string; name: string }> = [];
  for await (const page of offsetPages(PROJECTS_PAGE, async (offset) => {
    const r = await api.call('listing Zitadel projects', (o) => api.projects.listProjects({ pagination: { offset, limit: PROJECTS_PAGE, asc: true }, filters: org }, o));
    return { items: r.projects, total: r.pagination?.totalResult ?? 0n };
  })) for (const p of page) projects.push({ id: p.id, name: p.name });

  const roleKeys = new Map<string, string[]>();
  for (const project of projects) {
    const keys: string[] = [];
    roleKeys.set(project.id, keys);
    for await (const page of offsetPages(ROLES_PAGE, async (offset) => {
      const r = await api.call(`listing the roles of Zitadel project ${project.id}`, (o) =>
        api.projects.listProjectRoles({ projectId: project.id, pagination: { offset, limit: ROLES_PAGE, asc: true } }, o));
      return { items: r.projectRoles, total: r.pagination?.totalResult ?? 0n };
    })) {
      yield page.map((role) => {
        keys.push(role.key);
        listed.add(groupId(project.id, role.key));
        return { type: 'group' as const, group: mapRole(project, role) };
      });
    }
  }
  yield* mergeConcurrent(projects, context.concurrency, (project) => projectMembers(deps, project.id, roleKeys.get(project.id)!));
}

/**
 * The members of every role of one project, from one listing of the
 * project's active grants: a grant (one per user and project) carries every
 * role key the user holds there, so listing per role would read each grant
 * once per role it holds, in a request per role. The role → holders map of
 * this project is all that is held; each role's list is complete, streamed as
 * a `set` (then `add`s past GRANTS_PAGE ids), empty for a role nobody holds.
 */
async function* projectMembers(deps: RunDeps, projectId: string, keys: readonly string[]): AsyncGenerator<DirectoryEvent[]> {
  const { api } = deps;
  const holders = new Map<string, string[]>(keys.map((k) => [k, []]));
  const filters = [
    { filter: { case: 'projectId' as const, value: { id: projectId } } },
    // A deactivated grant gives no role (AuthorizationService: State INACTIVE).
    { filter: { case: 'state' as const, value: { state: 1 /* STATE_ACTIVE */ } } },
  ];
  for await (const page of offsetPages(GRANTS_PAGE, async (offset) => {
    const r = await api.call(`listing the grants of Zitadel project ${projectId}`, (o) =>
      api.authorizations.listAuthorizations({ pagination: { offset, limit: GRANTS_PAGE, asc: true }, filters }, o));
    return { items: r.authorizations, total: r.pagination?.totalResult ?? 0n };
  })) {
    for (const a of page) {
      const userId = a.user?.id;
      if (!userId) continue;
      // A key the role listing did not show (added since) is read by the next run, with its group.
      for (const key of new Set(a.roles)) holders.get(key)?.push(userId);
    }
  }
  let batch: DirectoryEvent[] = [];
  let size = 0;
  for (const [key, ids] of holders) {
    holders.delete(key); // streamed: no longer held here
    for (let i = 0; i === 0 || i < ids.length; i += GRANTS_PAGE) {
      const chunk = ids.slice(i, i + GRANTS_PAGE);
      batch.push({ type: 'members', groupExternalId: groupId(projectId, key), mode: i === 0 ? 'set' : 'add', userExternalIds: chunk, groupExternalIds: [] });
      size += chunk.length + 1;
      if (size >= GRANTS_PAGE) {
        yield batch;
        batch = [];
        size = 0;
      }
    }
  }
  if (batch.length) yield batch;
}

/**
 * The next watermark: Zitadel's clock at the run's first answer, less the
 * overlap (events of transactions open then are written with an earlier
 * creation date), never backwards. Reading an event twice is harmless.
 */
export function nextWatermark(previous: string | null, serverStart: number, overlapS: number): string {
  const candidate = serverStart - overlapS * 1000;
  return new Date(previous ? Math.max(Date.parse(previous), candidate) : candidate).toISOString();
}

/** `changes` null: a full run. */
export function startRun(deps: RunDeps, cursor: ZitadelCursor | null, changes: EventChanges | null): DirectoryRun {
  const { api, context, settings } = deps;
  let next: ZitadelCursor | null = null;

  async function* pages(): AsyncGenerator<DirectoryEvent[]> {
    changes?.assertRead();
    let start: number | null = changes?.serverStart ?? null;
    const mark = () => (start ??= api.serverDate() ?? Date.now());
    const listed = new Set<string>();
    if (!changes) {
      for await (const page of userPages(deps)) {
        mark();
        yield page.map((u) => ({ type: 'user' as const, user: withSource(mapUser(u, settings.mapping), context.sourceAttributes && plainUser(u), context.sourceAttributes) }));
      }
      yield* groupsAndMembers(deps, listed);
    } else {
      const ids = [...changes.changedUsers].filter((id) => !changes.removedUsers.has(id));
      for (let i = 0; i < ids.length; i += USERS_PAGE) {
        const batch = ids.slice(i, i + USERS_PAGE);
        for await (const page of userPages(deps, [{ query: { case: 'inUserIdsQuery', value: { userIds: batch } } }])) {
          yield page.map((u) => ({ type: 'user' as const, user: withSource(mapUser(u, settings.mapping), context.sourceAttributes && plainUser(u), context.sourceAttributes) }));
        }
      }
      if (changes.groupsChanged) yield* groupsAndMembers(deps, listed);
      const removed: DirectoryEvent[] = [
        ...[...changes.removedUsers].map((id) => ({ type: 'user.removed' as const, externalId: id, reason: 'deleted' as const })),
        ...[...changes.removedGroups].filter((id) => !listed.has(id)).map((id) => ({ type: 'group.removed' as const, externalId: id })),
      ];
      if (removed.length) yield removed;
    }
    next = { v: 1, since: nextWatermark(cursor?.since ?? null, mark(), settings.deltaOverlapSeconds) };
    context.logger.debug('Zitadel run complete', { mode: changes ? 'delta' : 'full', cursor: next });
  }

  return {
    mode: changes ? 'delta' : 'full',
    pages: pages(),
    nextCursor() {
      if (!next) throw new Error('nextCursor() is only known once pages have been read to the end');
      return next;
    },
  };
}
