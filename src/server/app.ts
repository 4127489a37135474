/**
 * The HTTP server: health probes and the internal command endpoint through
 * which the CLI reaches the embedded database while `roster serve` holds it.
 * Errors become responses in one place (the error handler, via
 * apiErrorResponse); an unknown error is a 500 with a logged id.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { NotFoundError, UnauthorizedError } from '../core/errors/index.js';
import { apiErrorResponse } from '../admin/api/errors.js';
import type { Actor } from '../core/lifecycle/index.js';
import { operationNamed, runOperation, type OperationContext } from '../admin/operations/index.js';
import { metrics } from '../core/metrics/index.js';
import { appliedMigrationCount, pingDatabase, shippedMigrationCount } from '../core/store/index.js';
import { registerApi } from '../admin/api/index.js';
import { registerScim, SCIM_BODY_LIMIT } from '../push/scim/index.js';
import { registerConsole } from '../admin/console/index.js';
import { streamOperation, wantsStream } from './command-stream.js';
import { registerInputGuard } from './input-guard.js';
import { BadKeyLimiter } from '../core/security/bad-keys.js';
import { registerMetricsRoute } from './metrics-route.js';
import { bearerOf, tokenMatches } from '../core/security/bearer.js';

export interface ServerOptions {
  /** Bearer token of the command endpoint; without one the endpoint refuses every call. */
  commandToken?: string | undefined;
  /** ROSTER_ADMIN_TOKEN: bootstrap admin access to /api/v1 (see src/admin/api). */
  adminToken?: string | undefined;
  /** How long an /api/v1/events read waits for older transactions to end. */
  feedWaitMs?: number | undefined;
  /** ROSTER_METRICS_TOKEN: /metrics answers only this bearer token; unset = open. */
  metricsToken?: string | undefined;
  /** ROSTER_METRICS_PORT is set: /metrics is served there (startServer), not by this app. */
  metricsOnOwnPort?: boolean | undefined;
  /** ROSTER_PUBLIC_URL: links in answers (SCIM meta.location) are built on it, not on the Host header. */
  publicUrl?: string | undefined;
  /** Throttles requests with a bad SCIM token or API key, per client address (one for the whole server). */
  badKeys?: BadKeyLimiter | undefined;
}

export { tokenMatches } from '../core/security/bearer.js';

export function buildServer(ctx: OperationContext, options: ServerOptions = {}): FastifyInstance {
  // Paths match case-insensitively and with a trailing slash: IdPs send `/users` and `/Users/`
  // (Microsoft's reference collection does both), and RFC 7644 names resources case-insensitively.
  const app = Fastify({
    logger: false,
    bodyLimit: SCIM_BODY_LIMIT,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    // Request ids are kept in the provisioning log (audit_events.request_id): unique across replicas and
    // restarts (fastify's default counts from 1 in each process), and never taken from a client's header.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
  });

  app.setErrorHandler((err, request, reply) => {
    const { status, body, errorId } = apiErrorResponse(err);
    if (status >= 500) ctx.logger.error(`request failed (id ${errorId})`, { method: request.method, url: request.url, error: err });
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler(async (request) => {
    throw new NotFoundError(`no route ${request.method} ${request.url}`);
  });

  // Before the plugins register, so that their routes inherit it.
  registerInputGuard(app);

  const unwatch = metrics.watch(ctx.store.db);
  app.addHook('onClose', async () => unwatch());
  if (!options.metricsOnOwnPort) registerMetricsRoute(app, { token: options.metricsToken });

  const badKeys = options.badKeys ?? new BadKeyLimiter();
  registerScim(app, { db: ctx.store.db, store: ctx.store, logger: ctx.logger, publicUrl: options.publicUrl, badKeys });
  registerApi(app, {
    db: ctx.store.db,
    logger: ctx.logger,
    context: ctx,
    adminToken: options.adminToken,
    feedWaitMs: options.feedWaitMs,
    badKeys,
  });
  registerConsole(app);

  app.get('/healthz', async () => ({ status: 'ok' }));

  // Ready = the database answers and has every migration this build ships applied.
  const shipped = shippedMigrationCount();
  app.get('/readyz', async (_request, reply) => {
    try {
      await pingDatabase(ctx.store.db);
    } catch (err) {
      ctx.logger.warn('readiness check failed: database unreachable', { error: err });
      return reply.status(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
    const applied = await appliedMigrationCount(ctx.store.db);
    if (applied < shipped) {
      return reply.status(503).send({ status: 'unavailable', reason: `migrations pending: ${applied} of ${shipped} applied`, migrations: { applied, shipped } });
    }
    return { status: 'ready', backend: ctx.store.backend, migrations: { applied, shipped } };
  });

  app.post<{ Params: { name: string }; Body: unknown }>('/internal/v1/operations/:name', async (request, reply) => {
    if (!tokenMatches(bearerOf(request.headers.authorization), options.commandToken)) {
      throw new UnauthorizedError('a valid command token is required');
    }
    const actorHeader = request.headers['x-roster-actor'];
    const actor: Actor = { type: 'cli', id: typeof actorHeader === 'string' && actorHeader ? actorHeader.slice(0, 200) : ctx.actor.id };
    if (wantsStream(request.headers.accept)) {
      // Progress lines while it runs, then the result or the error (command-stream.ts).
      return streamOperation(reply, ctx.logger, { method: request.method, url: request.url }, async (progress) =>
        runOperation({ ...ctx, actor, progress }, operationNamed(request.params.name), request.body ?? {}),
      );
    }
    const result = await runOperation({ ...ctx, actor }, operationNamed(request.params.name), request.body ?? {});
    return { result };
  });

  return app;
}
