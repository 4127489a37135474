/**
 * Connection queries, their sync lease and delta cursor; every read and write
 * is scoped to a tenant except lookup by id, the lease (keyed by the
 * connection's id) and the metrics' listing across tenants.
 */
import { and, asc, eq, getTableColumns, inArray, or, sql } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';
import { connections, groups, tenants, users, type ConnectionRow } from './schema.js';
import { isUuid } from './ids.js';

export type NewConnection = Pick<ConnectionRow, 'tenantId' | 'name' | 'kind' | 'settings' | 'secrets' | 'schedule'> & {
  fullSchedule?: string | null;
  syncIntervalSeconds?: number | null;
  id?: string;
};

export type ConnectionPatch = Partial<
  Pick<
    ConnectionRow,
    | 'settings'
    | 'secrets'
    | 'schedule'
    | 'fullSchedule'
    | 'syncIntervalSeconds'
    | 'loginSyncEnabled'
    | 'loginSyncTimeoutMs'
    | 'enabled'
    | 'deletionThresholdCount'
    | 'deletionThresholdPercent'
    | 'pushEnabled'
    | 'scimRatePerMinute'
    | 'scimBurst'
    | 'scimPushWindowSeconds'
  >
>;

export async function insertConnection(db: Db, values: NewConnection): Promise<ConnectionRow> {
  const [row] = await db.insert(connections).values(values).returning();
  return row!;
}

export async function updateConnection(db: Db, tenantId: string, id: string, patch: ConnectionPatch): Promise<ConnectionRow | undefined> {
  const [row] = await db
    .update(connections)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(and(eq(connections.tenantId, tenantId), eq(connections.id, id)))
    .returning();
  return row;
}

export async function deleteConnection(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(connections)
    .where(and(eq(connections.tenantId, tenantId), eq(connections.id, id)))
    .returning({ id: connections.id });
  return rows.length > 0;
}

/** By id alone: the id is the caller's proof of which tenant it means (the row says which). */
export async function findConnectionById(db: Db, id: string): Promise<ConnectionRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(connections).where(eq(connections.id, id)).limit(1);
  return row;
}

export async function findConnectionByName(db: Db, tenantId: string, name: string): Promise<ConnectionRow | undefined> {
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.tenantId, tenantId), eq(connections.name, name)))
    .limit(1);
  return row;
}

export function listConnectionsByTenant(db: Db, tenantId: string): Promise<ConnectionRow[]> {
  return db.select().from(connections).where(eq(connections.tenantId, tenantId)).orderBy(asc(connections.name));
}

/** Every connection with its tenant's slug, for listings across tenants. */
export function listAllConnections(db: Db): Promise<Array<ConnectionRow & { tenantSlug: string }>> {
  return db
    .select({ ...getTableColumns(connections), tenantSlug: tenants.slug })
    .from(connections)
    .innerJoin(tenants, eq(tenants.id, connections.tenantId))
    .orderBy(asc(tenants.slug), asc(connections.name));
}

/** How many users and groups a connection still owns (a delete must account for them). */
export async function countConnectionContents(db: Db, tenantId: string, id: string): Promise<{ users: number; groups: number }> {
  const [u] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.connectionId, id)));
  const [g] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(groups)
    .where(and(eq(groups.tenantId, tenantId), eq(groups.connectionId, id)));
  return { users: Number(u?.n ?? 0), groups: Number(g?.n ?? 0) };
}

export async function listConnectionMemberIds(db: Db, tenantId: string, id: string): Promise<{ userIds: string[]; groupIds: string[] }> {
  const u = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.connectionId, id)));
  const g = await db
    .select({ id: groups.id })
    .from(groups)
    .where(and(eq(groups.tenantId, tenantId), eq(groups.connectionId, id)));
  return { userIds: u.map((r) => r.id), groupIds: g.map((r) => r.id) };
}

/** A connection of this tenant by id or name (a name that looks like an id still matches as a name). */
export async function findConnectionByIdOrName(db: Db, tenantId: string, ref: string): Promise<ConnectionRow | undefined> {
  const byRef = isUuid(ref) ? or(eq(connections.id, ref), eq(connections.name, ref)) : eq(connections.name, ref);
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.tenantId, tenantId), byRef))
    .limit(1);
  return row;
}

/**
 * A connection by id, as a caller restricted to `tenantId` (null = any tenant)
 * may see it: another tenant's connection is simply not found.
 */
export async function findConnectionForCaller(
  db: Db,
  id: string,
  tenantId: string | null,
): Promise<(ConnectionRow & { tenantSlug: string }) | undefined> {
  const [row] = await db
    .select({ connection: connections, tenantSlug: tenants.slug })
    .from(connections)
    .innerJoin(tenants, eq(tenants.id, connections.tenantId))
    .where(and(sql`${connections.id}::text = ${id}`, tenantId ? eq(connections.tenantId, tenantId) : undefined))
    .limit(1);
  return row ? { ...row.connection, tenantSlug: row.tenantSlug } : undefined;
}

/**
 * Enabled connections of the tenant, of the given kinds, that may be asked
 * live at login (oldest first).
 */
export async function listLoginSyncConnectionIds(db: Db, tenantId: string, kinds: readonly string[]): Promise<string[]> {
  if (kinds.length === 0) return [];
  const rows = await db
    .select({ id: connections.id })
    .from(connections)
    .where(
      and(
        eq(connections.tenantId, tenantId),
        eq(connections.enabled, true),
        eq(connections.loginSyncEnabled, true),
        inArray(connections.kind, [...kinds]),
      ),
    )
    .orderBy(asc(connections.createdAt));
  return rows.map((r) => r.id);
}

/** What the metrics report per connection: its size and when its last (successful) sync finished, in epoch seconds. */
export interface ConnectionStateRow {
  tenant: string;
  connection: string;
  kind: string;
  users: number;
  groups: number;
  last_sync: number | null;
  last_success: number | null;
}

/** Every connection's state, across tenants (a metrics scrape). Dry runs change nothing, so they do not count. */
export function readConnectionStates(db: Db): Promise<ConnectionStateRow[]> {
  return queryRows<ConnectionStateRow>(
    db,
    sql`select t.slug as tenant, c.name as connection, c.kind,
          (select count(*) from users u where u.connection_id = c.id)::int as users,
          (select count(*) from groups g where g.connection_id = c.id)::int as groups,
          (select extract(epoch from max(r.finished_at))::float8 from sync_runs r
            where r.connection_id = c.id and r.mode <> 'dry-run') as last_sync,
          (select extract(epoch from max(r.finished_at))::float8 from sync_runs r
            where r.connection_id = c.id and r.mode <> 'dry-run' and r.status = 'succeeded') as last_success
        from connections c join tenants t on t.id = c.tenant_id`,
  );
}

/** Take the connection's sync lease when it is free, expired, or already ours. */
export async function acquireLease(db: Db, connectionId: string, owner: string, ttlMs: number): Promise<boolean> {
  const rows = await db
    .update(connections)
    .set({ leaseOwner: owner, leaseExpiresAt: sql`now() + ${`${Math.ceil(ttlMs / 1000)} seconds`}::interval` })
    .where(
      and(
        eq(connections.id, connectionId),
        sql`(${connections.leaseOwner} is null or ${connections.leaseExpiresAt} is null or ${connections.leaseExpiresAt} < now() or ${connections.leaseOwner} = ${owner})`,
      ),
    )
    .returning({ id: connections.id });
  return rows.length > 0;
}

export async function releaseLease(db: Db, connectionId: string, owner: string): Promise<void> {
  await db
    .update(connections)
    .set({ leaseOwner: null, leaseExpiresAt: null })
    .where(and(eq(connections.id, connectionId), eq(connections.leaseOwner, owner)));
}

export async function saveCursor(db: Db, tenantId: string, connectionId: string, cursor: unknown): Promise<void> {
  await db
    .update(connections)
    .set({ deltaCursor: cursor as object })
    .where(and(eq(connections.tenantId, tenantId), eq(connections.id, connectionId)));
}
