/**
 * A tenant's webhooks: created with a signing secret shown once (only here,
 * in the 201 answer), listed with their delivery state, deleted. The tenant
 * is resolved within the caller's reach first, and a webhook only within it.
 */
import { z } from 'zod';
import { ops } from '../../operations/index.js';
import { webhookCreate } from '../../operations/webhooks.js';
import { resolveTenant, resolveWebhook } from '../../operations/resolve.js';
import { defineRoute, operate } from '../route.js';
import { tenantParams } from './tenants.js';

const webhookParams = tenantParams.extend({ webhookId: z.string().min(1).describe('The webhook\'s id') });

export const webhookRoutes = [
  defineRoute({
    method: 'GET',
    path: '/tenants/{tenant}/webhooks',
    operationId: 'listWebhooks',
    summary: 'List a tenant\'s webhooks with their delivery state (never the secret)',
    tag: 'webhooks',
    scope: 'admin',
    params: tenantParams,
    status: 200,
    response: 'WebhookList',
    errors: [404],
    async handle({ params, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      return { webhooks: await operate(deps, caller, ops.webhookList, { tenant: tenant.id }) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tenants/{tenant}/webhooks',
    operationId: 'createWebhook',
    summary: 'Create a webhook (the signing secret is in this answer only)',
    description: 'The URL must be https and not a loopback, private or metadata address unless the operator trusts its host. Delivery starts with the events after its creation.',
    tag: 'webhooks',
    scope: 'admin',
    params: tenantParams,
    body: webhookCreate.input.omit({ tenant: true }),
    status: 201,
    response: 'WebhookCreated',
    errors: [404],
    async handle({ params, body, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      return operate(deps, caller, ops.webhookCreate, { ...body, tenant: tenant.id });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/tenants/{tenant}/webhooks/{webhookId}',
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook: nothing more is sent to it',
    tag: 'webhooks',
    scope: 'admin',
    params: webhookParams,
    status: 204,
    errors: [404],
    async handle({ params, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      const webhook = await resolveWebhook(deps.db, tenant, params.webhookId);
      await operate(deps, caller, ops.webhookDelete, { id: webhook.id });
    },
  }),
];
