/** What sync-on-login reads. Every query names the tenant: a login never reaches another tenant's rows. */
import { sql } from 'drizzle-orm';
import { ConflictError } from '../errors/index.js';
import { queryRows, type Db } from '../store/index.js';

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

/** The stored user a login names, or undefined. An email or externalId held by several users is ambiguous. */
export async function findLoginUser(db: Db, tenantId: string, lookup: LoginLookup): Promise<StoredLoginRow | undefined> {
  const where = lookup.userName
    ? sql`lower(u.user_name) = lower(${lookup.userName})`
    : lookup.email
      ? sql`lower(u.email) = lower(${lookup.email})`
      : sql`u.external_id = ${lookup.externalId ?? ''}`;
  const rows = await queryRows<StoredLoginRow>(
    db,
    sql`select u.id, u.connection_id, u.external_id, u.active, u.source_hash from users u
        where u.tenant_id = ${tenantId}::uuid and ${where} order by u.active desc, u.created_at limit 2`,
  );
  if (rows.length > 1) {
    const what = lookup.email ? 'email' : 'externalId';
    throw new ConflictError(`several users of this tenant have this ${what}; identify the user by userName`);
  }
  return rows[0];
}

/** Pull connections of the tenant that may be asked live about a user Roster has not stored yet. */
export async function liveLoginConnections(db: Db, tenantId: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select id from connections where tenant_id = ${tenantId}::uuid and enabled and login_sync_enabled
        and kind in ('entra', 'okta', 'google') order by created_at`,
  );
  return rows.map((r) => r.id);
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

/** Stored groups of this connection among `externalIds`. */
export async function knownGroupsOf(db: Db, tenantId: string, connectionId: string, externalIds: string[]): Promise<Map<string, { id: string; sourceHash: string | null }>> {
  if (externalIds.length === 0) return new Map();
  const rows = await queryRows<{ id: string; external_id: string; source_hash: string | null }>(
    db,
    sql`select g.id, g.external_id, g.source_hash from groups g
        where g.tenant_id = ${tenantId}::uuid and g.connection_id = ${connectionId}::uuid
          and g.external_id in (select value from json_array_elements_text(${JSON.stringify(externalIds)}::text::json))`,
  );
  return new Map(rows.map((r) => [r.external_id, { id: r.id, sourceHash: r.source_hash }]));
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
}

export async function loginUserView(db: Db, tenantId: string, userId: string): Promise<LoginUserView | undefined> {
  const [row] = await queryRows<LoginUserView>(
    db,
    sql`select u.id, u.user_name as "userName", u.email, u.display_name as "displayName", u.external_id as "externalId", u.active,
               u.connection_id as "connectionId",
               to_char(u.deactivated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "deactivatedAt", to_char(u.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedAt"
        from users u where u.tenant_id = ${tenantId}::uuid and u.id = ${userId}::uuid`,
  );
  return row;
}
