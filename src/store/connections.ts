/** Connection queries; every read and write is scoped to a tenant except lookup by id. */
import { and, asc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Db } from './db.js';
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
