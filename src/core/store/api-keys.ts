/**
 * API keys for `/api/v1`. Only a SHA-256 of each key is stored (keys are 256
 * random bits: nothing to brute-force, so a fast hash is right), with a short
 * prefix to tell keys apart in listings.
 */
import { and, asc, eq, getTableColumns, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { isUuid } from './ids.js';
import { apiKeys, tenants, type ApiKeyRow } from './schema.js';

export type ApiKeyWithTenant = ApiKeyRow & { tenantSlug: string | null };

export async function insertApiKey(
  db: Db,
  values: Pick<ApiKeyRow, 'name' | 'scope' | 'tenantId' | 'keyHash' | 'prefix' | 'createdBy'>,
): Promise<ApiKeyRow> {
  const [row] = await db.insert(apiKeys).values(values).returning();
  return row!;
}

/** `tenantId`: only the keys restricted to that tenant (what a key of that tenant may see); null = every key. */
export function listApiKeys(db: Db, tenantId: string | null = null): Promise<ApiKeyWithTenant[]> {
  return db
    .select({ ...getTableColumns(apiKeys), tenantSlug: tenants.slug })
    .from(apiKeys)
    .leftJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(tenantId ? eq(apiKeys.tenantId, tenantId) : undefined)
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

/** `tenantId`: only a key restricted to that tenant matches; null = any key. */
export async function findApiKeyById(db: Db, id: string, tenantId: string | null = null): Promise<ApiKeyWithTenant | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select({ ...getTableColumns(apiKeys), tenantSlug: tenants.slug })
    .from(apiKeys)
    .leftJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(tenantId ? and(eq(apiKeys.id, id), eq(apiKeys.tenantId, tenantId)) : eq(apiKeys.id, id))
    .limit(1);
  return row;
}

/** The key a bearer hash names, revoked or not (the caller says which it was). */
export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).limit(1);
  return row;
}

/** Revoke now; a key already revoked keeps its first revocation time (undefined then). */
export async function revokeApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  return row;
}

/** Record use, at most once a minute per key (the caller also throttles in memory). */
export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`))));
}
