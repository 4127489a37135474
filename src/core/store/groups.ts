/**
 * Read-side group queries: for the SCIM routes and sync-on-login. Writes go
 * through src/core/lifecycle. Every query names the tenant and the connection.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';
import { pageOf, rowsById, type ConnectionScope, type ListOptions, type Page, type VersionedRow } from './scoped-reads.js';

/** A groups row as the SCIM routes render it. */
export interface ScimGroupRow extends VersionedRow {
  external_id: string | null;
  display_name: string;
  profile: Record<string, unknown> | null;
}

export const listScimGroupRows = (db: Db, scope: ConnectionScope, options: ListOptions): Promise<Page<ScimGroupRow>> => pageOf<ScimGroupRow>(db, 'groups', scope, options);
export const getScimGroupsById = (db: Db, scope: ConnectionScope, ids: string[]) => rowsById<ScimGroupRow>(db, 'groups', scope, ids);

/** Members of the given groups, by group id: one query for a whole page of groups. */
export async function membersOf(
  db: Db,
  scope: ConnectionScope,
  groupIds: string[],
): Promise<Map<string, Array<{ id: string; display: string | null }>>> {
  const result = new Map<string, Array<{ id: string; display: string | null }>>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return result;
  const rows = await queryRows<{ group_id: string; id: string; display: string | null }>(
    db,
    sql`select m.group_id, u.id, coalesce(m.display, u.display_name, u.user_name) as display
        from group_memberships m join users u on u.id = m.user_id
        where m.tenant_id = ${scope.tenantId}::uuid and u.connection_id = ${scope.connectionId}::uuid
          and m.group_id in (select value::uuid from json_array_elements_text(${JSON.stringify(groupIds)}::text::json))
        order by m.group_id, u.user_name`,
  );
  for (const r of rows) result.get(r.group_id)?.push({ id: r.id, display: r.display });
  return result;
}

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
    sql`select g.id, g.external_id, g.display_name, g.source_hash from groups g
        where g.tenant_id = ${tenantId}::uuid and g.connection_id = ${connectionId}::uuid
          and g.external_id in (select value from json_array_elements_text(${JSON.stringify(externalIds)}::text::json))`,
  );
  return new Map(rows.map((r) => [r.external_id, { id: r.id, displayName: r.display_name, sourceHash: r.source_hash }]));
}
