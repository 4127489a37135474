/**
 * Applying a guarded, admitted plan through the lifecycle layer, chunk by
 * chunk, one transaction per chunk.
 *
 * A per-user conflict found when a chunk is applied (a userName a SCIM push
 * took after the pre-check in collisions.ts, or any other unique rule the
 * pre-check does not know) holds back that user only, never the run: the
 * chunk is split in halves and each half applied again, down to the one
 * change the database refuses. That change is held back (a rename keeps the
 * rest of its update) and reported like the pre-check's conflicts; every
 * other change of the chunk, deactivations and deletes included, applies.
 * Conflicts are rare once the pre-check compares names as the index does, so
 * the few extra rolled-back transactions (about 2·log2(chunk) per conflict)
 * cost little.
 */
import { ConflictError } from '../../core/errors/index.js';
import { applyChanges, type Actor, type ChangeOf, type LifecycleChange } from '../../core/lifecycle/index.js';
import { isLockConflict, type Db } from '../../core/store/index.js';
import type { Admission, UserNameConflict } from './collisions.js';
import { withoutRename } from './collisions.js';
import type { GuardResult } from './guard.js';
import type { HeldLease } from './lease.js';
import { splitAtMemberships, type Plan } from './plan.js';
import { addApplied, type SyncCounts } from './report.js';

export interface ApplyTarget {
  db: Db;
  /** The sync lease, confirmed before each transaction: a run that lost it applies nothing more. */
  lease: Pick<HeldLease, 'confirm'>;
  tenantId: string;
  actor: Actor;
  /** Changes per transaction. */
  size: number;
  counts: SyncCounts;
  /** Users not created (their memberships are not drawn); grows as the apply holds users back. */
  notCreated: Set<string>;
  /** Conflicts found while applying, added to the admission's. */
  conflicts: UserNameConflict[];
  /** The changes of the transaction that failed the apply (the smallest, when a conflict split it): the log's `failed` rows. */
  failed?: LifecycleChange[];
}

/** Changes a unique rule can refuse for one user: those that write a userName. */
const mayConflict = (c: LifecycleChange) => c.kind === 'user.create' || (c.kind === 'user.update' && typeof c.attributes.userName === 'string');

/** One transaction. Callers confirm the lease first, outside their conflict handling: a lost lease is no user's conflict. */
async function applyOnce(target: ApplyTarget, changes: LifecycleChange[]): Promise<void> {
  const result = await applyChanges(target.db, { tenantId: target.tenantId, actor: target.actor }, changes);
  addApplied(target.counts, result.counts, result.rowsWritten);
}

/** Apply `changes` in one transaction; on a per-user conflict, apply them again without that user. */
async function applyHoldingBack(target: ApplyTarget, changes: LifecycleChange[]): Promise<void> {
  await target.lease.confirm();
  try {
    await applyOnce(target, changes);
  } catch (err) {
    if (!(err instanceof ConflictError) || !changes.some(mayConflict)) {
      target.failed ??= changes;
      throw err;
    }
    if (changes.length > 1) {
      const half = Math.ceil(changes.length / 2);
      await applyHoldingBack(target, changes.slice(0, half));
      await applyHoldingBack(target, changes.slice(half));
      return;
    }
    await holdBack(target, changes[0]!, err);
  }
}

/** The one change the database refused: leave its user out (a rename: apply the rest of the update). */
async function holdBack(target: ApplyTarget, change: LifecycleChange, err: ConflictError): Promise<void> {
  const heldBy = { applying: err.message };
  if (change.kind === 'user.create') {
    if (change.id) target.notCreated.add(change.id);
    target.conflicts.push({ user: change.externalId ?? change.attributes.userName, userName: change.attributes.userName, heldBy });
    return;
  }
  const update = change as ChangeOf<'user.update'>;
  target.conflicts.push({ user: update.userId, userId: update.userId, userName: update.attributes.userName!, heldBy });
  const rest = withoutRename(update);
  if (Object.keys(rest.attributes).length === 0) return;
  await target.lease.confirm();
  await applyOnce(target, [rest]);
}

/**
 * Apply in transactions of `size` changes. The array is consumed: an applied
 * chunk's entries are dropped at once, so a first sync's 600k changes do not
 * all stay in memory until the last chunk.
 */
export async function applyInChunks(target: ApplyTarget, changes: LifecycleChange[], workers = 1): Promise<void> {
  await applyConcurrently(target, chunksOf(changes, target.size), workers);
}

function* chunksOf(changes: LifecycleChange[], size: number): Generator<LifecycleChange[]> {
  const slots = changes as Array<LifecycleChange | undefined>;
  for (let i = 0; i < changes.length; i += size) {
    yield changes.slice(i, i + size);
    slots.fill(undefined, i, Math.min(i + size, changes.length));
  }
}

/**
 * The plan's user creates, cut out of the changes before the memberships:
 * `[lead, creates, rest]`. The plan orders them after any delete-and-recreate
 * and the group creates, before the updates; nothing in one create depends on
 * another, so they can apply side by side (a name two of them share is the
 * database's to refuse, and applyHoldingBack holds back the one it refuses).
 */
function cutCreates(changes: LifecycleChange[]): [LifecycleChange[], LifecycleChange[], LifecycleChange[]] {
  const first = changes.findIndex((c) => c.kind === 'user.create');
  if (first < 0) return [changes, [], []];
  let end = first;
  while (end < changes.length && changes[end]!.kind === 'user.create') end += 1;
  return [changes.slice(0, first), changes.slice(first, end), changes.slice(end)];
}

/**
 * Apply what the guard and the userName check let through: user and group
 * changes, then the memberships drawn group by group and applied in chunks
 * (never all 500k of a first sync in memory at once), then the destructive
 * tail. Returns the membership removals a held plan keeps.
 *
 * A first sync's user creates and membership additions (five per user) cost
 * the database far more than the reconciler: with `workers` > 1 they apply in
 * that many transactions at once (the additions each on its own groups), so a
 * server with cores to spare uses them (see applyConcurrently). Removals follow, one
 * transaction at a time, after every addition: a user moved between two
 * groups that map the same role never loses it in between, and no two
 * transactions recompute one user's roles from what each sees of the other's
 * half-made changes.
 */
export async function applyPlan(target: ApplyTarget, plan: Plan, guard: GuardResult, admitted: Admission, workers = 1): Promise<LifecycleChange[]> {
  const { before, after } = splitAtMemberships(admitted.changes);
  const [lead, creates, rest] = cutCreates(before);
  await applyInChunks(target, lead);
  await applyInChunks(target, creates, workers);
  await applyInChunks(target, rest);
  const withheld: LifecycleChange[] = [];
  const removals: LifecycleChange[] = [];
  function* additions(): Generator<LifecycleChange[]> {
    let batch: LifecycleChange[] = [];
    // Drawn after the users applied, so a user held back while applying gets no membership either.
    for (const group of plan.memberships.byGroup(target.notCreated)) {
      for (const change of group) {
        if (change.kind === 'membership.remove') {
          if (guard.membershipRemovals === 'apply') removals.push(change);
          else if (guard.membershipRemovals === 'withhold') withheld.push(change);
          continue;
        }
        batch.push(change);
        if (batch.length < target.size) continue;
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
  await applyConcurrently(target, additions(), workers);
  await applyInChunks(target, removals);
  await applyInChunks(target, after);
  return withheld;
}

/**
 * Apply the batches in up to `workers` transactions at once. The batches are
 * drawn one at a time as a worker frees, so no more than `workers` of them are
 * held. Two transactions can still meet on a row both must lock (a mapped
 * role both grant one user); the database then aborts one of them to break
 * the cycle, and that batch is applied again after the others, on its own.
 * Any other failure stops the drawing and is thrown once the batches in
 * flight are done.
 */
async function applyConcurrently(target: ApplyTarget, batches: Iterator<LifecycleChange[]>, workers: number): Promise<void> {
  const again: LifecycleChange[][] = [];
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure) {
      const next = batches.next();
      if (next.done) return;
      try {
        await applyHoldingBack(target, next.value);
      } catch (error) {
        if (workers > 1 && isLockConflict(error)) {
          if (target.failed === next.value) target.failed = undefined;
          again.push(next.value);
        } else failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
  if (failure) throw failure.error;
  for (const batch of again) await applyHoldingBack(target, batch);
}
