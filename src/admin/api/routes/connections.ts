/**
 * Connections: list (with health at a glance, from src/admin/reports), create,
 * show, update, delete and test. Every id is resolved within the caller's
 * tenant first; the operation then gets that connection's id.
 */
import { z } from 'zod';
import { ValidationError } from '../../../core/errors/index.js';
import { ops } from '../../operations/index.js';
import { connectionCreate, connectionUpdate } from '../../operations/connections.js';
import { PREVIEW_USERS } from '../../operations/attributes.js';
import type { ConnectionReport } from '../../reports/index.js';
import { defineRoute, operate } from '../route.js';
import { resolveConnectionById, resolveOptionalTenant, resolveTenant } from '../../operations/resolve.js';

export const connectionParams = z.strictObject({ id: z.string().min(1).describe('The connection\'s id') });

const listQuery = z.strictObject({ tenant: z.string().min(1).optional().describe('Only this tenant\'s connections (slug or id)') });

/** A restricted key may leave `tenant` out: its own tenant is meant. */
const createBody = connectionCreate.input.partial({ tenant: true });

const previewBody = z.strictObject({
  expressions: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Unsaved expressions, shaped as settings.expressions ({ fields?, custom? }); the connection\'s own when left out'),
  users: z.number().int().min(1).max(PREVIEW_USERS.max).optional().describe(`How many users to read (default ${PREVIEW_USERS.default})`),
});

const deleteQuery = z.strictObject({
  force: z.enum(['true', 'false']).optional().describe('Delete the users and groups the connection still holds too').transform((v) => v === 'true'),
});

/** The health columns a listing shows next to each connection. */
function glance(report: ConnectionReport | undefined) {
  return {
    health: report?.health ?? null,
    healthReason: report?.healthReason ?? null,
    status: report?.status ?? null,
    lastSyncAt: report?.lastSyncAt ?? null,
    lastSuccessAt: report?.lastSuccessAt ?? null,
    usersSynced: report?.usersSynced ?? 0,
    groupsSynced: report?.groupsSynced ?? 0,
  };
}

export const connectionRoutes = [
  defineRoute({
    method: 'GET',
    path: '/connections',
    operationId: 'listConnections',
    summary: 'List connections with their health',
    tag: 'connections',
    scope: 'admin',
    query: listQuery,
    status: 200,
    response: 'ConnectionList',
    errors: [404],
    async handle({ query, caller, deps }) {
      const tenant = await resolveOptionalTenant(deps.db, query.tenant, caller);
      const scope = tenant ? { tenant: tenant.id } : {};
      const connections = await operate(deps, caller, ops.connectionList, scope);
      const reports = await operate(deps, caller, ops.reportList, { ...scope, runs: 0 });
      const byId = new Map(reports.map((r) => [r.connectionId, r]));
      return { connections: connections.map((c) => ({ ...c, ...glance(byId.get(c.id)) })) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/connections',
    operationId: 'createConnection',
    summary: 'Create a connection',
    description: 'Secret settings (clientSecret, apiToken, privateKey, serviceAccountKey) are encrypted and shown as "(set)" afterwards.',
    tag: 'connections',
    scope: 'admin',
    body: createBody,
    status: 201,
    response: 'Connection',
    errors: [404, 409],
    async handle({ body, caller, deps }) {
      if (body.tenant === undefined && !caller.tenantId) throw new ValidationError('body: "tenant" is required');
      const tenant = await resolveTenant(deps.db, body.tenant ?? caller.tenantId!, caller);
      return operate(deps, caller, ops.connectionCreate, { ...body, tenant: tenant.id });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/connections/{id}',
    operationId: 'showConnection',
    summary: 'Show a connection with the users and groups it holds',
    tag: 'connections',
    scope: 'admin',
    params: connectionParams,
    status: 200,
    response: 'ConnectionDetail',
    errors: [404],
    async handle({ params, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return operate(deps, caller, ops.connectionShow, { connection: connection.id });
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/connections/{id}',
    operationId: 'updateConnection',
    summary: 'Change settings, schedules, enabled, deletion threshold, SCIM push and rate limits, sync-on-login',
    description: 'Only the fields sent change. A running server picks a new schedule up within 30 seconds.',
    tag: 'connections',
    scope: 'admin',
    params: connectionParams,
    body: connectionUpdate.input.omit({ connection: true }),
    status: 200,
    response: 'Connection',
    errors: [404],
    async handle({ params, body, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return operate(deps, caller, ops.connectionUpdate, { ...body, connection: connection.id });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/connections/{id}',
    operationId: 'deleteConnection',
    summary: 'Delete a connection',
    description: 'A connection that still holds users or groups answers 409 unless force=true, which deletes them too (audited).',
    tag: 'connections',
    scope: 'admin',
    params: connectionParams,
    query: deleteQuery,
    status: 204,
    errors: [404, 409],
    async handle({ params, query, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      await operate(deps, caller, ops.connectionDelete, { connection: connection.id, force: query.force });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/connections/{id}/test',
    operationId: 'testConnection',
    summary: 'Check a pull connection\'s credentials and permissions',
    tag: 'connections',
    scope: 'admin',
    params: connectionParams,
    status: 200,
    response: 'ConnectionTestResult',
    errors: [404],
    async handle({ params, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return operate(deps, caller, ops.connectionTest, { connection: connection.id });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/connections/{id}/attribute-preview',
    operationId: 'previewAttributes',
    summary: 'Evaluate attribute expressions (unsaved, or the connection\'s own) over a few users read live from the IdP; nothing is saved',
    tag: 'connections',
    scope: 'admin',
    params: connectionParams,
    body: previewBody,
    status: 200,
    response: 'AttributePreview',
    errors: [404],
    async handle({ params, body, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      const { users } = await operate(deps, caller, ops.connectionAttributePreview, { connection: connection.id, ...body });
      return { users };
    },
  }),
];
