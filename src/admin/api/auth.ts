/**
 * Who calls `/api/v1`: a bearer API key (looked up by its hash, on every
 * request, so a revocation holds from the next request on), or the
 * `ROSTER_ADMIN_TOKEN` bootstrap token (compared in constant time).
 */
import { timingSafeEqual } from 'node:crypto';
import { ForbiddenError, UnauthorizedError } from '../../core/errors/index.js';
import type { Actor } from '../../core/lifecycle/index.js';
import { LastUsedRecorder } from '../../core/security/last-used.js';
import type { Logger } from '../../core/logging/index.js';
import { findApiKeyByHash, touchApiKey, type Db } from '../../core/store/index.js';
import { bearerOf, tokenMatches } from '../../core/security/bearer.js';
import { hashApiKey, type ApiKeyScope } from '../../core/security/credentials.js';

export interface ApiCaller {
  /** null for the bootstrap token. */
  keyId: string | null;
  scope: ApiKeyScope;
  /** The only tenant the caller reaches; null = every tenant. */
  tenantId: string | null;
  actor: Actor;
}

export interface ApiAuthOptions {
  db: Db;
  logger: Logger;
  /** ROSTER_ADMIN_TOKEN: an admin of every tenant, for bootstrapping the first keys. */
  adminToken?: string | undefined;
}

export class ApiAuthenticator {
  private readonly lastUsed: LastUsedRecorder;
  constructor(private readonly options: ApiAuthOptions) {
    this.lastUsed = new LastUsedRecorder({ db: options.db, logger: options.logger, touch: touchApiKey, credential: 'API key' });
  }

  async authenticate(authorization: string | undefined): Promise<ApiCaller> {
    const presented = bearerOf(authorization);
    if (!presented) throw new UnauthorizedError('an API key is required (Authorization: Bearer <key>)');
    if (tokenMatches(presented, this.options.adminToken)) {
      return { keyId: null, scope: 'admin', tenantId: null, actor: { type: 'admin', id: 'ROSTER_ADMIN_TOKEN' } };
    }
    const hash = hashApiKey(presented);
    const row = await findApiKeyByHash(this.options.db, hash);
    // The index lookup finds the row; the constant-time comparison is belt and braces.
    if (!row || !timingSafeEqual(Buffer.from(row.keyHash, 'hex'), Buffer.from(hash, 'hex'))) {
      throw new UnauthorizedError('the API key is not valid');
    }
    if (row.revokedAt) throw new UnauthorizedError('the API key has been revoked');
    this.lastUsed.record(row.id);
    const scope = row.scope as ApiKeyScope;
    return { keyId: row.id, scope, tenantId: row.tenantId, actor: { type: scope === 'admin' ? 'admin' : 'login', id: `api-key:${row.name}` } };
  }
}

export function requireScope(caller: ApiCaller, scope: ApiKeyScope): void {
  if (caller.scope !== scope) throw new ForbiddenError(`this API key has the ${caller.scope} scope; this endpoint needs ${scope}`);
}
