/**
 * Read-side group queries: for the SCIM routes and sync-on-login. Writes go
 * through src/core/lifecycle. Every query names the tenant and the connection.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';
import { pageOf, rowsById, rowsByIdIn, type ConnectionScope, type ScopedKeys, type ListOptions, type Page, type VersionedRow } from './scoped-reads.js';

/** A groups row as the SCIM routes render it. */
export interface ScimGroupRow extends VersionedRow {
  external_id: string | null;
  display_name: string;
  profile: Record<string, unknown> | null;
}

export const listScimGroupRows = (db: Db, scope: ConnectionScope, options: ListOptions): Promise<Page<ScimGroupRow>> => pageOf<ScimGroupRow>(db, 'groups', scope, options);
export const getScimGroupsById = (db: Db, scope: ConnectionScope, ids: string[]) => rowsById<ScimGroupRow>(db, 'groups', scope, ids);
/** Groups by id for several scopes at once (one query; see rowsByIdIn). */
export const getScimGroupsByIdIn = (db: Db, asks: ScopedKeys[]) => rowsByIdIn<ScimGroupRow>(db, 'groups', asks);

/** Members of the given groups, by group id: one query for a whole page of groups. */
export async function membersOf(
  db: Db,
  scope: ConnectionScope,
  groupIds: string[],
): Promise<Map<string, Array<{ id: string; display: string | null }>>> {
  const result = new Map<string, Array<{ id: string; display: string | null }>>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return result;
  const rows = await queryRows<{ group_id: string; id: string; display: string | null }>(db, membersOfQuery(scope, groupIds));
  for (const r of rows) result.get(r.group_id)?.push({ id: r.id, display: r.display });
  return result;
}

/**
 * membersOf's statement: one range of the memberships' primary key (group_id,
 * user_id) per group. Joined as a whole, a table nobody has analysed yet
 * makes the planner read every membership of the tenant (see probe in
 * scoped-reads.ts); OFFSET 0 keeps the per-group subquery apart.
 */
export const membersOfQuery = (scope: ConnectionScope, groupIds: string[]): SQL =>
  sql`select r.group_id, r.id, r.display
        from json_array_elements_text(${JSON.stringify(groupIds)}::text::json) as k(id)
        cross join lateral (select m.group_id, u.id, u.user_name, coalesce(m.display, u.display_name, u.user_name) as display
          from group_memberships m join users u on u.id = m.user_id
          where m.group_id = k.id::uuid and m.tenant_id = ${scope.tenantId}::uuid and u.connection_id = ${scope.connectionId}::uuid offset 0) r
        order by r.group_id, r.user_name`;

/** Stored groups of this connection among `externalIds`. */
export async function knownGroupsOf(
  db: Db,
  tenantId: string,
  connectionId: string,
  externalIds: string[],
): Promise<Map<string, { id: string; displayName: string; sourceHash: string | null }>> {
  if (externalIds.length === 0) return new Map();
  const rows = await queryRows<{ id: string; external_id: string; display_name: string; source_hash: string | null }>(
    db,
    // One probe of groups_connection_external_id_idx per externalId, not a read of the connection's groups (see membersOfQuery).
    sql`select r.* from json_array_elements_text(${JSON.stringify(externalIds)}::text::json) as k(external_id)
        cross join lateral (select g.id, g.external_id, g.display_name, g.source_hash from groups g
          where g.connection_id = ${connectionId}::uuid and g.external_id = k.external_id and g.tenant_id = ${tenantId}::uuid offset 0) r`,
  );
  return new Map(rows.map((r) => [r.external_id, { id: r.id, displayName: r.display_name, sourceHash: r.source_hash }]));
}
