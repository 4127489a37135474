/**
 * The JSON admin API under `/api/v1`. Every route, and every unknown path
 * under the prefix, needs a bearer key: the caller is resolved once per
 * request, before routing reaches a handler. Errors take the one JSON shape
 * of src/core/errors through the server's error handler. The OpenAPI document is
 * the one path outside the key check: it describes, it reveals no data.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError, RateLimitedError, UnauthorizedError } from '../../core/errors/index.js';
import type { Logger } from '../../core/logging/index.js';
import { metrics } from '../../core/metrics/index.js';
import type { BadKeyLimiter } from '../../core/security/bad-keys.js';
import type { OperationContext } from '../operations/index.js';
import type { Db } from '../../core/store/index.js';
import { LoginSyncService } from '../../login/index.js';
import { ApiAuthenticator, type ApiCaller } from './auth.js';
import { buildOpenApiDocument, OPENAPI_PATH } from './openapi/document.js';
import { registerRoutes, type ApiRoute } from './route.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { connectionRoutes } from './routes/connections.js';
import { eventRoutes } from './routes/events.js';
import { kindRoutes } from './routes/kinds.js';
import { loginSyncRoutes } from './routes/login-sync.js';
import { provisionRoutes } from './routes/provision.js';
import { roleRoutes } from './routes/roles.js';
import { runRoutes } from './routes/runs.js';
import { provisioningLogRoutes } from './routes/provisioning-log.js';
import { scimTokenRoutes } from './routes/scim-tokens.js';
import { tenantRoutes } from './routes/tenants.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';

export const API_PREFIX = '/api/v1';

/** Every route this module serves under /api/v1; the OpenAPI document is built from this list. */
export const API_ROUTES: readonly ApiRoute[] = [
  ...tenantRoutes,
  ...connectionRoutes,
  ...kindRoutes,
  ...runRoutes,
  ...provisioningLogRoutes,
  ...provisionRoutes,
  ...scimTokenRoutes,
  ...roleRoutes,
  ...userRoutes,
  ...eventRoutes,
  ...loginSyncRoutes,
  ...webhookRoutes,
  ...apiKeyRoutes,
];

export interface ApiOptions {
  db: Db;
  logger: Logger;
  /** What the routes' operations run with; the actor is replaced by the API caller's. */
  context: OperationContext;
  adminToken?: string | undefined;
  /** How long an events read waits for older transactions to end (default DEFAULT_FEED_WAIT_MS). */
  feedWaitMs?: number | undefined;
  /** Throttles addresses that present bad keys (shared with the SCIM routes). */
  badKeys?: BadKeyLimiter | undefined;
}

const callers = new WeakMap<FastifyRequest, ApiCaller>();

function callerOf(request: FastifyRequest): ApiCaller {
  const caller = callers.get(request);
  // The onRequest hook runs before every handler of this plugin: a miss is a wiring bug.
  if (!caller) throw new Error('API caller missing: route registered outside the authenticated scope');
  return caller;
}

let document: Record<string, unknown> | undefined;

/** Built once per process: the routes do not change while it runs. */
export function openApiDocument(): Record<string, unknown> {
  if (!document) {
    // package.json is two folders up from both src/admin/api/ and dist/admin/api/.
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    document = buildOpenApiDocument(API_ROUTES, { version, prefix: API_PREFIX });
  }
  return document;
}

export function registerApi(app: FastifyInstance, options: ApiOptions): void {
  const auth = new ApiAuthenticator(options);
  // Outside the authenticated plugin below: describing the API needs no key.
  app.get(API_PREFIX + OPENAPI_PATH, async () => openApiDocument());
  void app.register(
    async (api) => {
      const authenticate = async (request: FastifyRequest, reply: { header(name: string, value: string): unknown }) => {
        // An address that keeps presenting bad keys waits before any is looked up (src/core/security/bad-keys.ts).
        const wait = options.badKeys?.retryAfterSeconds(request.ip) ?? 0;
        if (wait > 0) {
          metrics.recordRateLimited('bad-key');
          reply.header('retry-after', String(wait));
          throw new RateLimitedError(`too many requests with an invalid API key from this address; retry after ${wait} s`, wait);
        }
        try {
          callers.set(request, await auth.authenticate(request.headers.authorization));
        } catch (err) {
          // RFC 6750 §3: a 401 names the scheme it wants.
          if (err instanceof UnauthorizedError) {
            options.badKeys?.failed(request.ip);
            reply.header('www-authenticate', 'Bearer realm="roster"');
          }
          throw err;
        }
      };
      api.addHook('onRequest', authenticate);
      api.setNotFoundHandler({ preHandler: authenticate }, async (request) => {
        throw new NotFoundError(`no route ${request.method} ${request.url}`);
      });
      const { store, keyring } = options.context;
      const loginSync = new LoginSyncService({ store, keyring, logger: options.logger });
      registerRoutes(api, API_ROUTES, { db: options.db, context: options.context, feedWaitMs: options.feedWaitMs, loginSync }, callerOf);
    },
    { prefix: API_PREFIX },
  );
}

export { API_KEY_SCOPES, generateApiKey, hashApiKey, type ApiKeyScope } from '../../core/security/credentials.js';
export type { ApiCaller } from './auth.js';
