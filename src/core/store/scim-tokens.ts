/**
 * SCIM bearer tokens. Only a SHA-256 of each token is stored (tokens are 256
 * random bits, so a fast hash is the right tool: nothing to brute-force), with
 * a short prefix to tell tokens apart in listings.
 */
import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';
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
  await db
    .update(scimTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(scimTokens.id, id), or(isNull(scimTokens.lastUsedAt), lt(scimTokens.lastUsedAt, sql`now() - interval '1 minute'`))));
}

/** What authenticating a SCIM request needs of a token and its connection. */
export interface ScimTokenCredential {
  id: string;
  tenant_id: string;
  connection_id: string;
  token_hash: string;
  /** Expiry as epoch milliseconds: checked at use, so a cached row expires on time. */
  expires_ms: number | null;
  revoked: boolean;
  push_enabled: boolean;
  enabled: boolean;
  kind: string;
  scim_rate_per_minute: number | null;
  scim_burst: number | null;
  patch_response: string | null;
  /** The connection's attribute expressions (settings.expressions), or null. */
  expressions: unknown;
}

/** The token with this hash, revoked or expired alike (the caller says which), with its connection's settings. */
export async function findScimTokenCredential(db: Db, tokenHash: string): Promise<ScimTokenCredential | undefined> {
  const [row] = await queryRows<ScimTokenCredential>(
    db,
    sql`select t.id, t.tenant_id, t.connection_id, t.token_hash,
               (extract(epoch from t.expires_at) * 1000)::float8 as expires_ms,
               (t.revoked_at is not null) as revoked,
               c.push_enabled, c.enabled, c.kind,
               c.scim_rate_per_minute, c.scim_burst, c.settings->>'patchResponse' as patch_response,
               c.settings->'expressions' as expressions
        from scim_tokens t join connections c on c.id = t.connection_id
        where t.token_hash = ${tokenHash}`,
  );
  return row;
}

/** A token of this connection by id (undefined when it belongs to another, or is no id). */
export async function findConnectionScimToken(db: Db, tenantId: string, connectionId: string, id: string): Promise<ScimTokenRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select()
    .from(scimTokens)
    .where(and(eq(scimTokens.tenantId, tenantId), eq(scimTokens.connectionId, connectionId), eq(scimTokens.id, id)))
    .limit(1);
  return row;
}
