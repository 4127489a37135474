/** Read-side user queries. Writes go through src/lifecycle, never here. */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { groupMemberships, groups, roles, userRoles, users, type UserRow } from './schema.js';
import { isUuid } from './ids.js';

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
