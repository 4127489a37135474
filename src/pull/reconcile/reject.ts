/**
 * Rejecting a held run: an admin says no to the plan it is waiting with.
 * The plan is never applied, the delta cursor stays where it was (a held run
 * never moved it), and the next run plans afresh from the directory as it is
 * then. Done under the connection's sync lease, as approval is, so a reject
 * and an approve of one run cannot both go through.
 */
import { ConflictError, NotFoundError } from '../../core/errors/index.js';
import type { Actor } from '../../core/lifecycle/index.js';
import { findRun, inTransaction, insertAuditEvent, rejectHeldRun as markRejected, type ConnectionRow } from '../../core/store/index.js';
import { DEFAULT_SYNC_LEASE_MS, withLease } from './lease.js';
import { reportOf, type SyncReport } from './report.js';
import type { SyncDeps } from './run.js';

export async function rejectHeldRun(deps: SyncDeps, connection: ConnectionRow, options: { label: string; runId: string; actor: Actor; leaseTtlMs?: number }): Promise<SyncReport> {
  return withLease(deps, connection, options.label, options.leaseTtlMs ?? DEFAULT_SYNC_LEASE_MS, async (connection) => {
    const tenantId = connection.tenantId;
    const held = await findRun(deps.db, tenantId, options.runId);
    if (!held || held.connectionId !== connection.id) throw new NotFoundError(`no sync run ${options.runId} for ${options.label}`);
    if (held.status !== 'held') throw new ConflictError(`sync run ${held.id} is ${held.status}, not held: nothing to reject`);
    const { value: row } = await inTransaction(deps.db, async (tx) => {
      const rejected = await markRejected(tx, tenantId, held.id);
      if (!rejected) throw new ConflictError(`sync run ${held.id} is no longer held: nothing to reject`);
      await insertAuditEvent(tx, {
        tenantId,
        connectionId: connection.id,
        action: 'run.rejected',
        entityType: 'run',
        entityId: held.id,
        actorType: options.actor.type,
        actorId: options.actor.id ?? null,
        runId: held.id,
        reason: 'an admin rejected the held plan',
        before: { status: 'held', counts: (held.heldPlan as { counts?: unknown } | null)?.counts ?? null },
        after: { status: 'rejected' },
      });
      return rejected;
    });
    deps.logger.info('held sync plan rejected', { connection: options.label, runId: held.id });
    return reportOf(row, options.label);
  });
}
