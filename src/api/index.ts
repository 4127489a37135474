/**
 * The JSON admin API under `/api/v1`. Every route, and every unknown path
 * under the prefix, needs a bearer key: the caller is resolved once per
 * request, before routing reaches a handler. Errors take the one JSON shape
 * of src/errors through the server's error handler.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError, UnauthorizedError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { Db } from '../store/index.js';
import { registerLoginSyncRoute, type LoginSyncService } from '../login-sync/index.js';
import { ApiAuthenticator, requireScope, type ApiCaller } from './auth.js';
import { registerApiRoutes } from './routes.js';

export const API_PREFIX = '/api/v1';

export interface ApiOptions {
  db: Db;
  logger: Logger;
  adminToken?: string | undefined;
  /** How long an events read waits for older transactions to end (default DEFAULT_FEED_WAIT_MS). */
  feedWaitMs?: number | undefined;
  /** Answers `POST /api/v1/login-sync`. */
  loginSync?: LoginSyncService | undefined;
}

const callers = new WeakMap<FastifyRequest, ApiCaller>();

function callerOf(request: FastifyRequest): ApiCaller {
  const caller = callers.get(request);
  // The onRequest hook runs before every handler of this plugin: a miss is a wiring bug.
  if (!caller) throw new Error('API caller missing: route registered outside the authenticated scope');
  return caller;
}

export function registerApi(app: FastifyInstance, options: ApiOptions): void {
  const auth = new ApiAuthenticator(options);
  void app.register(
    async (api) => {
      const authenticate = async (request: FastifyRequest, reply: { header(name: string, value: string): unknown }) => {
        try {
          callers.set(request, await auth.authenticate(request.headers.authorization));
        } catch (err) {
          // RFC 6750 §3: a 401 names the scheme it wants.
          if (err instanceof UnauthorizedError) reply.header('www-authenticate', 'Bearer realm="roster"');
          throw err;
        }
      };
      api.addHook('onRequest', authenticate);
      api.setNotFoundHandler({ preHandler: authenticate }, async (request) => {
        throw new NotFoundError(`no route ${request.method} ${request.url}`);
      });
      registerApiRoutes(api, { db: options.db, caller: callerOf, feedWaitMs: options.feedWaitMs });
      if (options.loginSync) {
        const service = options.loginSync;
        registerLoginSyncRoute(api, { db: options.db, service, caller: callerOf, requireLoginScope: (r) => requireScope(callerOf(r), 'login-sync') });
      }
    },
    { prefix: API_PREFIX },
  );
}

export { API_KEY_SCOPES, generateApiKey, hashApiKey, type ApiKeyScope } from './keys.js';
export type { ApiCaller } from './auth.js';
