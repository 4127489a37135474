/**
 * Turning what people type into rows, for the CLI's operations and the API's
 * routes alike: a tenant by slug or id, a connection by id or `tenant/name`,
 * a user by id or userName within a tenant, a role by id or name. Lookups
 * are confined to the tenants the caller reaches (`TenantReach`): the
 * restriction is in the query itself (never fetch-then-compare), so a
 * tenant-restricted API key cannot read another tenant's row even by
 * mistake, and a miss, whether the row does not exist or belongs elsewhere,
 * is the same NotFoundError naming what was asked for.
 */
import { NotFoundError, ValidationError } from '../../core/errors/index.js';
import {
  findApiKeyById,
  findWebhook,
  findConnectionById,
  findConnectionByIdOrName,
  findConnectionByName,
  findConnectionForCaller,
  findConnectionScimToken,
  findRoleById,
  findRoleByName,
  findTenantById,
  findTenantMappingId,
  findTenantWithin,
  findUserById,
  findUserByUserName,
  findUserTenantId,
  isUuid,
  listTenantsWithin,
  type ConnectionRow,
  type Db,
  type RoleRow,
  type ScimTokenRow,
  type TenantRow,
  type UserRow,
  type WebhookRow,
} from '../../core/store/index.js';

/** The tenants a caller reaches: only `tenantId` (a tenant-restricted API key), or every tenant (null). */
export interface TenantReach {
  tenantId: string | null;
}

/** The CLI, the admin token and admin keys of no tenant reach every tenant. */
export const EVERY_TENANT: TenantReach = { tenantId: null };

export async function resolveTenant(db: Db, ref: string, caller: TenantReach = EVERY_TENANT): Promise<TenantRow> {
  const tenant = await findTenantWithin(db, ref, caller.tenantId);
  if (!tenant) throw new NotFoundError(`tenant "${ref}" not found`);
  return tenant;
}

/** The tenant a request means: the one it names, else a restricted caller's own; null = every tenant. */
export async function resolveOptionalTenant(db: Db, ref: string | undefined, caller: TenantReach): Promise<TenantRow | null> {
  if (ref !== undefined) return resolveTenant(db, ref, caller);
  return caller.tenantId ? resolveTenant(db, caller.tenantId, caller) : null;
}

/** The tenants the caller reaches, by slug. */
export function tenantsInReach(db: Db, caller: TenantReach): Promise<TenantRow[]> {
  return listTenantsWithin(db, caller.tenantId);
}

/** A connection by id alone (the API's path parameter), with its tenant's slug. */
export async function resolveConnectionById(db: Db, id: string, caller: TenantReach): Promise<ConnectionRow & { tenantSlug: string }> {
  const row = isUuid(id) ? await findConnectionForCaller(db, id, caller.tenantId) : undefined;
  if (!row) throw new NotFoundError(`connection "${id}" not found`);
  return row;
}

/** `ref` is a connection id or `tenant/name`; with `tenant` known, a bare name works too. */
export async function resolveConnection(db: Db, ref: string, tenant?: TenantRow): Promise<ConnectionRow & { tenant: TenantRow }> {
  let connection: ConnectionRow | undefined;
  let owner: TenantRow | undefined = tenant;
  if (isUuid(ref)) {
    connection = await findConnectionById(db, ref);
    if (connection && tenant && connection.tenantId !== tenant.id) connection = undefined;
  } else if (ref.includes('/')) {
    const slash = ref.indexOf('/');
    owner = await resolveTenant(db, ref.slice(0, slash));
    if (tenant && owner.id !== tenant.id) throw new ValidationError(`connection "${ref}" belongs to another tenant than "${tenant.slug}"`);
    connection = await findConnectionByName(db, owner.id, ref.slice(slash + 1));
  } else if (tenant) {
    connection = await findConnectionByName(db, tenant.id, ref);
  } else {
    throw new ValidationError(`connection "${ref}": give its id or tenant/name (e.g. acme/okta)`);
  }
  if (!connection) throw new NotFoundError(`connection "${ref}" not found`);
  owner ??= await findTenantById(db, connection.tenantId);
  return { ...connection, tenant: owner! };
}

/** A connection of this tenant by id or name (a mapping's `connection` in the API). */
export async function resolveTenantConnection(db: Db, tenant: TenantRow, ref: string): Promise<ConnectionRow> {
  const connection = await findConnectionByIdOrName(db, tenant.id, ref);
  if (!connection) throw new NotFoundError(`connection "${ref}" not found in tenant "${tenant.slug}"`);
  return connection;
}

/** A SCIM token of this connection (the connection was already resolved within the caller's reach). */
export async function resolveScimToken(db: Db, connection: ConnectionRow, id: string): Promise<ScimTokenRow> {
  const token = await findConnectionScimToken(db, connection.tenantId, connection.id, id);
  if (!token) throw new NotFoundError(`SCIM token "${id}" not found on this connection`);
  return token;
}

export async function resolveMapping(db: Db, tenant: TenantRow, id: string): Promise<{ id: string }> {
  const mapping = await findTenantMappingId(db, tenant.id, id);
  if (!mapping) throw new NotFoundError(`mapping "${id}" not found in tenant "${tenant.slug}"`);
  return mapping;
}

const findUserByRef = async (db: Db, tenantId: string, ref: string): Promise<UserRow | undefined> =>
  (await findUserById(db, tenantId, ref)) ?? (await findUserByUserName(db, tenantId, ref));

/** A user by id or userName within the tenant. */
export async function resolveTenantUser(db: Db, tenant: TenantRow, ref: string): Promise<UserRow> {
  const user = await findUserByRef(db, tenant.id, ref);
  if (!user) throw new NotFoundError(`user "${ref}" not found in tenant "${tenant.slug}"`);
  return user;
}

/**
 * `ref` is a user id, `tenant/userName`, or a userName with `tenantRef`.
 * A bare id needs no tenant: the id itself names one user.
 */
export async function resolveUser(db: Db, ref: string, tenantRef?: string): Promise<{ user: UserRow; tenant: TenantRow }> {
  let tenant: TenantRow | undefined;
  let name = ref;
  if (tenantRef) {
    tenant = await resolveTenant(db, tenantRef);
  } else if (isUuid(ref)) {
    const tenantId = await findUserTenantId(db, ref);
    if (tenantId) tenant = await findTenantById(db, tenantId);
  } else if (ref.includes('/')) {
    const slash = ref.indexOf('/');
    tenant = await resolveTenant(db, ref.slice(0, slash));
    name = ref.slice(slash + 1);
  } else {
    throw new ValidationError(`user "${ref}": give its id, tenant/userName, or --tenant <slug> with the userName`);
  }
  const user = tenant && (await findUserByRef(db, tenant.id, name));
  if (!tenant || !user) throw new NotFoundError(`user "${ref}" not found${tenantRef ? ` in tenant "${tenantRef}"` : ''}`);
  return { user, tenant };
}

/** A role by id or name within the tenant. */
export async function resolveRole(db: Db, tenant: TenantRow, ref: string): Promise<RoleRow> {
  const role = (await findRoleById(db, tenant.id, ref)) ?? (await findRoleByName(db, tenant.id, ref));
  if (!role) throw new NotFoundError(`role "${ref}" not found in tenant "${tenant.slug}"`);
  return role;
}

/** A webhook of this tenant (the tenant was already resolved within the caller's reach). */
export async function resolveWebhook(db: Db, tenant: TenantRow, id: string): Promise<WebhookRow> {
  const webhook = isUuid(id) ? await findWebhook(db, id, tenant.id) : undefined;
  if (!webhook) throw new NotFoundError(`webhook "${id}" not found in tenant "${tenant.slug}"`);
  return webhook;
}

/** An API key the caller may manage: a tenant-restricted caller reaches only its own tenant's keys. */
export async function resolveApiKey(db: Db, id: string, caller: TenantReach): Promise<{ id: string }> {
  const key = await findApiKeyById(db, id, caller.tenantId);
  if (!key) throw new NotFoundError(`API key "${id}" not found`);
  return key;
}
