/**
 * Change detection from Keycloak's admin events (Admin REST API,
 * `GET /admin/realms/{realm}/admin-events`): every change made through the
 * admin API, stored when the realm's "Save admin events" is on
 * (`adminEventsEnabled` in `/events/config`; the service account needs
 * view-events to read both). Fields: `time` (epoch ms), `operationType`
 * CREATE/UPDATE/DELETE/ACTION, `resourceType`, `resourcePath`.
 *
 * What the paths say (resourceType: path → what Roster re-reads):
 * - USER: `users/{id}` (and `users/{id}/…` actions) → the user; DELETE of
 *   `users/{id}` → `user.removed` (deleted): only the event proves it.
 * - GROUP: `groups/{id}`, `groups/{parent}/children[/{id}]` → each group
 *   named, and the one in the representation; DELETE of `groups/{id}` →
 *   `group.removed`. A group moved to another parent leaves its old parent
 *   unnamed: the old parent keeps it until the next full run.
 * - GROUP_MEMBERSHIP: `users/{user}/groups/{group}` → the group's members.
 *
 * The read asks `dateFrom` = the cursor's time (epoch ms; a server that
 * refuses it gets the day, `yyyy-MM-dd`), and keeps only events at or after
 * it that the cursor has not seen: the cursor remembers the events at its
 * own millisecond, so two events in one millisecond are neither lost nor
 * read twice. Keycloak answers newest first; paging by first/max while
 * events arrive only shifts pages towards older events, so an event may be
 * met twice (the keys drop it) but never skipped.
 *
 * What admin events never show: changes made outside the admin API (user
 * federation, identity-provider first logins, self-service account changes)
 * and the subgroups removed with a deleted parent. The periodic full run
 * stays on for them.
 */
import { ProviderError } from '../types.js';
import type { KeycloakApi } from './client.js';

export const RESOURCE_TYPES = ['USER', 'GROUP', 'GROUP_MEMBERSHIP'] as const;

/** The delta cursor: admin events from `since` (epoch ms), those in `seen` (at `since` exactly) excepted. */
export interface KeycloakCursor {
  v: 1;
  source: 'keycloak-admin-events';
  since: number;
  seen: string[];
}

export function parseCursor(value: unknown): KeycloakCursor | null {
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Partial<KeycloakCursor>;
  if (c.v !== 1 || c.source !== 'keycloak-admin-events' || typeof c.since !== 'number' || !Number.isFinite(c.since) || !Array.isArray(c.seen)) return null;
  return { v: 1, source: c.source, since: c.since, seen: c.seen.filter((s): s is string => typeof s === 'string') };
}

interface AdminEventLike {
  id?: string;
  time?: number;
  operationType?: string;
  resourceType?: string;
  resourcePath?: string;
  /** The JSON the admin sent, when the realm saves details ("Include representation"). */
  representation?: string;
}

/** The `id` in an event's representation: a group moved under a parent (`groups/{parent}/children`) is named only there. */
function representedId(e: AdminEventLike): string | null {
  if (!e.representation) return null;
  try {
    const rep = JSON.parse(e.representation) as { id?: unknown };
    return typeof rep.id === 'string' && rep.id !== '' ? rep.id : null;
  } catch {
    return null;
  }
}

const keyOf = (e: AdminEventLike) => e.id ?? `${e.time}|${e.operationType}|${e.resourceType}|${e.resourcePath}`;

export type EventsAvailability = { usable: true } | { usable: false; reason: string };

/** Whether deltas can rest on admin events: the realm stores them and the service account may read them. */
export async function eventsAvailability(api: KeycloakApi): Promise<EventsAvailability> {
  try {
    const config = await api.call('reading the realm\'s events configuration', (kc) => kc.realms.getConfigEvents({ realm: api.settings.realm }));
    if (config?.adminEventsEnabled !== true) return { usable: false, reason: `realm "${api.settings.realm}" does not save admin events (Realm settings → Events → Admin events settings)` };
    return { usable: true };
  } catch (e) {
    if (e instanceof ProviderError && e.kind === 'permission') return { usable: false, reason: 'the service account lacks the view-events role (realm-management)' };
    throw e;
  }
}

function findEvents(api: KeycloakApi, query: { dateFrom?: number | string; first: number; max: number }) {
  return api.call('reading Keycloak admin events', (kc) =>
    kc.realms.findAdminEvents({
      realm: api.settings.realm,
      // The client types these as Date and string; it sends what it is given (a Date as
      // toString(), which Keycloak refuses), and an array as one parameter per value.
      ...(query.dateFrom === undefined ? {} : { dateFrom: query.dateFrom as unknown as Date }),
      resourceTypes: RESOURCE_TYPES as unknown as string,
      first: query.first,
      max: query.max,
    }) as Promise<AdminEventLike[]>,
  );
}

/** The cursor a full listing hands out: from the newest event there is now (read before the listing starts). */
export async function currentMark(api: KeycloakApi): Promise<KeycloakCursor> {
  const [newest] = await findEvents(api, { first: 0, max: 1 });
  return { v: 1, source: 'keycloak-admin-events', since: newest?.time ?? 0, seen: newest ? [keyOf(newest)] : [] };
}

export interface Changes {
  users: Set<string>;
  deletedUsers: Set<string>;
  groups: Set<string>;
  deletedGroups: Set<string>;
  events: number;
  next: KeycloakCursor;
}

/** Everything the events since `cursor` name, and the cursor after them. */
export async function readChanges(api: KeycloakApi, cursor: KeycloakCursor): Promise<Changes> {
  const max = api.settings.pageSize;
  const seen = new Set(cursor.seen);
  const out: Changes = { users: new Set(), deletedUsers: new Set(), groups: new Set(), deletedGroups: new Set(), events: 0, next: cursor };
  let newest = cursor.since;
  let atNewest = new Set(cursor.seen);
  let dateFrom: number | string = cursor.since;
  for (let first = 0; ; first += max) {
    let page: AdminEventLike[];
    try {
      page = await findEvents(api, { dateFrom, first, max });
    } catch (e) {
      // Before epoch milliseconds were accepted, dateFrom was a day: ask for the day, filter here.
      if (first === 0 && typeof dateFrom === 'number' && e instanceof ProviderError && e.status === 400) {
        dateFrom = new Date(cursor.since).toISOString().slice(0, 10);
        page = await findEvents(api, { dateFrom, first, max });
      } else throw e;
    }
    for (const e of page) {
      const key = keyOf(e);
      if (typeof e.time !== 'number' || e.time < cursor.since || seen.has(key)) continue;
      seen.add(key);
      out.events++;
      note(out, e);
      if (e.time > newest) [newest, atNewest] = [e.time, new Set()];
      if (e.time === newest) atNewest.add(key);
    }
    if (page.length < max) break;
  }
  for (const id of out.deletedUsers) out.users.delete(id);
  for (const id of out.deletedGroups) out.groups.delete(id);
  out.next = { v: 1, source: 'keycloak-admin-events', since: newest, seen: [...atNewest] };
  return out;
}

function note(out: Changes, e: AdminEventLike): void {
  const parts = (e.resourcePath ?? '').split('/').filter(Boolean);
  const deleted = e.operationType === 'DELETE' && parts.length === 2;
  if (e.resourceType === 'USER' && parts[0] === 'users' && parts[1]) {
    (deleted ? out.deletedUsers : out.users).add(parts[1]);
  } else if (e.resourceType === 'GROUP' && parts[0] === 'groups') {
    if (deleted) out.deletedGroups.add(parts[1]!);
    // groups/{id}, groups/{parent}/children, groups/{parent}/children/{child}
    else {
      for (let i = 1; i < parts.length; i += 2) out.groups.add(parts[i]!);
      const moved = representedId(e);
      if (moved) out.groups.add(moved);
    }
  } else if (e.resourceType === 'GROUP_MEMBERSHIP' && parts[0] === 'users' && parts[2] === 'groups' && parts[3]) {
    out.groups.add(parts[3]);
  }
}
