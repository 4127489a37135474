/**
 * Read-side queries of users and their memberships: for the API, the SCIM
 * routes, sync-on-login and the reconciler. Writes go through src/core/lifecycle,
 * never here. Every query names the tenant, except finding which tenant a
 * user id belongs to.
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';
import { connections, groupMemberships, groups, roles, tenants, userRoles, users, type UserRow } from './schema.js';
import { isUuid } from './ids.js';
import { inScope, pageOf, probe, rowsById, rowsByIdIn, scopedKeysDocument, versionColumn, type ConnectionScope, type ScopedKeys, type ListOptions, type Page, type VersionedRow } from './scoped-reads.js';

/** Where a page of a tenant's users ended: its last user's userName and id. */
export interface UserListPosition {
  userName: string;
  id: string;
}

/**
 * A page of a tenant's users in userName order (case-insensitive, then id).
 * `after` continues after a position, its userName lowercased by the
 * database as the sort key is (keyset paging: users created or deleted
 * meanwhile shift nothing, and a late page costs what the first does);
 * `offset` skips rows.
 */
export function listUsersByTenant(db: Db, tenantId: string, page: { limit: number; offset?: number; after?: UserListPosition }): Promise<UserRow[]> {
  const after = page.after;
  return db
    .select()
    .from(users)
    .where(
      and(
        eq(users.tenantId, tenantId),
        after ? sql`(lower(${users.userName}), ${users.id}) > (lower(${after.userName}::text), ${after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(sql`lower(${users.userName})`), asc(users.id))
    .limit(page.limit)
    .offset(page.offset ?? 0);
}

export async function findUserById(db: Db, tenantId: string, id: string): Promise<UserRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, id)))
    .limit(1);
  return row;
}

/** userName is unique per tenant case-insensitively (users_tenant_username_uq), so this finds at most one. */
export async function findUserByUserName(db: Db, tenantId: string, userName: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), sql`lower(${users.userName}) = lower(${userName})`))
    .limit(1);
  return row;
}

export interface UserGroup {
  id: string;
  displayName: string;
  externalId: string | null;
  connectionId: string;
}

export function listUserGroups(db: Db, tenantId: string, userId: string): Promise<UserGroup[]> {
  return db
    .select({ id: groups.id, displayName: groups.displayName, externalId: groups.externalId, connectionId: groups.connectionId })
    .from(groupMemberships)
    .innerJoin(groups, and(eq(groups.id, groupMemberships.groupId), eq(groups.tenantId, tenantId)))
    .where(and(eq(groupMemberships.tenantId, tenantId), eq(groupMemberships.userId, userId)))
    .orderBy(asc(groups.displayName));
}

export interface UserRole {
  id: string;
  name: string;
  /** `idp` (derived from group mappings) or `manual` (granted by an admin). */
  source: 'idp' | 'manual';
  grantedBy: string | null;
}

export async function listUserRoles(db: Db, tenantId: string, userId: string): Promise<UserRole[]> {
  const rows = await db
    .select({ id: roles.id, name: roles.name, source: userRoles.source, grantedBy: userRoles.grantedBy })
    .from(userRoles)
    .innerJoin(roles, and(eq(roles.id, userRoles.roleId), eq(roles.tenantId, tenantId)))
    .where(and(eq(userRoles.tenantId, tenantId), eq(userRoles.userId, userId)))
    .orderBy(asc(roles.name), asc(userRoles.source));
  return rows.map((r) => ({ ...r, source: r.source as UserRole['source'] }));
}

/** The tenant a user id belongs to (an id alone names one user). */
export async function findUserTenantId(db: Db, id: string): Promise<string | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select({ tenantId: users.tenantId }).from(users).where(eq(users.id, id)).limit(1);
  return row?.tenantId;
}

/** `%` and `_` in a search are literal characters, not patterns. */
export const likePrefix = (text: string) => `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Users whose userName or email starts with `q` (case-insensitive), one page plus one to tell whether more follow. */
export function searchUsers(db: Db, tenantId: string, options: { q: string | undefined; limit: number; offset: number }): Promise<UserRow[]> {
  const pattern = options.q ? likePrefix(options.q) : undefined;
  return db
    .select()
    .from(users)
    .where(
      and(
        eq(users.tenantId, tenantId),
        pattern ? sql`(lower(${users.userName}) like ${pattern} escape '\\' or lower(${users.email}) like ${pattern} escape '\\')` : undefined,
      ),
    )
    .orderBy(sql`lower(${users.userName})`, users.id)
    .limit(options.limit + 1)
    .offset(options.offset);
}

/** A claimed userName, the database's lower() of it, and the stored user holding that key if any. */
export interface UserNameHolderRow {
  name: string;
  key: string;
  userId: string | null;
  userName: string | null;
  /** `tenant/connection` of the holder. */
  connection: string | null;
}

/**
 * Who holds each of `names` in the tenant, in any connection, keyed by the
 * database's own lower() (what the unique index compares). Batches of 10k
 * names, each one probe of users_tenant_username_uq per name.
 */
export async function readUserNameHolders(db: Db, tenantId: string, names: string[]): Promise<UserNameHolderRow[]> {
  const found: UserNameHolderRow[] = [];
  for (let i = 0; i < names.length; i += 10_000) {
    const rows = await queryRows<UserNameHolderRow>(
      db,
      // LATERAL with LIMIT: a probe per name whatever the statistics say (see probe in scoped-reads.ts).
      sql`with claimed as (select value as name from json_array_elements_text(${JSON.stringify(names.slice(i, i + 10_000))}::text::json))
          select n.name, lower(n.name) as key, u.id::text as "userId", u.user_name as "userName", t.slug || '/' || c.name as connection
          from claimed n
          left join lateral (${probe(sql`select u.id, u.user_name, u.connection_id, u.tenant_id from ${users} u where u.tenant_id = ${tenantId}::uuid and lower(u.user_name) = lower(n.name)`)}) u on true
          left join ${connections} c on c.id = u.connection_id
          left join ${tenants} t on t.id = u.tenant_id`,
    );
    found.push(...rows);
  }
  return found;
}

/** A synced user as the reconciler compares it. */
export interface SyncedUserRow {
  id: string;
  externalId: string;
  userName: string;
  active: boolean;
  sourceHash: string | null;
  email: string | null;
}

export interface SyncedGroupRow {
  id: string;
  externalId: string;
  displayName: string;
  sourceHash: string | null;
}

/** What a connection holds of its IdP's directory: the rows with an external id, members as one string per group. */
export interface SyncedDirectory {
  users: SyncedUserRow[];
  groups: SyncedGroupRow[];
  /** One row per group: its members' ids separated by spaces. */
  memberships: Array<{ group_id: string; user_ids: string }>;
}

/** The connection's stored directory, one query per table (the reconciler reads it on every run). */
export async function readSyncedDirectory(db: Db, tenantId: string, connectionId: string): Promise<SyncedDirectory> {
  // Plain rows (no ORM mapping): 100k users are read on every run, delta runs included.
  const [userRows, groupRows, memberRows] = await Promise.all([
    queryRows<SyncedUserRow>(
      db,
      sql`select id::text as id, external_id as "externalId", user_name as "userName", active, source_hash as "sourceHash", email
          from ${users} where tenant_id = ${tenantId}::uuid and connection_id = ${connectionId}::uuid and external_id is not null`,
    ),
    queryRows<SyncedGroupRow>(
      db,
      sql`select id::text as id, external_id as "externalId", display_name as "displayName", source_hash as "sourceHash"
          from ${groups} where tenant_id = ${tenantId}::uuid and connection_id = ${connectionId}::uuid and external_id is not null`,
    ),
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
  return { users: userRows, groups: groupRows, memberships: memberRows };
}

/** How a login names its user: the first of these that is given is used. */
export interface LoginLookup {
  userName?: string | undefined;
  email?: string | undefined;
  externalId?: string | undefined;
}

export interface StoredLoginRow {
  id: string;
  connection_id: string;
  external_id: string | null;
  active: boolean;
  source_hash: string | null;
}

/** The (at most two: the caller tells ambiguity) stored users a login names, active first, then oldest. */
export function findLoginUsers(db: Db, tenantId: string, lookup: LoginLookup): Promise<StoredLoginRow[]> {
  const where = lookup.userName
    ? sql`lower(u.user_name) = lower(${lookup.userName})`
    : lookup.email
      ? sql`lower(u.email) = lower(${lookup.email})`
      : sql`u.external_id = ${lookup.externalId ?? ''}`;
  return queryRows<StoredLoginRow>(
    db,
    sql`select u.id, u.connection_id, u.external_id, u.active, u.source_hash from users u
        where u.tenant_id = ${tenantId}::uuid and ${where} order by u.active desc, u.created_at limit 2`,
  );
}

/** The stored user's groups in this connection: group external id → group id. */
export async function storedMembershipsOf(db: Db, tenantId: string, connectionId: string, userId: string): Promise<Map<string, string>> {
  const rows = await queryRows<{ id: string; external_id: string }>(
    db,
    sql`select g.id, g.external_id from group_memberships m join groups g on g.id = m.group_id
        where m.tenant_id = ${tenantId}::uuid and m.user_id = ${userId}::uuid and g.connection_id = ${connectionId}::uuid
          and g.external_id is not null`,
  );
  return new Map(rows.map((r) => [r.external_id, r.id]));
}

export interface LoginUserView {
  id: string;
  userName: string;
  email: string | null;
  displayName: string | null;
  externalId: string | null;
  active: boolean;
  connectionId: string;
  deactivatedAt: string | null;
  updatedAt: string;
  /** Named custom attributes from the connection's attribute expressions; null when it has none. */
  customAttributes: Record<string, unknown> | null;
}

export async function loginUserView(db: Db, tenantId: string, userId: string): Promise<LoginUserView | undefined> {
  const [row] = await queryRows<LoginUserView>(
    db,
    sql`select u.id, u.user_name as "userName", u.email, u.display_name as "displayName", u.external_id as "externalId", u.active,
               u.connection_id as "connectionId",
               to_char(u.deactivated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "deactivatedAt", to_char(u.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedAt",
               u.custom_attributes as "customAttributes"
        from users u where u.tenant_id = ${tenantId}::uuid and u.id = ${userId}::uuid`,
  );
  return row;
}

/** A users row as the SCIM routes render it. */
export interface ScimUserRow extends VersionedRow {
  external_id: string | null;
  user_name: string;
  email: string | null;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  active: boolean;
  profile: Record<string, unknown> | null;
  custom_attributes: Record<string, unknown> | null;
}

export const listScimUserRows = (db: Db, scope: ConnectionScope, options: ListOptions): Promise<Page<ScimUserRow>> => pageOf<ScimUserRow>(db, 'users', scope, options);
export const getScimUsersById = (db: Db, scope: ConnectionScope, ids: string[]) => rowsById<ScimUserRow>(db, 'users', scope, ids);
/** Users by id for several scopes at once (one query; see rowsByIdIn). */
export const getScimUsersByIdIn = (db: Db, asks: ScopedKeys[]) => rowsByIdIn<ScimUserRow>(db, 'users', asks);

/**
 * The users with these userNames, per scope in the order asked, by the name
 * as asked: `userName eq` compares case-insensitively, with the same `lower()`
 * as the filter's SQL and the unique index. One query for every scope.
 */
export async function getScimUsersByUserNameIn(db: Db, asks: ScopedKeys[]): Promise<Array<Map<string, ScimUserRow>>> {
  const out = asks.map(() => new Map<string, ScimUserRow>());
  const { doc, count } = scopedKeysDocument(asks);
  if (count === 0) return out;
  // Planned at each call: see QueryOptions.planEachCall (the unique index and users_tenant_email_idx compete).
  const rows = await queryRows<ScimUserRow & { ask_: number; asked_: string }>(db, usersByUserNameInQuery(doc), { planEachCall: true });
  for (const { ask_, asked_, ...row } of rows) out[ask_]!.set(asked_, row);
  return out;
}

/** The users of this connection with these userNames, by the name as asked. */
export async function getScimUsersByUserName(db: Db, scope: ConnectionScope, names: string[]): Promise<Map<string, ScimUserRow>> {
  return (await getScimUsersByUserNameIn(db, [{ scope, keys: names }]))[0]!;
}

/** getScimUsersByUserName's statement for one scope, apart so that a test can EXPLAIN it. */
export const scimUsersByUserNameQuery = (scope: ConnectionScope, names: string[]): SQL => usersByUserNameInQuery(scopedKeysDocument([{ scope, keys: names }]).doc);

/** One probe of users_tenant_username_uq per name, in the name's own scope (see probe in scoped-reads.ts). */
const usersByUserNameInQuery = (doc: string): SQL =>
  sql`select k.o as ask_, k.k as asked_, r.*
        from json_to_recordset(${doc}::text::json) as k(o int, t uuid, c uuid, k text)
        cross join lateral (${probe(sql`select u.*, ${versionColumn('u')} from users u where lower(u.user_name) = lower(k.k) and u.tenant_id = k.t and u.connection_id = k.c`)}) r`;

/** A user of this connection with this externalId or userName: what a SCIM POST may link to. */
export async function findLinkableUser(db: Db, scope: ConnectionScope, externalId: string | null, userName: string): Promise<ScimUserRow | undefined> {
  const [row] = await queryRows<ScimUserRow>(
    db,
    sql`select u.*, ${versionColumn('u')} from users u
        where ${inScope('u', scope)} and (${externalId === null ? sql`false` : sql`u.external_id = ${externalId}`} or lower(u.user_name) = lower(${userName}))
        order by (u.external_id = ${externalId ?? ''}) desc limit 1`,
  );
  return row;
}
