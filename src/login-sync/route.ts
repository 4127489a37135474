/**
 * `POST /api/v1/login-sync`: the login service's question, with a
 * `login-sync` API key. The route parses and checks the caller's tenant; the
 * service does the rest.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ForbiddenError } from '../errors/index.js';
import type { Actor } from '../lifecycle/index.js';
import { findTenant, type Db } from '../store/index.js';
import { parseWith } from '../validation/index.js';
import type { LoginSyncService } from './service.js';

const identifier = z.string().trim().min(1).max(512);
const loginSyncBody = z.strictObject({
  tenant: z.string().trim().min(1),
  userName: identifier.optional(),
  email: identifier.optional(),
  externalId: identifier.optional(),
});

export interface LoginSyncCaller {
  tenantId: string | null;
  actor: Actor;
}

export function registerLoginSyncRoute(
  app: FastifyInstance,
  deps: { db: Db; service: LoginSyncService; caller(request: FastifyRequest): LoginSyncCaller; requireLoginScope(request: FastifyRequest): void },
): void {
  app.post('/login-sync', async (request) => {
    deps.requireLoginScope(request);
    const who = deps.caller(request);
    const body = parseWith(loginSyncBody, request.body ?? {}, 'body');
    if (who.tenantId) {
      const tenant = await findTenant(deps.db, body.tenant);
      if (tenant?.id !== who.tenantId) throw new ForbiddenError('this API key is restricted to another tenant');
    }
    const { tenant, ...lookup } = body;
    return deps.service.login(tenant, lookup, who.actor);
  });
}
