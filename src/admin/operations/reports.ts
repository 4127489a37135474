/** `report.show` and `report.list`: connection reports with health (src/admin/reports does the work). */
import { z } from 'zod';
import { connectionReport, connectionReports, type ConnectionReport } from '../reports/index.js';
import { listAllConnections, listConnectionsByTenant } from '../../core/store/index.js';
import { resolveConnection, resolveTenant } from './resolve.js';
import { defineOperation } from './types.js';

const runs = z.number().int().min(0).max(100).optional();

export const reportShow = defineOperation({
  name: 'report.show',
  input: z.strictObject({ connection: z.string().min(1), runs }),
  async run(ctx, input): Promise<ConnectionReport> {
    const row = await resolveConnection(ctx.store.db, input.connection);
    return connectionReport(ctx.store.db, row, row.tenant.slug, { runs: input.runs });
  },
});

/** Every connection (of one tenant, or all), with the few latest runs each. */
export const reportList = defineOperation({
  name: 'report.list',
  input: z.strictObject({ tenant: z.string().min(1).optional(), runs }),
  async run(ctx, input): Promise<ConnectionReport[]> {
    const db = ctx.store.db;
    const options = { runs: input.runs ?? 3 };
    if (input.tenant) {
      const tenant = await resolveTenant(db, input.tenant);
      const rows = await listConnectionsByTenant(db, tenant.id);
      return connectionReports(db, rows.map((connection) => ({ connection, tenantSlug: tenant.slug })), options);
    }
    const rows = await listAllConnections(db);
    return connectionReports(db, rows.map((connection) => ({ connection, tenantSlug: connection.tenantSlug })), options);
  },
});
