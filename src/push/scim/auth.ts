/**
 * Who is calling: a SCIM bearer token names exactly one connection, and
 * through it one tenant. Every SCIM query is then scoped to that connection.
 */
import { timingSafeEqual } from 'node:crypto';
import { findScimTokenCredential, onAnnounced, SCIM_AUTH_CHANNEL, type Db, type ScimTokenCredential, type Store } from '../../core/store/index.js';
import type { Logger } from '../../core/logging/index.js';
import { ScimError, scimErrors } from './errors.js';
import { DEFAULT_SCIM_RATE_LIMIT } from '../../core/connections/index.js';
import type { RateLimit } from './rate-limit.js';
import { bearerOf } from '../../core/security/bearer.js';
import { acceptsScimPush } from '../../pull/providers/index.js';
import { hashScimToken } from '../../core/security/credentials.js';
import { compileMapping, type CompiledMapping } from '../../core/mapping/index.js';

export interface ScimCaller {
  tokenId: string;
  tenantId: string;
  connectionId: string;
  rateLimit: RateLimit;
  /** The connection asks for 204 No Content on PATCH (some IdPs' reference clients expect it). */
  patchNoContent: boolean;
  /** `scim`, or the pull kind of a connection that also accepts pushes. */
  connectionKind: string;
  /** The connection's attribute expressions, evaluated over each pushed User; null when it has none. */
  mapping: CompiledMapping | null;
}

/** Compiled once per cached credential row: a SCIM request does not parse expressions. */
const compiled = new WeakMap<ScimTokenCredential, CompiledMapping | null>();
function mappingOf(row: ScimTokenCredential): CompiledMapping | null {
  let mapping = compiled.get(row);
  if (mapping === undefined) {
    mapping = compileMapping(row.expressions);
    compiled.set(row, mapping);
  }
  return mapping;
}

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
  private readonly rows = new Map<string, { row: ScimTokenCredential; at: number }>();
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

  get(hash: string): ScimTokenCredential | undefined {
    if (!this.listening) return undefined;
    const entry = this.rows.get(hash);
    if (entry && Date.now() - entry.at < ScimTokenCache.TTL_MS) return entry.row;
    if (entry) this.rows.delete(hash);
    return undefined;
  }

  put(hash: string, row: ScimTokenCredential): void {
    if (!this.listening) return;
    if (this.rows.size >= ScimTokenCache.MAX_ENTRIES) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(hash, { row, at: Date.now() });
  }

  private drop(connectionId: string): void {
    for (const [hash, { row }] of this.rows) if (row.connection_id === connectionId) this.rows.delete(hash);
  }
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
    row = await findScimTokenCredential(db, hash);
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
  // Whether a kind is pushed to is the registry's to say (src/pull/providers), not a kind named here.
  if (!acceptsScimPush({ kind: row.kind, pushEnabled: row.push_enabled })) throw new ScimError(403, undefined, 'this connection does not accept SCIM pushes (enable with: roster connection update <connection> --scim-push)');
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
    mapping: mappingOf(row),
  };
}
