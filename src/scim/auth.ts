/**
 * Who is calling: a SCIM bearer token names exactly one connection, and
 * through it one tenant. Every SCIM query is then scoped to that connection.
 */
import { timingSafeEqual } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { onAnnounced, queryRows, SCIM_AUTH_CHANNEL, touchScimToken, type Db, type Store } from '../store/index.js';
import type { Logger } from '../logging/index.js';
import { ScimError, scimErrors } from './errors.js';
import { DEFAULT_SCIM_RATE_LIMIT } from '../connections/index.js';
import type { RateLimit } from './rate-limit.js';
import { bearerOf } from '../security/bearer.js';
import { hashScimToken } from '../security/credentials.js';

export interface ScimCaller {
  tokenId: string;
  tenantId: string;
  connectionId: string;
  rateLimit: RateLimit;
  /** The connection asks for 204 No Content on PATCH (some IdPs' reference clients expect it). */
  patchNoContent: boolean;
  /** `scim`, or the pull kind of a connection that also accepts pushes. */
  connectionKind: string;
}

interface TokenRow {
  id: string;
  tenant_id: string;
  connection_id: string;
  token_hash: string;
  /** Expiry as epoch milliseconds: checked at use, so a cached row expires on time. */
  expires_ms: number | null;
  revoked: boolean;
  accepts_push: boolean;
  enabled: boolean;
  kind: string;
  scim_rate_per_minute: number | null;
  scim_burst: number | null;
  patch_response: string | null;
}

/** Writes `last_used_at` at most once a minute per token and replica: no write per request. */
export class LastUsedRecorder {
  private readonly written = new Map<string, number>();
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}
  record(tokenId: string): void {
    const now = Date.now();
    if (now - (this.written.get(tokenId) ?? 0) < 60_000) return;
    this.written.set(tokenId, now);
    touchScimToken(this.db, tokenId).catch((err: unknown) => this.logger.warn('could not record SCIM token use', { error: err }));
  }
}

/**
 * Resolve the caller, or a 401/403 ScimError. `pathConnectionId` is set on
 * `/scim/v2/enterprise-idps/{connectionId}/...`: the token must belong to it.
 */
/**
 * Token lookups, cached per process so a SCIM request costs no round trip for
 * its credentials. An entry is dropped when its connection's tokens or
 * settings change: at once in the process that made the change, and by
 * NOTIFY (a table trigger) in every other replica. Entries also expire after
 * TTL_MS, which bounds staleness if a notification were ever lost while the
 * LISTEN connection was re-established. Until LISTEN is up nothing is cached.
 * Unknown tokens are never cached (no memory to fill with guesses).
 */
export class ScimTokenCache {
  static readonly TTL_MS = 10_000;
  static readonly MAX_ENTRIES = 10_000;
  private readonly rows = new Map<string, { row: TokenRow; at: number }>();
  private listening = false;
  private readonly stops: Array<() => unknown> = [];

  async start(store: Pick<Store, 'listen'>, logger: Logger): Promise<void> {
    this.stops.push(onAnnounced(SCIM_AUTH_CHANNEL, (connectionId) => this.drop(connectionId)));
    try {
      const unlisten = await store.listen(
        SCIM_AUTH_CHANNEL,
        (connectionId) => this.drop(connectionId),
        () => {
          // (Re)subscribed: anything announced while we were not listening is unknown.
          this.rows.clear();
          this.listening = true;
        },
      );
      this.stops.push(unlisten);
    } catch (err) {
      logger.warn('SCIM token lookups are not cached: could not LISTEN for token changes', { error: err });
    }
  }

  async stop(): Promise<void> {
    this.listening = false;
    this.rows.clear();
    for (const stop of this.stops.splice(0)) await stop();
  }

  get(hash: string): TokenRow | undefined {
    if (!this.listening) return undefined;
    const entry = this.rows.get(hash);
    if (entry && Date.now() - entry.at < ScimTokenCache.TTL_MS) return entry.row;
    if (entry) this.rows.delete(hash);
    return undefined;
  }

  put(hash: string, row: TokenRow): void {
    if (!this.listening) return;
    if (this.rows.size >= ScimTokenCache.MAX_ENTRIES) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(hash, { row, at: Date.now() });
  }

  private drop(connectionId: string): void {
    for (const [hash, { row }] of this.rows) if (row.connection_id === connectionId) this.rows.delete(hash);
  }
}

async function lookupToken(db: Db, hash: string): Promise<TokenRow | undefined> {
  const [row] = await queryRows<TokenRow>(
    db,
    sql`select t.id, t.tenant_id, t.connection_id, t.token_hash,
               (extract(epoch from t.expires_at) * 1000)::float8 as expires_ms,
               (t.revoked_at is not null) as revoked,
               (c.kind = 'scim' or c.push_enabled) as accepts_push, c.enabled, c.kind,
               c.scim_rate_per_minute, c.scim_burst, c.settings->>'patchResponse' as patch_response
        from scim_tokens t join connections c on c.id = t.connection_id
        where t.token_hash = ${hash}`,
  );
  return row;
}

/**
 * Resolve the caller, or a 401/403 ScimError. `pathConnectionId` is set on
 * `/scim/v2/enterprise-idps/{connectionId}/...`: the token must belong to it.
 */
export async function authenticateScim(db: Db, authorization: string | undefined, pathConnectionId?: string, cache?: ScimTokenCache): Promise<ScimCaller> {
  const token = bearerOf(authorization);
  if (!token) throw scimErrors.unauthorized('a bearer token is required (Authorization: Bearer <token>)');
  const hash = hashScimToken(token);
  let row = cache?.get(hash);
  if (!row) {
    row = await lookupToken(db, hash);
    if (row) cache?.put(hash, row);
  }
  // The index lookup (or the map) finds the row; the constant-time comparison is belt and braces.
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(hash, 'hex'))) {
    throw scimErrors.unauthorized('the bearer token is not valid');
  }
  if (row.revoked) throw scimErrors.unauthorized('the bearer token has been revoked');
  if (row.expires_ms !== null && Number(row.expires_ms) <= Date.now()) throw scimErrors.unauthorized('the bearer token has expired');
  if (pathConnectionId !== undefined && pathConnectionId !== row.connection_id) {
    throw scimErrors.unauthorized('the bearer token does not belong to this connection');
  }
  if (!row.accepts_push) throw new ScimError(403, undefined, 'this connection does not accept SCIM pushes (enable with: roster connection update <connection> --scim-push)');
  if (!row.enabled) throw new ScimError(403, undefined, 'this connection is disabled');
  return {
    tokenId: row.id,
    tenantId: row.tenant_id,
    connectionId: row.connection_id,
    rateLimit: {
      perMinute: row.scim_rate_per_minute ?? DEFAULT_SCIM_RATE_LIMIT.perMinute,
      burst: row.scim_burst ?? DEFAULT_SCIM_RATE_LIMIT.burst,
    },
    patchNoContent: row.patch_response === 'no-content',
    connectionKind: row.kind,
  };
}
