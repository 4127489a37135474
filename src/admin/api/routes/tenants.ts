/** Tenants: a restricted key sees only its own, and only an unrestricted admin creates one. */
import { z } from 'zod';
import { ForbiddenError } from '../../../core/errors/index.js';
import { tenantCreate } from '../../operations/tenants.js';
import { tenantView } from '../../operations/tenants.js';
import { ops } from '../../operations/index.js';
import { defineRoute, operate } from '../route.js';
import { resolveTenant, tenantsInReach } from '../../operations/resolve.js';

export const tenantParams = z.strictObject({ tenant: z.string().min(1).describe('The tenant\'s slug or id') });

export const tenantRoutes = [
  defineRoute({
    method: 'GET',
    path: '/tenants',
    operationId: 'listTenants',
    summary: 'List the tenants the key reaches',
    tag: 'tenants',
    scope: 'admin',
    status: 200,
    response: 'TenantList',
    async handle({ caller, deps }) {
      return { tenants: (await tenantsInReach(deps.db, caller)).map(tenantView) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tenants',
    operationId: 'createTenant',
    summary: 'Create a tenant (unrestricted admin keys only)',
    tag: 'tenants',
    scope: 'admin',
    body: tenantCreate.input,
    status: 201,
    response: 'Tenant',
    errors: [409],
    async handle({ body, caller, deps }) {
      if (caller.tenantId) throw new ForbiddenError('this API key is restricted to one tenant: it cannot create tenants');
      return operate(deps, caller, ops.tenantCreate, body);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tenants/{tenant}',
    operationId: 'showTenant',
    summary: 'Show a tenant',
    tag: 'tenants',
    scope: 'admin',
    params: tenantParams,
    status: 200,
    response: 'Tenant',
    errors: [404],
    async handle({ params, caller, deps }) {
      return tenantView(await resolveTenant(deps.db, params.tenant, caller));
    },
  }),
];
