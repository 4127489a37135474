/** Tenant queries. Tenants are the isolation boundary, so they carry no tenant_id themselves. */
import { and, asc, desc, eq, or } from 'drizzle-orm';
import type { Db } from './db.js';
import { tenants, type TenantRow } from './schema.js';
import { isUuid } from './ids.js';

export async function insertTenant(db: Db, values: { slug: string; name: string }): Promise<TenantRow> {
  const [row] = await db.insert(tenants).values(values).returning();
  return row!;
}

export function listTenants(db: Db): Promise<TenantRow[]> {
  return db.select().from(tenants).orderBy(asc(tenants.slug));
}

export async function findTenantBySlug(db: Db, slug: string): Promise<TenantRow | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.slug, slug)).limit(1);
  return row;
}

export async function findTenantById(db: Db, id: string): Promise<TenantRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id)).limit(1);
  return row;
}

/** A tenant named by slug or id (the slug wins: slugs are what people type). */
export async function findTenant(db: Db, ref: string): Promise<TenantRow | undefined> {
  return (await findTenantBySlug(db, ref)) ?? (await findTenantById(db, ref));
}

/**
 * A tenant by slug or id, among the tenants a caller reaches: `within` is
 * the only tenant it may see, or null for every tenant. The restriction is
 * in the query itself (never fetch-then-compare). A slug wins over an id.
 */
export async function findTenantWithin(db: Db, ref: string, within: string | null): Promise<TenantRow | undefined> {
  const byRef = isUuid(ref) ? or(eq(tenants.slug, ref), eq(tenants.id, ref)) : eq(tenants.slug, ref);
  const [row] = await db
    .select()
    .from(tenants)
    .where(and(byRef, within ? eq(tenants.id, within) : undefined))
    .orderBy(desc(eq(tenants.slug, ref)))
    .limit(1);
  return row;
}

/** The tenants a caller reaches: `within` alone, or (null) all of them, by slug. */
export function listTenantsWithin(db: Db, within: string | null): Promise<TenantRow[]> {
  return db
    .select()
    .from(tenants)
    .where(within ? eq(tenants.id, within) : undefined)
    .orderBy(asc(tenants.slug));
}
