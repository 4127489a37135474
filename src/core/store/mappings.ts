/** Read-side group-to-role mapping queries. Mappings change through src/core/lifecycle. */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { connections, groupRoleMappings, roles, type GroupRoleMappingRow } from './schema.js';
import { isUuid } from './ids.js';

export interface MappingView {
  id: string;
  roleId: string;
  roleName: string;
  matchBy: 'display_name' | 'external_id';
  groupRef: string;
  connectionId: string | null;
  connectionName: string | null;
  /** Groups of every connection match (then `connectionId` is null). */
  tenantWide: boolean;
  createdAt: Date;
}

export async function listMappings(db: Db, tenantId: string): Promise<MappingView[]> {
  const rows = await db
    .select({
      id: groupRoleMappings.id,
      roleId: groupRoleMappings.roleId,
      roleName: roles.name,
      matchBy: groupRoleMappings.matchBy,
      groupRef: groupRoleMappings.groupRef,
      connectionId: groupRoleMappings.connectionId,
      connectionName: connections.name,
      tenantWide: groupRoleMappings.tenantWide,
      createdAt: groupRoleMappings.createdAt,
    })
    .from(groupRoleMappings)
    .innerJoin(roles, and(eq(roles.id, groupRoleMappings.roleId), eq(roles.tenantId, tenantId)))
    .leftJoin(connections, and(eq(connections.id, groupRoleMappings.connectionId), eq(connections.tenantId, tenantId)))
    .where(eq(groupRoleMappings.tenantId, tenantId))
    .orderBy(asc(roles.name), asc(groupRoleMappings.groupRef));
  return rows.map((r) => ({ ...r, matchBy: r.matchBy as MappingView['matchBy'] }));
}

/** By id alone (the CLI's `mapping remove <id>`); the row tells the caller its tenant. */
export async function findMappingById(db: Db, id: string): Promise<GroupRoleMappingRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(groupRoleMappings).where(eq(groupRoleMappings.id, id)).limit(1);
  return row;
}

/** A mapping of this tenant by id (undefined when it belongs to another, or is no id). */
export async function findTenantMappingId(db: Db, tenantId: string, id: string): Promise<{ id: string } | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select({ id: groupRoleMappings.id })
    .from(groupRoleMappings)
    .where(and(eq(groupRoleMappings.tenantId, tenantId), eq(groupRoleMappings.id, id)))
    .limit(1);
  return row;
}
