/**
 * The edge of the reconciler: lease the connection, record a sync run, read
 * the provider into a snapshot, load the stored state, plan, guard, apply
 * through the lifecycle layer, move the cursor, finish the run row.
 *
 * The cursor moves only after the whole plan applied: a crash in between
 * leaves the old cursor, and the next run replays the same changes (the
 * hash-skipping makes that cheap).
 */
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors/index.js';
import type { Actor, LifecycleChange } from '../../core/lifecycle/index.js';
import type { Logger } from '../../core/logging/index.js';
import { providerContext } from '../providers/open.js';
import { createProvider, isProviderKind, pullKindsInWords, ProviderError, type DirectoryEvent, type DirectoryProvider, type ProviderContext, type ProviderStats } from '../providers/index.js';
import type { ConnectionRow, Db } from '../../core/store/index.js';
import { applyInChunks, applyPlan, type ApplyTarget } from './apply-plan.js';
import { admitUserNames, claimedUserNames, describeConflicts, type Admission } from './collisions.js';
import { guardPlan, type GuardResult } from './guard.js';
import { DEFAULT_SYNC_LEASE_MS, withLease, type HeldLease } from './lease.js';
import { NO_NESTING, planChanges, unchangedPlan, type Nesting, type Plan, type StoredState } from './plan.js';
import { approveCommand, countsOfChanges, emptySyncCounts, reportOf, type SyncCounts, type SyncReport } from './report.js';
import type { ScopeSettings } from './scope.js';
import { createSnapshotBuilder, type SnapshotBuilder } from './snapshot.js';
import { EarlyApplyFailure, earlyCreates, type EarlyCreates } from './early-creates.js';
import { findRun, finishRun, insertRun, latestRun, saveCursor, type RunPatch } from '../../core/store/index.js';
import { findUserNameHolders, loadStoredState } from './store.js';
import { errorWords, recordFailedApply, recordHeldBack, skippedOf } from './log.js';

export interface SyncProgress {
  pages: number;
  users: number;
  groups: number;
}

export interface SyncDeps {
  db: Db;
  logger: Logger;
  actor: Actor;
  /**
   * Transactions that apply a plan's user creates and membership additions at
   * once (default 1; see applyPlan). The operation sets APPLY_WORKERS on
   * Postgres; the embedded database has one connection.
   */
  applyWorkers?: number;
  /** Builds the provider; tests and the demo may swap it. Default: the registry. */
  providerFor?: (kind: string, context: ProviderContext) => DirectoryProvider | Promise<DirectoryProvider>;
}

export interface SyncOptions {
  /** The connection's label in reports and the approve command (`tenant/name`). */
  label: string;
  secrets: Record<string, unknown>;
  full?: boolean;
  dryRun?: boolean;
  trigger?: string;
  onProgress?: (p: SyncProgress) => void;
  /** Changes per transaction. */
  chunkSize?: number;
  /** The sync lease's TTL (default 60 s): how long a dead holder can block the connection. */
  leaseTtlMs?: number;
}

/** What the connection's delta_cursor holds: the provider's cursor, plus the group nesting deltas cannot repeat. */
interface StoredCursor {
  v: 2;
  provider: unknown;
  nesting: Nesting;
  /** What the run that saved the cursor synced: a delta that brings nothing reports it again (see readAndPlan). */
  synced?: { users: number; groups: number };
}

interface HeldPlan {
  changes: LifecycleChange[];
  counts: Partial<Record<LifecycleChange['kind'], number>>;
  cursor: StoredCursor | null;
}

/**
 * Apply transactions at once on Postgres. Two: a first sync spends most of its
 * time in the database writing users and memberships with their audit events,
 * and a second transaction puts a second core to work (bench/sync: Entra's
 * first sync 29.4 → 22.3 s). Three and four gained nothing measurable on
 * 2 cores (19.3 and 18.7 s against 19.5 s for two, one run each) and would take
 * connections from the pool that SCIM and the admin API share.
 */
export const APPLY_WORKERS = 2;

function readCursor(raw: unknown): StoredCursor | null {
  if (raw && typeof raw === 'object' && (raw as { v?: unknown }).v === 2) return raw as StoredCursor;
  return null;
}


/** What a dry run reports: the admitted changes and the memberships they would bring. */
function dryRunCounts(plan: Plan, guard: GuardResult, admitted: Admission): SyncCounts {
  const counts = countsOfChanges(admitted.changes);
  for (const group of plan.memberships.byGroup(admitted.notCreated)) {
    for (const c of group) {
      if (c.kind === 'membership.add') counts.membershipsAdded += 1;
      else if (guard.membershipRemovals === 'apply') counts.membershipsRemoved += 1;
    }
  }
  return counts;
}

/** Hold back users whose userName another user of the tenant (or of this listing) has. */
async function admit(deps: SyncDeps, tenantId: string, changes: LifecycleChange[], early: EarlyCreates | undefined): Promise<Admission> {
  const names = claimedUserNames(changes);
  if (names.length === 0) return { changes, notCreated: new Set(), conflicts: [] };
  // The database's lower() of each name comes with its holders: keys are compared as the unique index compares them.
  const lookup = await findUserNameHolders(deps.db, tenantId, names);
  const listedEarlier = early?.createdAmong(new Set([...lookup.holders.values()].map((h) => h.userId)));
  return admitUserNames(changes, lookup, listedEarlier);
}

interface ReadResult {
  plan: Plan;
  /** What was written while listing (a full listing's new users, groups and their memberships). */
  early: EarlyCreates | undefined;
  mode: 'full' | 'delta';
  nextCursor: unknown;
  complete: boolean;
  error: string | undefined;
  pages: number;
  /** Active users and groups stored before the run: the deletion thresholds' bases (what early-creates.ts wrote is not in them). */
  storedActiveUsers: number;
  storedGroups: number;
}

/** Changes per apply transaction, unless the caller says. */
const DEFAULT_CHUNK = 5000;

/** Events a delta may bring before the stored state is read (see readAndPlan). */
const DEFERRED_EVENTS = 5_000;

/**
 * Read the provider into a snapshot and plan against the stored state. Its
 * own function so that the stored state, the snapshot and their indexes are
 * garbage once the plan exists: only the plan is held while it applies.
 *
 * A full listing reads the stored state first: its hashes let the snapshot
 * drop unchanged records as they arrive. A delta usually brings a handful of
 * events, and reading 100k stored users to lay nothing over them was most of
 * a no-change run: its pages wait (up to DEFERRED_EVENTS events) until it is
 * known whether there is anything to plan. A delta that brought no event, on
 * a connection without a scope, plans nothing: the desired state is the
 * stored one, unchanged since the last run. (A scope is applied to the stored
 * users on every run, so a scoped connection always reads them.)
 */
async function readAndPlan(
  deps: SyncDeps,
  connection: ConnectionRow,
  options: SyncOptions,
  stats: ProviderStats,
  stored0: StoredCursor | null,
  lease: HeldLease,
  apply: { actor: Actor; counts: SyncCounts },
): Promise<ReadResult> {
  const scope = (connection.settings as { scope?: ScopeSettings } | null)?.scope;
  let stored: StoredState | undefined;
  let storedActiveUsers = 0;
  let storedGroups = 0;
  let builder: SnapshotBuilder | undefined;
  let early: EarlyCreates | undefined;
  const waiting: DirectoryEvent[][] = [];
  let waitingEvents = 0;
  const readStored = async () => {
    stored = await loadStoredState(deps.db, connection.tenantId, connection.id, stored0?.nesting ?? NO_NESTING);
    storedActiveUsers = stored.users.filter((u) => u.active).length;
    storedGroups = stored.groups.length;
    builder = createSnapshotBuilder(new Map(stored.users.map((u) => [u.externalId, u.sourceHash ?? ''])));
    for (const page of waiting.splice(0)) builder.add(page);
  };
  const mayDefer = !options.full && stored0 !== null && !hasScope(scope);
  if (!mayDefer) await readStored();
  const provider = await (deps.providerFor ?? createProvider)(connection.kind, providerContext(connection, options.secrets, { logger: deps.logger, stats }));

  let error: string | undefined;
  let mode: 'full' | 'delta' = 'full';
  let nextCursor: unknown = null;
  let pages = 0;
  let users = 0;
  let groups = 0;
  try {
    const dir = await provider.run({ cursor: options.full ? null : (stored0?.provider ?? null), full: !!options.full });
    mode = dir.mode;
    if (mode === 'full' && !builder) await readStored();
    if (mode === 'full' && !options.dryRun && !hasScope(scope)) {
      const { tenantId, id: connectionId } = connection;
      const size = options.chunkSize ?? DEFAULT_CHUNK;
      early = earlyCreates({ db: deps.db, lease, tenantId, connectionId, ...apply, size, workers: deps.applyWorkers ?? 1, stored: stored!, builder: builder! });
    }
    for await (const page of dir.pages) {
      pages += 1;
      if (builder) {
        builder.add(page);
        early?.offer(page);
        early?.check();
      } else {
        waiting.push(page);
        waitingEvents += page.length;
        if (waitingEvents > DEFERRED_EVENTS) await readStored();
      }
      for (const e of page) {
        if (e.type === 'user') users += 1;
        else if (e.type === 'group') groups += 1;
      }
      options.onProgress?.({ pages, users, groups });
      lease.assertHeld();
    }
    nextCursor = dir.nextCursor();
  } catch (err) {
    if (!(err instanceof ProviderError)) {
      await early?.settle().catch(() => undefined);
      throw err;
    }
    error = `${err.kind}: ${err.message}`;
  }
  // The batches still running are part of the stored state the plan reads.
  await early?.settle();
  if (early) deps.logger.info('sync listing read', { connection: options.label, pages, users, groups, writtenWhileListing: early.created });
  if (!builder && waitingEvents === 0 && error === undefined && mode === 'delta' && stored0?.synced) {
    const { users: usersSynced, groups: groupsSynced } = stored0.synced;
    return { plan: unchangedPlan(stored0.nesting, usersSynced, groupsSynced), mode, nextCursor, complete: true, error, pages, storedActiveUsers: usersSynced, storedGroups: groupsSynced, early };
  }
  if (!builder) await readStored();
  const snapshot = builder!.finish(error === undefined);
  const plan = planChanges(stored!, snapshot, { mode, scope });
  return {
    plan,
    mode,
    nextCursor,
    complete: snapshot.complete,
    error,
    pages: snapshot.pages,
    storedActiveUsers,
    storedGroups,
    early,
  };
}

/** A scope that can leave someone out: its absence lets a delta without events plan nothing. */
function hasScope(scope: ScopeSettings | undefined): boolean {
  return (scope?.groups?.length ?? 0) > 0 || (scope?.excludeEmailPatterns?.length ?? 0) > 0;
}

export async function syncConnection(deps: SyncDeps, connection: ConnectionRow, options: SyncOptions): Promise<SyncReport> {
  const kind = connection.kind;
  if (!isProviderKind(kind)) throw new ValidationError(`connection ${options.label} is of kind ${kind}; only ${pullKindsInWords()} connections are pulled`);
  const ttl = options.leaseTtlMs ?? DEFAULT_SYNC_LEASE_MS;
  return withLease(deps, connection, options.label, ttl, async (connection, lease) => {
    const tenantId = connection.tenantId;
    const stored0 = readCursor(connection.deltaCursor);
    const run = await insertRun(deps.db, { tenantId, connectionId: connection.id, trigger: options.trigger ?? 'manual', mode: options.dryRun ? 'dry-run' : options.full ? 'full' : 'delta' });
    // Changes a pull brings are the sync's; an approval's are the approving admin's (approveHeldRun).
    const actor: Actor = { type: 'sync', id: options.label, runId: run.id };
    const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
    const finish = async (patch: RunPatch, warnings: string[] = []) =>
      reportOf(await finishRun(deps.db, tenantId, run.id, { apiRequests: stats.apiRequests, ...patch }), options.label, { warnings, throttled: stats.throttled });

    try {
      // Counts from the start: a full listing's new users are created while it is read (early-creates.ts).
      const counts = emptySyncCounts();
      let read: ReadResult;
      try {
        read = await readAndPlan(deps, connection, options, stats, stored0, lease, { actor, counts });
      } catch (err) {
        if (!(err instanceof EarlyApplyFailure)) throw err;
        await recordFailedApply(deps.db, { tenantId, connectionId: connection.id, runId: run.id }, err.failed, err.error);
        return await finish({ mode: 'full', status: 'failed', counts, error: `apply failed: ${errorWords(err.error)}` });
      }
      const { plan } = read;
      const guard = guardPlan({
        changes: plan.changes,
        membershipRemovals: plan.memberships.removes,
        complete: read.complete,
        error: read.error,
        pages: read.pages,
        storedUsers: read.storedActiveUsers,
        storedGroups: read.storedGroups,
        threshold: { count: connection.deletionThresholdCount, percent: connection.deletionThresholdPercent },
      });
      const admitted = await admit(deps, tenantId, guard.apply, read.early);
      const { mode, nextCursor } = read;
      const cursor: StoredCursor = { v: 2, provider: nextCursor, nesting: plan.nesting, synced: { users: plan.usersSynced, groups: plan.groupsSynced } };
      const base = { usersSynced: plan.usersSynced, groupsSynced: plan.groupsSynced, skipped: skippedOf(plan.skipped) };
      // userName conflicts make a run partial (its cursor stays, so the next run tries them again);
      // a held or incomplete run keeps its own status and says both.
      const outcome = (conflicts: Admission['conflicts']) => {
        const said = conflicts.length ? describeConflicts(conflicts) : null;
        const status = said && guard.status === 'succeeded' ? ('partial' as const) : guard.status;
        return { said, status, why: [guard.message, said].filter(Boolean).join('; ') || null };
      };
      const changeCount = plan.changes.length + plan.memberships.adds + plan.memberships.removes;
      const planned = outcome(admitted.conflicts);
      deps.logger.info('sync planned', { connection: options.label, runId: run.id, mode, pages: read.pages, changes: changeCount, status: planned.status, userNameConflicts: admitted.conflicts.length });

      if (options.dryRun) {
        return await finish({ ...base, status: planned.status, counts: dryRunCounts(plan, guard, admitted), error: planned.why }, plan.warnings);
      }
      const target: ApplyTarget = { db: deps.db, lease, tenantId, actor, size: options.chunkSize ?? DEFAULT_CHUNK, counts, notCreated: admitted.notCreated, conflicts: [] };
      let withheldMembers: LifecycleChange[];
      try {
        withheldMembers = await applyPlan(target, plan, guard, admitted, deps.applyWorkers);
      } catch (err) {
        await recordFailedApply(deps.db, { tenantId, connectionId: connection.id, runId: run.id }, target.failed, err);
        return await finish({ ...base, mode, status: 'failed', counts, error: `apply failed: ${errorWords(err)}` }, plan.warnings);
      }
      // Users the database refused while applying were held back like the pre-check's.
      const { said: conflicts, status, why } = outcome([...admitted.conflicts, ...target.conflicts]);
      if (target.conflicts.length) deps.logger.warn('sync held back users refused when applied', { connection: options.label, runId: run.id, users: target.conflicts.length });
      await recordHeldBack(deps.db, { tenantId, connectionId: connection.id, runId: run.id }, [...admitted.conflicts, ...target.conflicts], plan.held);
      if (guard.status === 'held') {
        // Removals before deactivations and deletes, as the plan orders them.
        const changes = [...withheldMembers, ...guard.withheld];
        const held: HeldPlan = { changes, counts: countsOfKinds(changes), cursor };
        const msg = `${guard.message}; approve with \`${approveCommand(options.label, run.id)}\` or change the connection's deletion threshold${conflicts ? `; ${conflicts}` : ''}`;
        return await finish({ ...base, mode, status: 'held', counts, error: msg, heldPlan: held }, plan.warnings);
      }
      if (status === 'succeeded') await saveCursor(deps.db, tenantId, connection.id, cursor);
      return await finish({ ...base, mode, status, counts, error: why }, plan.warnings);
    } catch (err) {
      // Without a database the run row is written when it is back (before the lease is released).
      const failed = { apiRequests: stats.apiRequests, status: 'failed' as const, error: errorWords(err) };
      await finishRun(deps.db, tenantId, run.id, failed).catch(() => lease.whenReachable(() => finishRun(deps.db, tenantId, run.id, failed)));
      throw err;
    }
  });
}

function countsOfKinds(changes: LifecycleChange[]): HeldPlan['counts'] {
  const out: HeldPlan['counts'] = {};
  for (const c of changes) out[c.kind] = (out[c.kind] ?? 0) + 1;
  return out;
}

/** Apply a held run's plan, if that run is still the connection's latest. */
export async function approveHeldRun(deps: SyncDeps, connection: ConnectionRow, options: { label: string; runId: string; leaseTtlMs?: number }): Promise<SyncReport> {
  return withLease(deps, connection, options.label, options.leaseTtlMs ?? DEFAULT_SYNC_LEASE_MS, async (connection, lease) => {
    const tenantId = connection.tenantId;
    const held = await findRun(deps.db, tenantId, options.runId);
    if (!held || held.connectionId !== connection.id) throw new NotFoundError(`no sync run ${options.runId} for ${options.label}`);
    if (held.status !== 'held' || !held.heldPlan) throw new ConflictError(`sync run ${held.id} is ${held.status}, not held: nothing to approve`);
    const latest = await latestRun(deps.db, tenantId, connection.id);
    if (latest && latest.id !== held.id) {
      throw new ConflictError(`sync run ${held.id} is no longer the latest of ${options.label} (${latest.id} is); run \`roster sync ${options.label}\` again and approve its plan`);
    }
    const plan = held.heldPlan as HeldPlan;
    const run = await insertRun(deps.db, { tenantId, connectionId: connection.id, trigger: 'approval', mode: held.mode });
    const counts = emptySyncCounts();
    // Removals, deactivations and deletes: nothing in them can meet a unique rule.
    const target: ApplyTarget = { db: deps.db, lease, tenantId, actor: { ...deps.actor, runId: run.id }, size: 5000, counts, notCreated: new Set(), conflicts: [] };
    try {
      await applyInChunks(target, plan.changes);
    } catch (err) {
      return reportOf(await finishRun(deps.db, tenantId, run.id, { status: 'failed', counts, error: `apply failed: ${errorWords(err)}` }), options.label);
    }
    if (plan.cursor) await saveCursor(deps.db, tenantId, connection.id, plan.cursor);
    const row = await finishRun(deps.db, tenantId, run.id, {
      status: 'succeeded',
      counts,
      usersSynced: held.usersSynced,
      groupsSynced: held.groupsSynced,
      heldPlan: { approvedRun: held.id },
    });
    deps.logger.info('held sync plan approved', { connection: options.label, heldRunId: held.id, runId: run.id });
    return reportOf(row, options.label);
  });
}
