/**
 * The event feed: audit events after a given id, in id order, never skipping one.
 *
 * Ids are drawn when a row is inserted, but transactions commit out of order:
 * while a transaction that drew id 10 is in flight, id 11 may already be
 * committed. A reader that returned 11 and moved its cursor past it would never
 * see 10. Filtering on `tx_id < pg_snapshot_xmin(...)` alone does not prevent
 * this: a transaction may get its xid before another's yet draw its id after it.
 *
 * So a read (1) takes L = the largest visible id, (2) takes a fresh xid N, which
 * is larger than every xid assigned so far, and (3) waits until
 * pg_snapshot_xmin(pg_current_snapshot()) >= N, i.e. until every transaction
 * older than N has ended. Every id up to L was drawn before N existed, by a
 * transaction that already had its xid (the audit_events statement trigger
 * assigns it before any id is drawn, see drizzle/0006_api_keys_event_feed.sql), so after the wait every
 * id up to L is committed or gone for good, and the feed returns ids in (after, L].
 * (This needs ids drawn in time order: the identity sequence has CACHE 1.)
 * While a long transaction keeps the wait from ending (past `waitMs`), the read
 * returns nothing new and says `pending`: the events come on a later read.
 *
 * `db` must be the database, not a transaction: step 2 commits its own xid.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  freshTransactionId,
  latestEventId,
  listEventsBetween,
  olderTransactionsEnded,
  type AuditEventWithTenant,
  type Db,
} from '../../core/store/index.js';

export const DEFAULT_FEED_LIMIT = 100;
export const MAX_FEED_LIMIT = 1000;
/** How long a read waits for older transactions to end before answering `pending`. */
export const DEFAULT_FEED_WAIT_MS = 2000;

export interface FeedQuery {
  after: number;
  limit: number;
  /** Only this tenant's events; null = every tenant. */
  tenantId: string | null;
  waitMs?: number;
}

export interface FeedEvent {
  id: number;
  tenant: string | null;
  tenantId: string;
  connectionId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  actor: { type: string; id: string | null };
  runId: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
  createdAt: string;
}

export interface FeedPage {
  events: FeedEvent[];
  /** Pass as `after` on the next read (the last event's id, or `after` unchanged). */
  next: number;
  /** More events are ready now: read again at once. */
  more: boolean;
  /** Newer events exist but wait for transactions still in flight: read again shortly. */
  pending: boolean;
}

function eventView(row: AuditEventWithTenant): FeedEvent {
  return {
    id: row.id,
    tenant: row.tenantSlug,
    tenantId: row.tenantId,
    connectionId: row.connectionId,
    action: row.action,
    entityType: row.entityType,
    entityId: row.entityId,
    actor: { type: row.actorType, id: row.actorId },
    runId: row.runId,
    reason: row.reason,
    before: row.before,
    after: row.after,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/** Wait until every transaction with an xid below `xid` has ended; false if `waitMs` passed first. */
async function waitForOlderTransactions(db: Db, xid: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    if (await olderTransactionsEnded(db, xid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
  }
}

export async function readEventFeed(db: Db, query: FeedQuery): Promise<FeedPage> {
  const horizon = await latestEventId(db, query.tenantId);
  const nothing: FeedPage = { events: [], next: query.after, more: false, pending: false };
  // Nothing newer is visible: answer at once, without taking an xid.
  if (horizon <= query.after) return nothing;

  const fresh = await freshTransactionId(db);
  if (!(await waitForOlderTransactions(db, fresh, query.waitMs ?? DEFAULT_FEED_WAIT_MS))) return { ...nothing, pending: true };

  const rows = await listEventsBetween(db, { after: query.after, upTo: horizon, tenantId: query.tenantId, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit).map(eventView);
  return { events: page, next: page.at(-1)?.id ?? query.after, more: rows.length > query.limit, pending: false };
}
