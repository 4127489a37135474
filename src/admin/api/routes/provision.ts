/**
 * `POST /api/v1/connections/{id}/provision`: provision one user of a pull
 * connection on demand, or see what would happen (dryRun), step by step
 * (src/admin/provision). The connection is resolved within the caller's tenant.
 */
import { z } from 'zod';
import { ValidationError } from '../../../core/errors/index.js';
import { ops } from '../../operations/index.js';
import { resolveConnectionById } from '../../operations/resolve.js';
import { defineRoute, operate } from '../route.js';
import { connectionParams } from './connections.js';

const identifier = z.string().trim().min(1).max(512);

const provisionBody = z
  .strictObject({
    userName: identifier.optional(),
    email: identifier.optional(),
    externalId: identifier.optional().describe('The IdP\'s own id for the user'),
    dryRun: z.boolean().optional().describe('Fetch and plan, apply nothing'),
  })
  .describe('Exactly one of userName, email or externalId');

export const provisionRoutes = [
  defineRoute({
    method: 'POST',
    path: '/connections/{id}/provision',
    operationId: 'provisionUser',
    summary: 'Provision one user now, from the IdP, and show each step',
    description:
      'Fetches the user and their groups live from the IdP, matches them to the stored user, checks the connection\'s scope, compares attributes, groups and mapped roles, and applies the changes in one transaction with their audit events (dryRun: applies nothing). Each step carries its status, timing, a summary and details. 400 for a SCIM connection (nothing to fetch); 409 while a sync of the connection is running (a dry run is answered then too).',
    tag: 'runs',
    scope: 'admin',
    params: connectionParams,
    body: provisionBody,
    status: 200,
    response: 'ProvisionResult',
    errors: [404, 409],
    async handle({ params, body, caller, deps }) {
      const given = (['userName', 'email', 'externalId'] as const).filter((k) => body[k] !== undefined);
      if (given.length !== 1) throw new ValidationError('body: give exactly one of userName, email or externalId');
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return operate(deps, caller, ops.syncProvision, { connection: connection.id, ...body });
    },
  }),
];
