/**
 * SCIM bearer tokens. Only a SHA-256 of each token is stored (tokens are 256
 * random bits, so a fast hash is the right tool: nothing to brute-force), with
 * a short prefix to tell tokens apart in listings.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { isUuid } from './ids.js';
import { scimTokens, type ScimTokenRow } from './schema.js';

export async function insertScimToken(
  db: Db,
  values: { tenantId: string; connectionId: string; name: string; tokenHash: string; prefix: string; expiresAt: Date | null },
): Promise<ScimTokenRow> {
  const [row] = await db.insert(scimTokens).values(values).returning();
  return row!;
}

export function listScimTokens(db: Db, tenantId: string, connectionId: string): Promise<ScimTokenRow[]> {
  return db
    .select()
    .from(scimTokens)
    .where(and(eq(scimTokens.tenantId, tenantId), eq(scimTokens.connectionId, connectionId)))
    .orderBy(asc(scimTokens.createdAt));
}

export async function findScimTokenById(db: Db, id: string): Promise<ScimTokenRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(scimTokens).where(eq(scimTokens.id, id)).limit(1);
  return row;
}

/** Revoke now; a token already revoked keeps its first revocation time. */
export async function revokeScimToken(db: Db, tenantId: string, id: string): Promise<ScimTokenRow | undefined> {
  const [row] = await db
    .update(scimTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(scimTokens.tenantId, tenantId), eq(scimTokens.id, id), isNull(scimTokens.revokedAt)))
    .returning();
  return row;
}

/** Record use, at most once a minute per token (the caller also throttles in memory). */
export async function touchScimToken(db: Db, id: string): Promise<void> {
  await db.execute(
    sql`update scim_tokens set last_used_at = now()
        where id = ${id}::uuid and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
  );
}
