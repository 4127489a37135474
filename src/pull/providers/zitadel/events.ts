/**
 * What changed since a watermark, from the admin events API
 * (`POST /admin/v1/events/_search`, https://zitadel.com/docs/guides/integrate/event-api;
 * role IAM_OWNER_VIEWER or IAM_OWNER). Read before the run lists anything,
 * so that a credential that may not read events makes the run a full listing.
 *
 * The read goes by creation date (`from`, ascending), not by `sequence`:
 * since Zitadel's eventstore v3 (v2.39) an event's sequence counts within its
 * aggregate only, so "sequence greater than N" is no watermark across the
 * instance. Pages of up to 1,000 events continue from the last event's
 * creation date (inclusive: events sharing it are read again and skipped).
 *
 * Events older than the instance's audit log retention are not served: a
 * watermark older than that may have lost events, which is one reason the
 * periodic full run stays on.
 */
import { ProviderError } from '../types.js';
import type { ZitadelApi, ZitadelEvent } from './client.js';
import { groupId } from './map.js';

export const EVENTS_PAGE = 1000;
const AGGREGATES = ['user', 'usergrant', 'project'];

export interface EventChanges {
  /** Throws what reading the events threw: a run whose changes are unknown must not look complete. */
  assertRead(): void;
  changedUsers: Set<string>;
  removedUsers: Set<string>;
  removedGroups: Set<string>;
  /** A grant, role or project changed: list groups and members again. */
  groupsChanged: boolean;
  /** Zitadel's clock at the first answer. */
  serverStart: number;
}

export type EventsOpening = { readable: true; changes: EventChanges } | { readable: false; reason: string };

export async function readChanges(deps: { api: ZitadelApi }, since: string): Promise<EventsOpening> {
  const { api } = deps;
  const changes: EventChanges = {
    assertRead: () => undefined,
    changedUsers: new Set(), removedUsers: new Set(), removedGroups: new Set(), groupsChanged: false, serverStart: Date.now(),
  };
  const seen = new Set<string>();
  let from = since;
  let first = true;
  /** Events the page before held (the server's own limit, if it cut that page). */
  let previousLength = 0;
  try {
    for (;;) {
      const page = await api.call('reading the Zitadel events API', () => api.events({ from, asc: true, limit: EVENTS_PAGE, aggregateTypes: AGGREGATES }));
      if (first) changes.serverStart = api.serverDate() ?? Date.now();
      first = false;
      let fresh = 0;
      for (const e of page) {
        const key = `${e.aggregate?.type?.type}/${e.aggregate?.id}/${e.sequence}`;
        if (seen.has(key)) continue;
        seen.add(key);
        fresh++;
        if (apply(changes, e) === 'project-removed') {
          return { readable: false, reason: 'a project was removed since the last run: its roles are gone without an event each' };
        }
      }
      const last = page.at(-1)?.creationDate;
      if (!last) break;
      // `from` is inclusive: each page starts with the events of the previous one's last date
      // again, so a page with nothing new holds only events of that date: normally the end. A
      // short page alone is not the end: a server whose own limit is below EVENTS_PAGE answers
      // short pages before the last one (stopping there would miss the newest changes, a
      // leaver's deactivation among them). Nothing new, and as many events of that one date as
      // the page before held: that page may have been cut at the server's limit. One request
      // from just after that date tells: events there mean the page was cut, and more of that
      // date may lie beyond it, which paging by date cannot reach: run full.
      if (fresh === 0) {
        if (page.length >= 2 && page.length >= previousLength) {
          const after = new Date(Date.parse(last) + 1).toISOString();
          const later = await api.call('reading the Zitadel events API', () => api.events({ from: after, asc: true, limit: EVENTS_PAGE, aggregateTypes: AGGREGATES }));
          if (later.length > 0) {
            return { readable: false, reason: `the events API cut a page of ${page.length} events of ${last} at its own limit: more of that date may lie beyond it, which paging by date cannot reach` };
          }
        }
        break;
      }
      previousLength = page.length;
      from = last;
    }
  } catch (e) {
    // IAM_OWNER_VIEWER not granted: run full. Anything else fails the run (from its pages).
    if (e instanceof ProviderError && e.kind === 'permission') return { readable: false, reason: e.message };
    changes.assertRead = () => {
      throw e;
    };
  }
  return { readable: true, changes };
}

function apply(changes: EventChanges, e: ZitadelEvent): 'project-removed' | undefined {
  const aggregate = e.aggregate?.type?.type;
  const id = e.aggregate?.id;
  const type = e.type?.type ?? '';
  if (!id) return;
  if (aggregate === 'user') {
    if (type === 'user.removed') changes.removedUsers.add(id);
    else changes.changedUsers.add(id);
  } else if (aggregate === 'usergrant') {
    changes.groupsChanged = true;
  } else if (aggregate === 'project') {
    if (type === 'project.removed') return 'project-removed';
    changes.groupsChanged = true;
    const key = e.payload?.key;
    if (type === 'project.role.removed' && typeof key === 'string') changes.removedGroups.add(groupId(id, key));
  }
}
