/**
 * Turning what people type into rows: a tenant by slug or id, a connection by
 * id or `tenant/name`, a user by id or userName within a tenant, a role by id
 * or name. Each miss is a NotFoundError that names what was asked for.
 */
import { sql } from 'drizzle-orm';
import { NotFoundError, ValidationError } from '../errors/index.js';
import {
  findConnectionById,
  findConnectionByName,
  findRoleById,
  findRoleByName,
  findTenant,
  findTenantById,
  findUserById,
  findUserByUserName,
  isUuid,
  queryRows,
  type ConnectionRow,
  type Db,
  type RoleRow,
  type TenantRow,
  type UserRow,
} from '../store/index.js';

export async function resolveTenant(db: Db, ref: string): Promise<TenantRow> {
  const tenant = await findTenant(db, ref);
  if (!tenant) throw new NotFoundError(`tenant "${ref}" not found`);
  return tenant;
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
    const [hit] = await queryRows<{ tenant_id: string }>(db, sql`select tenant_id from users where id = ${ref}::uuid`);
    if (hit) tenant = await findTenantById(db, hit.tenant_id);
  } else if (ref.includes('/')) {
    const slash = ref.indexOf('/');
    tenant = await resolveTenant(db, ref.slice(0, slash));
    name = ref.slice(slash + 1);
  } else {
    throw new ValidationError(`user "${ref}": give its id, tenant/userName, or --tenant <slug> with the userName`);
  }
  const user = tenant && ((await findUserById(db, tenant.id, name)) ?? (await findUserByUserName(db, tenant.id, name)));
  if (!tenant || !user) throw new NotFoundError(`user "${ref}" not found${tenantRef ? ` in tenant "${tenantRef}"` : ''}`);
  return { user, tenant };
}

export async function resolveRole(db: Db, tenant: TenantRow, ref: string): Promise<RoleRow> {
  const role = (await findRoleById(db, tenant.id, ref)) ?? (await findRoleByName(db, tenant.id, ref));
  if (!role) throw new NotFoundError(`role "${ref}" not found in tenant "${tenant.slug}"`);
  return role;
}
