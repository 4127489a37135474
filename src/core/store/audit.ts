/**
 * Audit events written outside the lifecycle layer (tenant and connection
 * administration), the recent-events read, and the event feed's reads and
 * announcements (the ordering argument is in src/admin/events/feed.ts). The
 * lifecycle layer writes its own events in the statement that makes each
 * change.
 */
import { and, asc, desc, eq, getTableColumns, gt, lte, max, sql } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';
import { auditEvents, tenants, type AuditEventRow } from './schema.js';

export interface AuditInput {
  tenantId: string;
  connectionId?: string | null;
  action: string;
  entityType: string;
  entityId: string;
  actorType: string;
  actorId?: string | null;
  runId?: string | null;
  requestId?: string | null;
  reason?: string | null;
  /** Must never hold secrets: callers pass masked views. */
  before?: unknown;
  after?: unknown;
}

export async function insertAuditEvent(db: Db, event: AuditInput): Promise<void> {
  await db.insert(auditEvents).values({
    tenantId: event.tenantId,
    connectionId: event.connectionId ?? null,
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    actorType: event.actorType,
    actorId: event.actorId ?? null,
    runId: event.runId ?? null,
    requestId: event.requestId ?? null,
    reason: event.reason ?? null,
    before: event.before ?? null,
    after: event.after ?? null,
  });
}

export function listRecentAuditEvents(db: Db, tenantId: string, limit = 50): Promise<AuditEventRow[]> {
  return db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.tenantId, tenantId))
    .orderBy(desc(auditEvents.id))
    .limit(limit);
}

export type AuditEventWithTenant = AuditEventRow & { tenantSlug: string | null };

/** The largest event id visible now, of one tenant or (null) of all; 0 when there is none. */
export async function latestEventId(db: Db, tenantId: string | null): Promise<number> {
  const [top] = await db
    .select({ l: sql<string | null>`${max(auditEvents.id)}::text` })
    .from(auditEvents)
    .where(tenantId ? eq(auditEvents.tenantId, tenantId) : undefined);
  return Number(top?.l ?? 0);
}

/** A new transaction id, larger than every one assigned so far (`db` must be the database: this commits it). */
export async function freshTransactionId(db: Db): Promise<string> {
  const [row] = await queryRows<{ n: string }>(db, sql`select pg_current_xact_id()::text as n`);
  return row!.n;
}

/** Whether every transaction with an xid below `xid` has ended. */
export async function olderTransactionsEnded(db: Db, xid: string): Promise<boolean> {
  const [row] = await queryRows<{ settled: boolean }>(db, sql`select pg_snapshot_xmin(pg_current_snapshot()) >= ${xid}::xid8 as settled`);
  return row?.settled === true;
}

/** Events with ids in (after, upTo], of one tenant or (null) of all, in id order, with their tenant's slug. */
export function listEventsBetween(
  db: Db,
  range: { after: number; upTo: number; tenantId: string | null; limit: number },
): Promise<AuditEventWithTenant[]> {
  return db
    .select({ ...getTableColumns(auditEvents), tenantSlug: tenants.slug })
    .from(auditEvents)
    .leftJoin(tenants, eq(tenants.id, auditEvents.tenantId))
    .where(and(gt(auditEvents.id, range.after), lte(auditEvents.id, range.upTo), range.tenantId ? eq(auditEvents.tenantId, range.tenantId) : undefined))
    .orderBy(asc(auditEvents.id))
    .limit(range.limit);
}

/**
 * One poll of `roster_announce_events()` (drizzle/0008_event_announcer.sql):
 * notify every tenant with events not yet announced; returns how many were notified.
 */
export async function announceNewEvents(db: Db): Promise<number> {
  const [row] = await queryRows<{ sent: number }>(db, sql`select roster_announce_events() as sent`);
  return row?.sent ?? 0;
}
