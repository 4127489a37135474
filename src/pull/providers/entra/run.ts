/**
 * One sync run over Graph delta queries (https://learn.microsoft.com/graph/delta-query-overview):
 * users/delta, then groups/delta with `members@delta`. A full run is a new
 * round without a token; a delta run resumes from the two deltaLinks of the
 * previous run. The cursor is `{ users, groups }` (the deltaLinks) and exists
 * only once every page of both rounds was read.
 *
 * Pages are read one ahead of the consumer (one extra page in memory) so that
 * Graph's latency overlaps the reconciler's work; delta pages are chained by
 * nextLink, so a round cannot be read in parallel.
 */
import type { Logger } from '../../../core/logging/index.js';
import { ProviderError, type DirectoryEvent, type DirectoryRun } from '../types.js';
import type { GraphConnection, GraphPage } from './client.js';
import { GROUP_DELTA_SELECT, mapGroup, mapUser, userSelect } from './map.js';
import type { EntraSettings } from './settings.js';

export interface EntraCursor {
  users: string;
  groups: string;
}

type Resource = 'users' | 'groups';
type Get = (link: string, what: string) => Promise<GraphPage>;

const USER_TYPE = '#microsoft.graph.user';
const GROUP_TYPE = '#microsoft.graph.group';

/** The stored cursor, if it is one this connection can use (same Graph host). */
function readCursor(cursor: unknown, graphBaseUrl: string): EntraCursor | null {
  if (!cursor || typeof cursor !== 'object') return null;
  const { users, groups } = cursor as Record<string, unknown>;
  const ok = (link: unknown, r: Resource) => typeof link === 'string' && link.startsWith(`${graphBaseUrl}/v1.0/${r}/delta`);
  return ok(users, 'users') && ok(groups, 'groups') ? { users: users as string, groups: groups as string } : null;
}

/** Starts a Promise now and keeps an early rejection from counting as unhandled; awaiting it still throws. */
function settleLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export async function startRun(
  conn: GraphConnection,
  settings: EntraSettings,
  logger: Logger,
  limit: <T>(fn: () => Promise<T>) => Promise<T>,
  options: { cursor: unknown; full?: boolean },
): Promise<DirectoryRun> {
  const get: Get = (link, what) => limit(() => conn.get(link, what));
  const start: EntraCursor = {
    users: `/users/delta?$select=${userSelect(settings).join(',')}`,
    groups: `/groups/delta?$select=${GROUP_DELTA_SELECT.join(',')}`,
  };
  let mode: 'full' | 'delta' = 'full';
  let first: Partial<Record<Resource, Promise<GraphPage>>> = {};
  const stored = options.full ? null : readCursor(options.cursor, settings.graphBaseUrl);
  if (!options.full && options.cursor && !stored) logger.warn('Entra cursor is unusable (other Graph host or shape); running a full round');
  if (stored) {
    // Both tokens are tried before the run is handed out: if either expired, both rounds start
    // over, because a run that is 'full' must list users AND groups completely.
    const users = settleLater(get(stored.users, 'users delta page 1'));
    const groups = settleLater(get(stored.groups, 'groups delta page 1'));
    const expired = await Promise.all([users, groups].map((p) => p.then(() => false, (e) => e instanceof ProviderError && e.kind === 'cursor-expired')));
    if (expired.includes(true)) {
      logger.info('Entra delta token expired or was rejected; starting a full round');
    } else {
      mode = 'delta';
      first = { users, groups };
      Object.assign(start, stored);
    }
  }

  const links: Partial<EntraCursor> = {};
  let finished = false;
  const seenGroups = new Set<string>(); // full rounds: which groups already had their `set` event

  async function* round(resource: Resource, then?: () => void): AsyncGenerator<DirectoryEvent[]> {
    let pending = first[resource] ?? settleLater(get(start[resource], `${resource} delta page 1`));
    for (let n = 1; ; n++) {
      const page = await pending;
      const next = page['@odata.nextLink'];
      if (next) {
        pending = settleLater(get(next, `${resource} delta page ${n + 1}`));
      } else if (page['@odata.deltaLink']) {
        links[resource] = page['@odata.deltaLink'];
        then?.();
      } else {
        throw new ProviderError('bad-response', `Graph ${resource} delta page ${n} has neither @odata.nextLink nor @odata.deltaLink`);
      }
      if (!Array.isArray(page.value)) throw new ProviderError('bad-response', `Graph ${resource} delta page ${n} has no value array`);
      yield resource === 'users' ? userEvents(page.value) : groupEvents(page.value);
      if (!next) return;
    }
  }

  function userEvents(items: Array<Record<string, unknown>>): DirectoryEvent[] {
    return items.map((item): DirectoryEvent => {
      const removed = item['@removed'] as { reason?: string } | undefined;
      if (!removed) return { type: 'user', user: mapUser(item, settings) };
      // "changed" = in the recycle bin, restorable for 30 days; "deleted" = gone for good.
      // Anything else is treated as the restorable case: never hard-delete on a guess.
      return { type: 'user.removed', externalId: String(item.id), reason: removed.reason === 'deleted' ? 'deleted' : 'soft-deleted' };
    });
  }

  function groupEvents(items: Array<Record<string, unknown>>): DirectoryEvent[] {
    const events: DirectoryEvent[] = [];
    for (const item of items) {
      const id = String(item.id);
      if (item['@removed']) {
        events.push({ type: 'group.removed', externalId: id });
        continue;
      }
      // A group continued from the previous page comes back with only id and members@delta.
      if (typeof item.displayName === 'string') events.push({ type: 'group', group: mapGroup(item) });
      const links = Array.isArray(item['members@delta']) ? (item['members@delta'] as Array<Record<string, unknown>>) : [];
      const added = { users: [] as string[], groups: [] as string[] };
      const removed = { users: [] as string[], groups: [] as string[] };
      for (const link of links) {
        const bucket = link['@removed'] ? removed : added;
        // Other member types (service principals, devices, contacts) are not part of the roster.
        if (link['@odata.type'] === USER_TYPE) bucket.users.push(String(link.id));
        else if (link['@odata.type'] === GROUP_TYPE) bucket.groups.push(String(link.id));
      }
      if (mode === 'full') {
        const setOrAdd = seenGroups.has(id) ? 'add' : 'set';
        seenGroups.add(id);
        if (setOrAdd === 'set' || added.users.length || added.groups.length) {
          events.push({ type: 'members', groupExternalId: id, mode: setOrAdd, userExternalIds: added.users, groupExternalIds: added.groups });
        }
        continue;
      }
      if (added.users.length || added.groups.length) {
        events.push({ type: 'members', groupExternalId: id, mode: 'add', userExternalIds: added.users, groupExternalIds: added.groups });
      }
      if (removed.users.length || removed.groups.length) {
        events.push({ type: 'members', groupExternalId: id, mode: 'remove', userExternalIds: removed.users, groupExternalIds: removed.groups });
      }
    }
    return events;
  }

  async function* pages(): AsyncGenerator<DirectoryEvent[]> {
    // Start reading groups as soon as the users round is over, before the consumer asks.
    yield* round('users', () => {
      first.groups ??= settleLater(get(start.groups, 'groups delta page 1'));
    });
    yield* round('groups');
    finished = true;
  }

  return {
    mode,
    pages: pages(),
    nextCursor(): EntraCursor {
      if (!finished || !links.users || !links.groups) throw new Error('nextCursor() is only known after every page was read');
      return { users: links.users, groups: links.groups };
    },
  };
}
