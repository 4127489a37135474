/** Read-side role queries. Roles are created through src/core/lifecycle (`role.create`). */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { roles, type RoleRow } from './schema.js';
import { isUuid } from './ids.js';

export function listRoles(db: Db, tenantId: string): Promise<RoleRow[]> {
  return db.select().from(roles).where(eq(roles.tenantId, tenantId)).orderBy(asc(roles.name));
}

export async function findRoleById(db: Db, tenantId: string, id: string): Promise<RoleRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select()
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), eq(roles.id, id)))
    .limit(1);
  return row;
}

export async function findRoleByName(db: Db, tenantId: string, name: string): Promise<RoleRow | undefined> {
  const [row] = await db
    .select()
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), eq(roles.name, name)))
    .limit(1);
  return row;
}
