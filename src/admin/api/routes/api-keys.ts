/**
 * API keys over /api/v1: created and shown once (only in the 201 answer),
 * listed by name and prefix with last use, revoked at once. A tenant-restricted
 * key manages its own tenant's keys only: it lists and revokes those alone, and
 * every key it creates is restricted to its tenant, so it can never mint a key
 * that reaches every tenant (or another tenant).
 */
import { z } from 'zod';
import { ops } from '../../operations/index.js';
import { apiKeyCreate } from '../../operations/api-keys.js';
import { resolveApiKey, resolveOptionalTenant, resolveTenant } from '../../operations/resolve.js';
import { defineRoute, operate } from '../route.js';

const keyParams = z.strictObject({ keyId: z.string().min(1).describe('The API key\'s id') });
const listQuery = z.strictObject({ tenant: z.string().min(1).optional().describe('Only the keys restricted to this tenant (slug or id)') });

export const apiKeyRoutes = [
  defineRoute({
    method: 'GET',
    path: '/api-keys',
    operationId: 'listApiKeys',
    summary: 'List API keys: name, prefix, scope, tenant, created, last used, revoked (never the key)',
    description: 'A tenant-restricted key sees its own tenant\'s keys only; an unrestricted one every key, or one tenant\'s with ?tenant=.',
    tag: 'api-keys',
    scope: 'admin',
    query: listQuery,
    status: 200,
    response: 'ApiKeyList',
    errors: [404],
    async handle({ query, caller, deps }) {
      const tenant = await resolveOptionalTenant(deps.db, query.tenant, caller);
      return { keys: await operate(deps, caller, ops.apiKeyList, tenant ? { tenant: tenant.id } : {}) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key (the key is in this answer only)',
    description: 'scope "admin" (this API) or "login-sync" (POST /login-sync only). "tenant" restricts the key to one tenant; without it the key reaches every tenant, which only an unrestricted key may create: a tenant-restricted caller always creates keys of its own tenant.',
    tag: 'api-keys',
    scope: 'admin',
    body: apiKeyCreate.input,
    status: 201,
    response: 'ApiKeyCreated',
    errors: [404],
    async handle({ body, caller, deps }) {
      const tenantRef = body.tenant ?? caller.tenantId ?? undefined;
      const tenant = tenantRef === undefined ? undefined : await resolveTenant(deps.db, tenantRef, caller);
      return operate(deps, caller, ops.apiKeyCreate, { ...body, ...(tenant ? { tenant: tenant.id } : {}) });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api-keys/{keyId}',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key: refused from its next request on',
    description: 'Revoking a revoked key is not an error; it keeps its first revocation time.',
    tag: 'api-keys',
    scope: 'admin',
    params: keyParams,
    status: 204,
    errors: [404],
    async handle({ params, caller, deps }) {
      const key = await resolveApiKey(deps.db, params.keyId, caller);
      await operate(deps, caller, ops.apiKeyRevoke, { id: key.id });
    },
  }),
];
