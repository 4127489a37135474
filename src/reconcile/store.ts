/**
 * The reconciler's queries: the connection's stored state (one query per
 * table, tenant and connection scoped), the sync lease, the cursor and the
 * sync_runs rows. Writes to users, groups and memberships are not here: they
 * go through the lifecycle layer.
 */
import { and, desc, eq, isNotNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../store/index.js';
import { queryRows, schema, type SyncRunRow } from '../store/index.js';
import type { NameHolder, NameLookup } from './collisions.js';
import type { Nesting, StoredGroup, StoredState, StoredUser } from './plan.js';

const { connections, groupMemberships, groups, syncRuns, tenants, users } = schema;

/**
 * Who holds each of `names` (userNames as given) in the tenant, in any
 * connection, and the key the unique index compares for each name: the
 * database's own lower(), never a JavaScript re-implementation of it (the
 * two fold some letters differently). Batches of 10k names, each one probe
 * of users_tenant_username_uq per name.
 */
export async function findUserNameHolders(db: Db, tenantId: string, names: string[]): Promise<NameLookup> {
  const keys = new Map<string, string>();
  const holders = new Map<string, NameHolder>();
  for (let i = 0; i < names.length; i += 10_000) {
    const rows = await queryRows<{ name: string; key: string; userId: string | null; userName: string | null; connection: string | null }>(
      db,
      sql`with claimed as (select value as name from json_array_elements_text(${JSON.stringify(names.slice(i, i + 10_000))}::text::json))
          select n.name, lower(n.name) as key, u.id::text as "userId", u.user_name as "userName", t.slug || '/' || c.name as connection
          from claimed n
          left join ${users} u on u.tenant_id = ${tenantId}::uuid and lower(u.user_name) = lower(n.name)
          left join ${connections} c on c.id = u.connection_id
          left join ${tenants} t on t.id = u.tenant_id`,
    );
    for (const r of rows) {
      keys.set(r.name, r.key);
      if (r.userId !== null) holders.set(r.key, { userId: r.userId, userName: r.userName!, connection: r.connection! });
    }
  }
  return { keys, holders };
}

export async function loadStoredState(db: Db, tenantId: string, connectionId: string, nesting: Nesting): Promise<StoredState> {
  // Plain rows (no ORM mapping): 100k users are read on every run, delta runs included.
  const [userRows, groupRows, memberRows] = await Promise.all([
    queryRows<StoredUser>(
      db,
      sql`select id::text as id, external_id as "externalId", user_name as "userName", active, source_hash as "sourceHash", email
          from ${users} where tenant_id = ${tenantId}::uuid and connection_id = ${connectionId}::uuid and external_id is not null`,
    ),
    db
      .select({ id: groups.id, externalId: groups.externalId, displayName: groups.displayName, sourceHash: groups.sourceHash })
      .from(groups)
      .where(and(eq(groups.tenantId, tenantId), eq(groups.connectionId, connectionId), isNotNull(groups.externalId))),
    // One row per group, its members' ids in one string: 500k membership rows
    // as row objects cost hundreds of MB at load; 5k strings do not.
    queryRows<{ group_id: string; user_ids: string }>(
      db,
      sql`select m.group_id::text as group_id, string_agg(m.user_id::text, ' ') as user_ids
          from ${groupMemberships} m join ${groups} g on g.id = m.group_id
          where m.tenant_id = ${tenantId}::uuid and g.connection_id = ${connectionId}::uuid
          group by m.group_id`,
    ),
  ]);
  // external_id is not unique in the table (SCIM clients reuse it); a pull
  // connection keeps one record per IdP id, so the first one wins.
  const seenUsers = new Set<string>();
  const seenGroups = new Set<string>();
  const storedUsers: StoredUser[] = [];
  for (const u of userRows) if (!seenUsers.has(u.externalId) && seenUsers.add(u.externalId)) storedUsers.push(u);
  const storedGroups: StoredGroup[] = [];
  for (const g of groupRows) if (!seenGroups.has(g.externalId!) && seenGroups.add(g.externalId!)) storedGroups.push(g as StoredGroup);
  return {
    connectionId,
    users: storedUsers,
    groups: storedGroups,
    memberships: memberRows.map((r) => ({ groupId: r.group_id, userIds: r.user_ids.split(' ') })),
    nesting,
  };
}

/** Take the connection's lease when it is free, expired, or already ours. */
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

/**
 * Runs left `running` by a process that died. Called with the lease held, so
 * no live run of the connection can be among them.
 */
export async function failInterruptedRuns(db: Db, tenantId: string, connectionId: string): Promise<number> {
  const rows = await db
    .update(syncRuns)
    .set({ status: 'failed', error: 'interrupted: the process running it stopped before it finished', finishedAt: sql`now()` })
    .where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.connectionId, connectionId), eq(syncRuns.status, 'running')))
    .returning({ id: syncRuns.id });
  return rows.length;
}

export async function insertRun(db: Db, values: { tenantId: string; connectionId: string; trigger: string; mode: string }): Promise<SyncRunRow> {
  const [row] = await db.insert(syncRuns).values({ ...values, status: 'running' }).returning();
  return row!;
}

export type RunPatch = Partial<Pick<SyncRunRow, 'mode' | 'status' | 'usersSynced' | 'groupsSynced' | 'counts' | 'apiRequests' | 'error' | 'heldPlan'>>;

export async function finishRun(db: Db, id: string, patch: RunPatch): Promise<SyncRunRow> {
  const [row] = await db.update(syncRuns).set({ ...patch, finishedAt: sql`now()` }).where(eq(syncRuns.id, id)).returning();
  return row!;
}

export async function findRun(db: Db, tenantId: string, id: string): Promise<SyncRunRow | undefined> {
  const [row] = await db.select().from(syncRuns).where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.id, id)));
  return row;
}

/** The connection's latest run that could have changed something (dry runs change nothing). */
export async function latestRun(db: Db, tenantId: string, connectionId: string): Promise<SyncRunRow | undefined> {
  const [row] = await db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.connectionId, connectionId), ne(syncRuns.mode, 'dry-run')))
    .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
    .limit(1);
  return row;
}
