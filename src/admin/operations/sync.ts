/**
 * `sync.run` and `connection.test`: the pull side of a connection. The work
 * is in src/pull/reconcile; this resolves the connection, decrypts its secrets and
 * returns the report.
 */
import { z } from 'zod';
import { decryptConnectionSecrets, openProvider } from '../../pull/providers/open.js';
import { ValidationError } from '../../core/errors/index.js';
import { resolvedUrlRefusal } from '../../core/net/outbound.js';
import { pullDescriptorOf, pullKindsInWords, type ConnectionTestResult } from '../../pull/providers/index.js';
import { APPLY_WORKERS, approveHeldRun, syncConnection } from '../../pull/reconcile/run.js';
import type { SyncReport } from '../../pull/reconcile/report.js';
import { resolveConnection } from './resolve.js';
import { metrics } from '../../core/metrics/index.js';
import { defineOperation } from './types.js';

export const syncRun = defineOperation({
  name: 'sync.run',
  input: z.strictObject({
    connection: z.string().min(1),
    full: z.boolean().optional(),
    dryRun: z.boolean().optional(),
    /** A held run's id: apply its plan instead of syncing. */
    approve: z.string().min(1).optional(),
    trigger: z.enum(['manual', 'schedule', 'login']).optional(),
  }),
  async run(ctx, input): Promise<SyncReport> {
    const row = await resolveConnection(ctx.store.db, input.connection);
    const label = `${row.tenant.slug}/${row.name}`;
    const deps = { db: ctx.store.db, logger: ctx.logger, actor: ctx.actor, applyWorkers: ctx.store.backend === 'postgres' ? APPLY_WORKERS : 1 };
    if (input.approve) {
      if (input.dryRun || input.full) throw new ValidationError('--approve applies a held plan as it is: it cannot be combined with --full or --dry-run');
      return recorded(row.kind, await approveHeldRun(deps, row, { label, runId: input.approve, leaseTtlMs: ctx.syncLeaseMs }));
    }
    let reported = 0;
    const report = await syncConnection(deps, row, {
      label,
      secrets: decryptConnectionSecrets(ctx.keyring, row),
      full: input.full,
      dryRun: input.dryRun,
      trigger: input.trigger ?? 'manual',
      leaseTtlMs: ctx.syncLeaseMs,
      // Structured progress lines, one per 10 pages, for logs and for whoever watches a long listing.
      onProgress: (p) => {
        ctx.progress?.({ pages: p.pages, users: p.users, groups: p.groups });
        if (p.pages - reported < 10) return;
        reported = p.pages;
        ctx.logger.info('sync progress', { connection: label, ...p });
      },
    });
    return recorded(row.kind, report);
  },
});

/** Every finished run counts in this process's metrics (runs by status, durations, API requests). */
function recorded(kind: string, report: SyncReport): SyncReport {
  metrics.recordSyncRun({ kind, ...report });
  return report;
}

export const connectionTest = defineOperation({
  name: 'connection.test',
  input: z.strictObject({ connection: z.string().min(1) }),
  async run(ctx, input): Promise<ConnectionTestResult & { connection: string; kind: string }> {
    const row = await resolveConnection(ctx.store.db, input.connection);
    const label = `${row.tenant.slug}/${row.name}`;
    const descriptor = pullDescriptorOf(row.kind);
    if (!descriptor) throw new ValidationError(`connection ${label} is of kind ${row.kind}: only ${pullKindsInWords()} connections can be tested`);
    const settings = (row.settings ?? {}) as Record<string, unknown>;
    // Before any request: an endpoint the policy refuses is reported the same way whatever its
    // port, so the test cannot tell an open port from a closed one.
    for (const field of descriptor.endpointFields) {
      // A field holds one URL, or a list of them (LDAP `urls`, tried in turn).
      const value = settings[field];
      const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
      let refusal: string | undefined;
      for (const v of values) refusal ??= await resolvedUrlRefusal(v, descriptor.endpointProtocol);
      if (refusal) return { connection: label, kind: row.kind, ok: false, checks: [{ name: `outbound URL policy (${field})`, ok: false, detail: refusal }] };
    }
    const provider = await openProvider(row, ctx.keyring, { logger: ctx.logger });
    const result = await provider.test();
    return { connection: label, kind: row.kind, ...result };
  },
});
