/**
 * `POST /api/v1/login-sync`: the login service's question, with a
 * `login-sync` key. The route checks the caller's tenant; src/login
 * fetches, applies and answers.
 */
import { z } from 'zod';
import { ForbiddenError } from '../../../core/errors/index.js';
import { findTenant } from '../../../core/store/index.js';
import { defineRoute } from '../route.js';

const identifier = z.string().trim().min(1).max(512);

export const loginSyncRoutes = [
  defineRoute({
    method: 'POST',
    path: '/login-sync',
    operationId: 'loginSync',
    summary: 'Sync one user at login and say whether they may log in (login-sync key)',
    description:
      'Fetches the user and their groups from the IdP live within the connection\'s time budget (default 2 s), applies the change, and answers. Past the budget, or with the IdP down, or for a SCIM connection, the answer comes from the store with source "stored" and the reason.',
    tag: 'login-sync',
    scope: 'login-sync',
    body: z
      .strictObject({
        tenant: z.string().trim().min(1).describe('Tenant slug or id'),
        userName: identifier.optional(),
        email: identifier.optional(),
        externalId: identifier.optional(),
      })
      .describe('Give the tenant and exactly one of userName, email or externalId'),
    status: 200,
    response: 'LoginSyncResponse',
    errors: [404],
    async handle({ body, caller, deps }) {
      if (caller.tenantId) {
        const tenant = await findTenant(deps.db, body.tenant);
        if (tenant?.id !== caller.tenantId) throw new ForbiddenError('this API key is restricted to another tenant');
      }
      const { tenant, ...lookup } = body;
      return deps.loginSync.login(tenant, lookup, caller.actor);
    },
  }),
];
