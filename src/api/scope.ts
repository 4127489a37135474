/**
 * Ids from a request, resolved within the tenant the caller may reach. Each
 * lookup puts the tenant into the query itself (never fetch-then-compare),
 * so a tenant-restricted key cannot read another tenant's row even by
 * mistake; a miss, whether the row does not exist or belongs elsewhere, is
 * the same 404, so a key learns nothing about other tenants.
 */
import { and, eq, or, sql } from 'drizzle-orm';
import { NotFoundError } from '../errors/index.js';
import { findConnectionForCaller } from '../reports/index.js';
import {
  findRoleById,
  findRoleByName,
  findUserById,
  findUserByUserName,
  isUuid,
  schema,
  type ConnectionRow,
  type Db,
  type RoleRow,
  type ScimTokenRow,
  type TenantRow,
  type UserRow,
} from '../store/index.js';
import type { ApiCaller } from './auth.js';

const { groupRoleMappings, scimTokens, tenants } = schema;

/** The tenants a caller sees: all of them, or its own. */
export function tenantsInScope(db: Db, caller: ApiCaller): Promise<TenantRow[]> {
  return db
    .select()
    .from(tenants)
    .where(caller.tenantId ? eq(tenants.id, caller.tenantId) : undefined)
    .orderBy(tenants.slug);
}

/** A tenant by slug or id, if the caller reaches it. */
export async function tenantInScope(db: Db, caller: ApiCaller, ref: string): Promise<TenantRow> {
  const byRef = isUuid(ref) ? or(eq(tenants.slug, ref), eq(tenants.id, ref)) : eq(tenants.slug, ref);
  const [row] = await db
    .select()
    .from(tenants)
    .where(and(byRef, caller.tenantId ? eq(tenants.id, caller.tenantId) : undefined))
    .limit(1);
  if (!row) throw new NotFoundError(`tenant "${ref}" not found`);
  return row;
}

/** The tenant a request means: the one it names, else a restricted key's own; null = every tenant. */
export async function optionalTenantInScope(db: Db, caller: ApiCaller, ref: string | undefined): Promise<TenantRow | null> {
  if (ref !== undefined) return tenantInScope(db, caller, ref);
  return caller.tenantId ? tenantInScope(db, caller, caller.tenantId) : null;
}

export async function connectionInScope(db: Db, caller: ApiCaller, id: string): Promise<ConnectionRow & { tenantSlug: string }> {
  const row = isUuid(id) ? await findConnectionForCaller(db, id, caller.tenantId) : undefined;
  if (!row) throw new NotFoundError(`connection "${id}" not found`);
  return row;
}

/** A connection of this tenant by id or name (a mapping's `connection`). */
export async function tenantConnection(db: Db, tenant: TenantRow, ref: string): Promise<ConnectionRow> {
  const { connections } = schema;
  const byRef = isUuid(ref) ? or(eq(connections.id, ref), eq(connections.name, ref)) : eq(connections.name, ref);
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.tenantId, tenant.id), byRef))
    .limit(1);
  if (!row) throw new NotFoundError(`connection "${ref}" not found in tenant "${tenant.slug}"`);
  return row;
}

/** A SCIM token of this connection (the connection was already resolved in scope). */
export async function scimTokenInScope(db: Db, connection: ConnectionRow, id: string): Promise<ScimTokenRow> {
  const [row] = isUuid(id)
    ? await db
        .select()
        .from(scimTokens)
        .where(and(eq(scimTokens.tenantId, connection.tenantId), eq(scimTokens.connectionId, connection.id), eq(scimTokens.id, id)))
        .limit(1)
    : [];
  if (!row) throw new NotFoundError(`SCIM token "${id}" not found on this connection`);
  return row;
}

export async function mappingInScope(db: Db, tenant: TenantRow, id: string): Promise<{ id: string }> {
  const [row] = isUuid(id)
    ? await db
        .select({ id: groupRoleMappings.id })
        .from(groupRoleMappings)
        .where(and(eq(groupRoleMappings.tenantId, tenant.id), eq(groupRoleMappings.id, id)))
        .limit(1)
    : [];
  if (!row) throw new NotFoundError(`mapping "${id}" not found in tenant "${tenant.slug}"`);
  return row;
}

/** A user by id or userName within the tenant. */
export async function userInScope(db: Db, tenant: TenantRow, ref: string): Promise<UserRow> {
  const user = (await findUserById(db, tenant.id, ref)) ?? (await findUserByUserName(db, tenant.id, ref));
  if (!user) throw new NotFoundError(`user "${ref}" not found in tenant "${tenant.slug}"`);
  return user;
}

/** A role by id or name within the tenant. */
export async function roleInScope(db: Db, tenant: TenantRow, ref: string): Promise<RoleRow> {
  const role = (await findRoleById(db, tenant.id, ref)) ?? (await findRoleByName(db, tenant.id, ref));
  if (!role) throw new NotFoundError(`role "${ref}" not found in tenant "${tenant.slug}"`);
  return role;
}

/** `%` and `_` in a search are literal characters, not patterns. */
export const likePrefix = (text: string) => `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Users whose userName or email starts with `q` (case-insensitive), one page plus one to tell whether more follow. */
export function searchUsers(db: Db, tenantId: string, options: { q: string | undefined; limit: number; offset: number }): Promise<UserRow[]> {
  const { users } = schema;
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
