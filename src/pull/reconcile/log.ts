/**
 * What a run records in the provisioning log besides its audit events: a
 * `held` row for each user held back by a userName conflict (naming who
 * holds the name) or by a value too long to store, and the summary of the
 * users its scope left out (sync_runs.skipped: counts and a bounded sample,
 * never a row per user, so a no-change run of a scoped connection still
 * writes nothing but its run row).
 */
import { insertChangeOutcomes, type ChangeOutcomeInput, type Db } from '../../core/store/index.js';
import { heldByWords, type UserNameConflict } from './collisions.js';
import type { HeldRecord } from './oversize.js';
import type { SkippedSummary } from './plan.js';

export interface RunRef {
  tenantId: string;
  connectionId: string;
  runId: string;
}

export function conflictOutcomes(run: RunRef, conflicts: UserNameConflict[]): ChangeOutcomeInput[] {
  return conflicts.map((c) => ({
    ...run,
    source: 'sync',
    entityType: 'user',
    entityId: c.userId ?? null,
    externalId: c.userId ? null : c.user,
    userName: c.userName,
    outcome: 'held',
    reason: `userName "${c.userName}" is taken (${heldByWords(c)})`,
    detail: { conflict: c.heldBy, action: c.userId ? 'user.update' : 'user.create' },
  }));
}

export function oversizeOutcomes(run: RunRef, held: HeldRecord[]): ChangeOutcomeInput[] {
  return held.map((h) => ({
    ...run,
    source: 'sync',
    entityType: h.entityType,
    externalId: h.externalId,
    userName: h.entityType === 'user' ? h.name : null,
    outcome: 'held',
    reason: `a value is longer than Roster stores: ${h.reason}`,
    detail: h.entityType === 'group' ? { displayName: h.name } : null,
  }));
}

/** The run's held-back users and groups, in one insert per thousand (none: no statement at all). */
export async function recordHeldBack(db: Db, run: RunRef, conflicts: UserNameConflict[], held: HeldRecord[]): Promise<void> {
  const rows = [...conflictOutcomes(run, conflicts), ...oversizeOutcomes(run, held)];
  if (rows.length) await insertChangeOutcomes(db, rows);
}

/** sync_runs.skipped: null when the scope left nobody out. */
export function skippedOf(summary: SkippedSummary): SkippedSummary | null {
  return Object.keys(summary.byReason).length ? summary : null;
}
