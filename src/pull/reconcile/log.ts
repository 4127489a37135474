/**
 * What a run records in the provisioning log besides its audit events: a
 * `held` row for each user held back by a userName conflict (naming who
 * holds the name) or by a value too long to store, and the summary of the
 * users its scope left out (sync_runs.skipped: counts and a bounded sample,
 * never a row per user, so a no-change run of a scoped connection still
 * writes nothing but its run row).
 */
import type { LifecycleChange } from '../../core/lifecycle/index.js';
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

/**
 * The objects of the transaction that failed a run's apply: it rolled back
 * whole, so each of its users, groups and memberships is `failed` with the
 * run's error (the next run plans them again). Role and mapping changes are
 * no sync's.
 */
export function failedOutcomes(run: RunRef, changes: LifecycleChange[], error: string): ChangeOutcomeInput[] {
  const rows: ChangeOutcomeInput[] = [];
  for (const c of changes) {
    const base = { ...run, source: 'sync' as const, outcome: 'failed' as const, reason: `apply failed: ${error}`, detail: { action: c.kind } };
    if (c.kind === 'user.create') rows.push({ ...base, entityType: 'user', entityId: null, externalId: c.externalId ?? null, userName: c.attributes.userName });
    else if (c.kind === 'group.create') rows.push({ ...base, entityType: 'group', externalId: c.externalId ?? null, detail: { action: c.kind, displayName: c.displayName } });
    else if (c.kind === 'membership.add' || c.kind === 'membership.remove') rows.push({ ...base, entityType: 'membership', entityId: c.userId, detail: { action: c.kind, groupId: c.groupId } });
    else if ('userId' in c && c.kind.startsWith('user.')) rows.push({ ...base, entityType: 'user', entityId: c.userId });
    else if ('groupId' in c) rows.push({ ...base, entityType: 'group', entityId: c.groupId });
  }
  return rows;
}

/** The database's own words: drizzle wraps them in "Failed query: <the statement> params: <the rows>", too long for each object's row. */
export function errorWords(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const cause = (err as { cause?: unknown } | null)?.cause;
  return text.startsWith('Failed query:') && cause instanceof Error ? cause.message : text;
}

/** The failed transaction's objects, when the database still answers (a lost database has the run's error alone). */
export async function recordFailedApply(db: Db, run: RunRef, changes: LifecycleChange[] | undefined, err: unknown): Promise<void> {
  const rows = changes ? failedOutcomes(run, changes, errorWords(err)) : [];
  if (rows.length) await insertChangeOutcomes(db, rows).catch(() => undefined);
}

/** sync_runs.skipped: null when the scope left nobody out. */
export function skippedOf(summary: SkippedSummary): SkippedSummary | null {
  return Object.keys(summary.byReason).length ? summary : null;
}
