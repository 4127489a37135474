/** Webhook rows. Every query names the tenant or the delivery lease it holds. */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { queryRows } from './db.js';
import { webhooks, type WebhookRow } from './schema.js';

export async function insertWebhook(db: Db, values: { id: string; tenantId: string; url: string; description: string | null; secret: string }): Promise<WebhookRow> {
  // Start after the newest event: a new endpoint gets what happens from now on, not the whole history.
  const [row] = await db
    .insert(webhooks)
    .values({ ...values, cursor: sql`(select coalesce(max(id), 0) from audit_events where tenant_id = ${values.tenantId}::uuid)` })
    .returning();
  return row!;
}

export function listWebhooks(db: Db, tenantId: string | null): Promise<WebhookRow[]> {
  const q = db.select().from(webhooks);
  return (tenantId ? q.where(eq(webhooks.tenantId, tenantId)) : q).orderBy(asc(webhooks.createdAt));
}

/** `tenantId`: only that tenant's webhook matches (the API's tenant path); omitted = any. */
export async function findWebhook(db: Db, id: string, tenantId?: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(webhooks).where(tenantId ? and(eq(webhooks.tenantId, tenantId), eq(webhooks.id, id)) : eq(webhooks.id, id)).limit(1);
  return row;
}

export async function deleteWebhook(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db.delete(webhooks).where(and(eq(webhooks.tenantId, tenantId), eq(webhooks.id, id))).returning({ id: webhooks.id });
  return rows.length === 1;
}

export interface LeasedWebhook {
  id: string;
  tenantId: string;
  url: string;
  /** Encrypted, as stored. */
  secret: string;
  cursor: number;
  consecutiveFailures: number;
}

/** Take the delivery lease of every due webhook that nobody holds: one replica delivers each webhook at a time. */
export async function leaseDueWebhooks(db: Db, owner: string, ttlMs: number, limit = 20): Promise<LeasedWebhook[]> {
  return queryRows<LeasedWebhook>(
    db,
    sql`update webhooks set lease_owner = ${owner}, lease_expires_at = now() + ${ttlMs}::int * interval '1 millisecond'
        where id in (select id from webhooks where enabled and next_attempt_at <= now()
                       and (lease_expires_at is null or lease_expires_at < now())
                     order by next_attempt_at limit ${limit} for update skip locked)
        returning id, tenant_id as "tenantId", url, secret, cursor::float8 as cursor, consecutive_failures as "consecutiveFailures"`,
  );
}

/** After a 2xx: move the cursor (only if nobody else did) and clear the failure count. */
export async function recordWebhookDelivered(db: Db, id: string, owner: string, from: number, to: number): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update webhooks set cursor = ${to}, consecutive_failures = 0, last_error = null, last_delivery_at = now(), next_attempt_at = now()
        where id = ${id}::uuid and lease_owner = ${owner} and cursor = ${from} returning id`,
  );
  return rows.length === 1;
}

export async function recordWebhookFailed(db: Db, id: string, owner: string, error: string, retryInMs: number): Promise<void> {
  await queryRows(
    db,
    sql`update webhooks set consecutive_failures = consecutive_failures + 1, last_error = ${error.slice(0, 500)},
          next_attempt_at = now() + ${retryInMs}::int * interval '1 millisecond'
        where id = ${id}::uuid and lease_owner = ${owner}`,
  );
}

export async function releaseWebhookLease(db: Db, id: string, owner: string): Promise<void> {
  await queryRows(db, sql`update webhooks set lease_owner = null, lease_expires_at = null where id = ${id}::uuid and lease_owner = ${owner}`);
}
