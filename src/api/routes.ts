/**
 * `/api/v1` routes of this part of the admin API: the event feed and the
 * connection report. Each route names the scope it needs; the tenant a key is
 * restricted to goes into the query itself, so another tenant's rows are never
 * read, let alone returned.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ForbiddenError, NotFoundError } from '../errors/index.js';
import { DEFAULT_FEED_LIMIT, MAX_FEED_LIMIT, readEventFeed } from '../events/index.js';
import { connectionReport, DEFAULT_REPORT_RUNS, findConnectionForCaller } from '../reports/index.js';
import { findTenant, type Db } from '../store/index.js';
import { parseWith } from '../validation/index.js';
import { requireScope, type ApiCaller } from './auth.js';

const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().max(max, `must be at most ${max}`));

const eventsQuery = z.strictObject({
  after: wholeNumber(Number.MAX_SAFE_INTEGER).optional(),
  limit: wholeNumber(MAX_FEED_LIMIT).pipe(z.number().min(1, 'must be at least 1')).optional(),
  tenant: z.string().min(1).optional(),
});

const reportQuery = z.strictObject({ runs: wholeNumber(100).optional() });

export interface ApiRouteDeps {
  db: Db;
  caller(request: FastifyRequest): ApiCaller;
  feedWaitMs?: number | undefined;
}

/** The tenant whose events an events read covers: the key's own, or the one asked for. */
async function feedTenant(db: Db, caller: ApiCaller, ref: string | undefined): Promise<string | null> {
  if (ref === undefined) return caller.tenantId;
  const tenant = await findTenant(db, ref);
  if (caller.tenantId) {
    // Not "not found": a restricted key learns nothing about other tenants' names.
    if (tenant?.id !== caller.tenantId) throw new ForbiddenError('this API key is restricted to one tenant');
    return caller.tenantId;
  }
  if (!tenant) throw new NotFoundError(`tenant "${ref}" not found`);
  return tenant.id;
}

export function registerApiRoutes(app: FastifyInstance, { db, caller, feedWaitMs }: ApiRouteDeps): void {
  app.get('/events', async (request) => {
    const who = caller(request);
    requireScope(who, 'admin');
    const query = parseWith(eventsQuery, request.query ?? {}, 'query');
    return readEventFeed(db, {
      after: query.after ?? 0,
      limit: query.limit ?? DEFAULT_FEED_LIMIT,
      tenantId: await feedTenant(db, who, query.tenant),
      waitMs: feedWaitMs,
    });
  });

  app.get<{ Params: { id: string } }>('/connections/:id/report', async (request) => {
    const who = caller(request);
    requireScope(who, 'admin');
    const query = parseWith(reportQuery, request.query ?? {}, 'query');
    const connection = await findConnectionForCaller(db, request.params.id, who.tenantId);
    if (!connection) throw new NotFoundError(`connection "${request.params.id}" not found`);
    return connectionReport(db, connection, connection.tenantSlug, { runs: query.runs ?? DEFAULT_REPORT_RUNS });
  });
}
