/**
 * What changed, from Directory Insights (`POST {insightsUrl}/events`,
 * https://docs.jumpcloud.com/api/insights/directory/1.0/index.html): the
 * `directory` service's events since the watermark, oldest first, paged by
 * `search_after` (the X-Search_after header of each answer, sent back in the
 * next body); a page with fewer events than asked is the last.
 *
 * The events only name what changed; the delta re-reads it (./run.ts), so an
 * event read twice (the watermark overlap) costs a request and changes nothing.
 * - user_create, user_update, user_suspended, user_unsuspended, user_locked,
 *   user_unlocked, user_activated: the user (resource.type `user`) is re-read;
 * - user_delete: the user is gone for good (JumpCloud has no soft delete);
 * - group_create, group_update: the user group is re-read with its members;
 * - group_delete: the user group is gone;
 * - association_change between a USER_GROUP and a USER: the group's member list is re-read.
 * Anything else (logins, system groups, applications) is not directory membership.
 *
 * Insights keeps events 15 days on the smallest plan (90 or more on others):
 * a watermark older than RETENTION_MS may have lost events, so the delta
 * runs full instead. A 401/403/404 means the key's org cannot read Insights
 * (the plan, or the admin's role): deltas then run full as well.
 */
import type { JumpCloudClient } from './client.js';
import { ProviderError } from '../types.js';
import { insightsPage, type InsightsEvent } from './wire.js';

/** JumpCloud's cap for `limit` on /events. */
export const EVENTS_PAGE = 10_000;
/** A day short of the 15 days the smallest plan keeps. */
export const RETENTION_MS = 14 * 24 * 3600_000;

const USER_CHANGED = new Set(['user_create', 'user_update', 'user_suspended', 'user_unsuspended', 'user_locked', 'user_unlocked', 'user_activated']);
const GROUP_CHANGED = new Set(['group_create', 'group_update']);

export interface Changes {
  users: Set<string>;
  deletedUsers: Set<string>;
  groups: Set<string>;
  /** Groups whose member list changed (association_change). */
  memberships: Set<string>;
  deletedGroups: Set<string>;
}

export const noChanges = (): Changes => ({ users: new Set(), deletedUsers: new Set(), groups: new Set(), memberships: new Set(), deletedGroups: new Set() });

const lower = (v: string | null | undefined) => (v ?? '').toLowerCase();

export function record(changes: Changes, e: InsightsEvent): void {
  // A change that failed changed nothing.
  if (e.success === false) return;
  const id = e.resource?.id ?? null;
  const type = lower(e.resource?.type);
  if (id && type === 'user') {
    if (e.event_type === 'user_delete') changes.deletedUsers.add(id);
    else if (USER_CHANGED.has(e.event_type)) changes.users.add(id);
  } else if (id && type === 'user_group') {
    if (e.event_type === 'group_delete') changes.deletedGroups.add(id);
    else if (GROUP_CHANGED.has(e.event_type)) changes.groups.add(id);
  }
  if (e.event_type === 'association_change') {
    const { from, to } = e.association?.connection ?? {};
    const ends = [from, to];
    const group = ends.find((x) => lower(x?.type) === 'user_group');
    const user = ends.find((x) => lower(x?.type) === 'user');
    if (group?.object_id && user?.object_id) changes.memberships.add(group.object_id);
  }
}

export type InsightsOpening = { readable: true; read: InsightsRead } | { readable: false; reason: string };

export interface InsightsRead {
  /** Reads the remaining pages; throws what a page threw. */
  changes(): Promise<Changes>;
  /** JumpCloud's time at the first answer: the start of what this read saw. */
  serverStart: number;
}

/**
 * Sends the first request (also the permission check), so that the run knows
 * before it lists anything whether it can be a delta.
 */
export async function openInsights(client: JumpCloudClient, since: string): Promise<InsightsOpening> {
  if (Date.now() - Date.parse(since) > RETENTION_MS) {
    return { readable: false, reason: `the delta cursor (${since}) is older than the 15 days Directory Insights keeps on every plan` };
  }
  const page = (searchAfter: unknown) =>
    client.request(insightsPage, {
      method: 'POST',
      url: client.insightsUrl('/events'),
      body: { service: ['directory'], start_time: since, limit: EVENTS_PAGE, sort: 'ASC', ...(searchAfter ? { search_after: searchAfter } : {}) },
      what: 'reading JumpCloud Directory Insights',
    });
  let first: Awaited<ReturnType<typeof page>>;
  try {
    first = await page(null);
  } catch (e) {
    if (e instanceof ProviderError && (e.kind === 'auth' || e.kind === 'permission' || e.kind === 'not-found')) return { readable: false, reason: e.message };
    throw e;
  }
  const serverStart = client.lastServerDate ?? Date.now();
  return {
    readable: true,
    read: {
      serverStart,
      async changes() {
        const changes = noChanges();
        let current = first;
        for (;;) {
          for (const e of current.data) record(changes, e);
          if (current.data.length < EVENTS_PAGE) return changes;
          const after = parseSearchAfter(current.headers.get('x-search_after'));
          if (!after) throw new ProviderError('bad-response', 'reading JumpCloud Directory Insights: a full page came without X-Search_after, so the next page cannot be asked for');
          current = await page(after);
        }
      },
    },
  };
}

/** X-Search_after is the JSON array to send back as `search_after`. */
function parseSearchAfter(value: string | null): unknown[] | null {
  if (!value) return null;
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) && parsed.length > 0 ? parsed : null;
  } catch {
    return null;
  }
}
