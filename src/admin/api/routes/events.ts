/** The event feed: lifecycle events in id order, never skipping one (src/admin/events explains how). */
import { z } from 'zod';
import { DEFAULT_FEED_LIMIT, MAX_FEED_LIMIT, readEventFeed } from '../../events/index.js';
import { ForbiddenError, NotFoundError } from '../../../core/errors/index.js';
import { findTenant, type Db } from '../../../core/store/index.js';
import type { ApiCaller } from '../auth.js';
import { defineRoute } from '../route.js';
import { wholeNumber } from './query.js';

const eventsQuery = z.strictObject({
  after: wholeNumber(Number.MAX_SAFE_INTEGER).optional().describe('Return events after this id (the previous answer\'s "next")'),
  limit: wholeNumber(MAX_FEED_LIMIT).pipe(z.number().min(1, 'must be at least 1')).optional().describe(`1 to ${MAX_FEED_LIMIT}, default ${DEFAULT_FEED_LIMIT}`),
  tenant: z.string().min(1).optional().describe('Only this tenant\'s events (slug or id); a restricted key always gets its own'),
});

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

export const eventRoutes = [
  defineRoute({
    method: 'GET',
    path: '/events',
    operationId: 'readEvents',
    summary: 'Lifecycle events after a cursor, in id order',
    description: 'Pass "next" as "after" on the next read. "pending": older transactions are still open; read again shortly.',
    tag: 'events',
    scope: 'admin',
    query: eventsQuery,
    status: 200,
    response: 'EventPage',
    errors: [404],
    async handle({ query, caller, deps }) {
      return readEventFeed(deps.db, {
        after: query.after ?? 0,
        limit: query.limit ?? DEFAULT_FEED_LIMIT,
        tenantId: await feedTenant(deps.db, caller, query.tenant),
        waitMs: deps.feedWaitMs,
      });
    },
  }),
];
