/**
 * An `/api/v1` route as data: method, path, scope, the zod schemas of its
 * path, query and body, what it answers, and a handler. The same list is
 * registered with fastify and turned into the OpenAPI document, so a route
 * cannot exist without being described (src/admin/api/openapi).
 *
 * The wrapper does the parts every route shares: the scope check, parsing
 * (a failure is a 400 naming the field), and the status code. A handler
 * resolves ids within the caller's tenant, calls an operation, and returns
 * what to send.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { LoginSyncService } from '../../login/index.js';
import { runOperation, type Operation, type OperationContext } from '../operations/index.js';
import type { Db } from '../../core/store/index.js';
import { parseWith } from '../../core/validation/index.js';
import { requireScope, type ApiCaller } from './auth.js';
import type { ApiKeyScope } from '../../core/security/credentials.js';
import type { ComponentName } from './openapi/schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What every handler may use: the database for scoped lookups, and operations run as the caller. */
export interface ApiDeps {
  db: Db;
  context: OperationContext;
  feedWaitMs?: number | undefined;
  loginSync: LoginSyncService;
}

export interface RouteCall<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  caller: ApiCaller;
  deps: ApiDeps;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

export interface ApiRoute<P extends Schema | undefined = Schema | undefined, Q extends Schema | undefined = Schema | undefined, B extends Schema | undefined = Schema | undefined> {
  method: HttpMethod;
  /** OpenAPI style, relative to /api/v1: `/connections/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  scope: ApiKeyScope;
  params?: P;
  query?: Q;
  body?: B;
  /** 204 sends no body. */
  status: 200 | 201 | 204;
  /** What it answers, described in src/admin/api/openapi/schemas.ts (none for 204). */
  response?: ComponentName;
  /** Statuses this route answers besides 400/401/403 (which every route may): 404, 409. */
  errors?: Array<404 | 409>;
  handle(call: RouteCall<Out<P>, Out<Q>, Out<B>>): Promise<unknown>;
}

/** Keeps the handler's parameter types tied to the schemas. */
export function defineRoute<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined>(
  route: ApiRoute<P, Q, B>,
): ApiRoute {
  return route as unknown as ApiRoute;
}

/** `/connections/{id}` → `/connections/:id`. */
export const fastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** Run an operation as the API caller: the audit trail names the key (or the bootstrap token). */
export function operate<S extends z.ZodType, R>(deps: ApiDeps, caller: ApiCaller, op: Operation<S, R>, input: z.input<S>): Promise<R> {
  return runOperation({ ...deps.context, actor: caller.actor }, op, input);
}

export function registerRoutes(
  app: FastifyInstance,
  routes: readonly ApiRoute[],
  deps: ApiDeps,
  callerOf: (request: FastifyRequest) => ApiCaller,
): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      handler: async (request, reply) => {
        const caller = callerOf(request);
        requireScope(caller, route.scope);
        const params = route.params ? parseWith(route.params, request.params ?? {}, 'path') : {};
        const query = route.query ? parseWith(route.query, request.query ?? {}, 'query') : {};
        const body = route.body ? parseWith(route.body, request.body ?? {}, 'body') : {};
        const result = await route.handle({ params, query, body, caller, deps } as RouteCall<never, never, never>);
        if (route.status === 204) return reply.code(204).send();
        return reply.code(route.status).send(result);
      },
    });
  }
}
