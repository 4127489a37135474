/**
 * Audit events written outside the lifecycle layer (tenant and connection
 * administration), and the recent-events read. The lifecycle layer writes its
 * own events in the statement that makes each change.
 */
import { desc, eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { auditEvents, type AuditEventRow } from './schema.js';

export interface AuditInput {
  tenantId: string;
  connectionId?: string | null;
  action: string;
  entityType: string;
  entityId: string;
  actorType: string;
  actorId?: string | null;
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
