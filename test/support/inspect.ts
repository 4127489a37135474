/** Read-back helpers for tests: plain SQL, so assertions do not depend on the code under test. */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/core/store/index.js';

export async function rolesOf(db: Db, userId: string): Promise<string[]> {
  const rows = await queryRows<{ name: string; source: string }>(
    db,
    sql`select r.name, ur.source from user_roles ur join roles r on r.id = ur.role_id where ur.user_id = ${userId}::uuid order by r.name, ur.source`,
  );
  return rows.map((r) => `${r.name}:${r.source}`);
}

export async function userRow(db: Db, userId: string) {
  const [row] = await queryRows<{ user_name: string; active: boolean; display_name: string | null; deactivated_at: unknown; source_hash: string | null }>(
    db,
    sql`select * from users where id = ${userId}::uuid`,
  );
  return row;
}

export async function countRows(db: Db, table: string, tenantId?: string): Promise<number> {
  const where = tenantId ? sql` where tenant_id = ${tenantId}::uuid` : sql``;
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.raw(table)}${where}`);
  return row!.n;
}

export interface AuditRow {
  id: number;
  action: string;
  entity_id: string;
  actor_type: string;
  actor_id: string | null;
  reason: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export async function auditOf(db: Db, entityId: string): Promise<AuditRow[]> {
  const rows = await queryRows<AuditRow>(db, sql`select * from audit_events where entity_id = ${entityId} order by id`);
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
