/**
 * The provisioning log over /api/v1: a run's changes, a user's history, the
 * audit search, and rejecting a held run. Everything is looked up within the
 * caller's tenant first (a tenant's key never reads another's log), then the
 * operation does the work.
 */
import { z } from 'zod';
import { NotFoundError } from '../../../core/errors/index.js';
import { isUuid, LOG_KINDS, LOG_OUTCOMES } from '../../../core/store/index.js';
import { ops } from '../../operations/index.js';
import { resolveConnectionById, resolveTenant, resolveTenantUser } from '../../operations/resolve.js';
import { defineRoute, operate } from '../route.js';
import { connectionParams } from './connections.js';
import { wholeNumber } from './query.js';
import { tenantParams } from './tenants.js';

const runParams = connectionParams.extend({ runId: z.string().min(1).describe('The run\'s id') });
const userParams = tenantParams.extend({ user: z.string().min(1).describe('The user\'s id or userName') });

const page = {
  limit: wholeNumber(500).pipe(z.number().min(1, 'must be at least 1')).optional().describe('Page size, 1 to 500 (default 100)'),
  cursor: z.string().min(1).max(2000).optional().describe('The nextCursor of the previous page, as it was given'),
};

const changesQuery = z.strictObject({
  kind: z.enum(LOG_KINDS).optional(),
  outcome: z.enum(LOG_OUTCOMES).optional(),
  user: z.string().min(1).max(500).optional().describe('A user\'s id or userName'),
  ...page,
});

const auditQuery = z.strictObject({
  action: z.string().min(1).max(200).optional().describe('An action (user.deactivated) or a prefix ending in "." or "*" (user.*)'),
  user: z.string().min(1).max(500).optional().describe('A user\'s id or userName: their events, memberships and roles'),
  actor: z.string().min(1).max(500).optional().describe('An actor id (token:…, an API key\'s name) or type (sync, scim, login)'),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  ...page,
});

/** The run must be a uuid before it reaches the store (a cast error is no 404). */
function runId(id: string): string {
  if (!isUuid(id)) throw new NotFoundError(`sync run "${id}" not found`);
  return id;
}

export const provisioningLogRoutes = [
  defineRoute({
    method: 'GET',
    path: '/connections/{id}/runs/{runId}/changes',
    operationId: 'listRunChanges',
    summary: 'What a run changed, held, failed and skipped, one object per entry, paged',
    description:
      'Applied changes in order, then those held back or failed, then (for a held run) what its plan would do, each with outcome "held". ' +
      'Users left out of scope are summarised in "skipped" (counts per reason and a sample), not listed one by one.',
    tag: 'runs',
    scope: 'admin',
    params: runParams,
    query: changesQuery,
    status: 200,
    response: 'RunChanges',
    errors: [404],
    async handle({ params, query, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return operate(deps, caller, ops.runChanges, { run: runId(params.runId), connection: connection.id, ...query });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/connections/{id}/runs/{runId}/reject',
    operationId: 'rejectRun',
    summary: 'Reject a held run: its plan is never applied, and the next run plans afresh',
    description: '409 when the run is not held (already approved or rejected, or not a held run).',
    tag: 'runs',
    scope: 'admin',
    params: runParams,
    status: 200,
    response: 'SyncReport',
    errors: [404, 409],
    async handle({ params, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return operate(deps, caller, ops.runReject, { run: runId(params.runId), connection: connection.id });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tenants/{tenant}/users/{user}/history',
    operationId: 'userHistory',
    summary: 'Everything that happened to a user: syncs, SCIM writes, logins, admins; newest first, paged',
    tag: 'users',
    scope: 'admin',
    params: userParams,
    query: z.strictObject(page),
    status: 200,
    response: 'UserHistory',
    errors: [404],
    async handle({ params, query, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      const user = await resolveTenantUser(deps.db, tenant, params.user);
      return operate(deps, caller, ops.userHistory, { user: user.id, tenant: tenant.id, ...query });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tenants/{tenant}/audit',
    operationId: 'searchAudit',
    summary: 'Search the tenant\'s audit log by action, user, actor and time; newest first, paged',
    tag: 'tenants',
    scope: 'admin',
    params: tenantParams,
    query: auditQuery,
    status: 200,
    response: 'AuditPage',
    errors: [404],
    async handle({ params, query, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      return operate(deps, caller, ops.auditSearch, { tenant: tenant.id, ...query });
    },
  }),
];
