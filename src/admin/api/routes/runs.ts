/**
 * A connection's sync runs: run now, approve a held run, list recent runs,
 * and the connection report (health and recent runs). A run that finds
 * another sync of the connection in progress is refused with 409 by the
 * connection's lease (src/pull/reconcile).
 */
import { z } from 'zod';
import { NotFoundError } from '../../../core/errors/index.js';
import { connectionReport, DEFAULT_REPORT_RUNS } from '../../reports/index.js';
import { isUuid } from '../../../core/store/index.js';
import { ops } from '../../operations/index.js';
import { defineRoute, operate } from '../route.js';
import { resolveConnectionById } from '../../operations/resolve.js';
import { connectionParams } from './connections.js';
import { wholeNumber } from './query.js';

const syncBody = z.strictObject({
  full: z.boolean().optional().describe('Ignore the delta cursor and read the whole directory'),
  dryRun: z.boolean().optional().describe('Plan and report, apply nothing'),
});

const runParams = connectionParams.extend({ runId: z.string().min(1).describe('The held run\'s id') });

const runsQuery = z.strictObject({ limit: wholeNumber(100).pipe(z.number().min(1, 'must be at least 1')).optional().describe('How many runs, newest first (default 10)') });
const reportQuery = z.strictObject({ runs: wholeNumber(100).optional().describe('How many recent runs to include (default 10)') });

export const runRoutes = [
  defineRoute({
    method: 'POST',
    path: '/connections/{id}/sync',
    operationId: 'runSync',
    summary: 'Run a sync now and answer with its report',
    description: 'Answers when the run has finished. 409 when a sync of this connection is already running. A plan over the deletion threshold comes back with status "held".',
    tag: 'runs',
    scope: 'admin',
    params: connectionParams,
    body: syncBody,
    status: 200,
    response: 'SyncReport',
    errors: [404, 409],
    async handle({ params, body, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return operate(deps, caller, ops.syncRun, { connection: connection.id, ...body, trigger: 'manual' });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/connections/{id}/runs/{runId}/approve',
    operationId: 'approveRun',
    summary: 'Apply a held run\'s plan',
    description: '409 when the run is not held, or is no longer the connection\'s latest run.',
    tag: 'runs',
    scope: 'admin',
    params: runParams,
    status: 200,
    response: 'SyncReport',
    errors: [404, 409],
    async handle({ params, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      // The run itself is looked up by the reconciler within this connection and its tenant.
      if (!isUuid(params.runId)) throw new NotFoundError(`no sync run ${params.runId} for this connection`);
      return operate(deps, caller, ops.syncRun, { connection: connection.id, approve: params.runId });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/connections/{id}/runs',
    operationId: 'listRuns',
    summary: 'Recent runs with their counts, durations and errors',
    tag: 'runs',
    scope: 'admin',
    params: connectionParams,
    query: runsQuery,
    status: 200,
    response: 'RunList',
    errors: [404],
    async handle({ params, query, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      const report = await operate(deps, caller, ops.reportShow, { connection: connection.id, runs: query.limit ?? DEFAULT_REPORT_RUNS });
      return { runs: report.recentRuns };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/connections/{id}/report',
    operationId: 'connectionReport',
    summary: 'Users and groups synced, last sync, last success, status, health and recent runs',
    tag: 'runs',
    scope: 'admin',
    params: connectionParams,
    query: reportQuery,
    status: 200,
    response: 'ConnectionReport',
    errors: [404],
    async handle({ params, query, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return connectionReport(deps.db, connection, connection.tenantSlug, { runs: query.runs ?? DEFAULT_REPORT_RUNS });
    },
  }),
];
