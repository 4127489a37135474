/**
 * New users created while a full listing is still being read (issue 15).
 *
 * A first sync's listing brings its users long before its last page of group
 * members. Creating them as their pages arrive puts the database to work while
 * the IdP is still being read, and drops each created user's record (its
 * mapped attributes) at once instead of holding every record to the listing's
 * end (1M users held 2.8 GB).
 *
 * What is created here is only what the plan would create, whatever the rest
 * of the listing says:
 * - only in a full listing without a scope (a scope group's members are known
 *   at the listing's end), never in a dry run;
 * - only users new to the connection, with a record Roster can store;
 * - only names nobody holds, admitted as the plan admits them. A user whose
 *   name is taken waits for the plan, which finds the holder again and
 *   reports the conflict once.
 * Creates are never withheld: they apply in a held run and in a partial one
 * (guard.ts). A created user joins the stored state the plan reads, so the
 * plan finds it stored and unchanged, as if the run had started a moment
 * later. The deletion threshold's base stays the users stored before the run
 * (run.ts counts them before any is created here).
 *
 * A batch the database refuses for any other reason fails the run as an apply
 * would: reading stops, the run ends failed, its changes are logged.
 */
import { randomUUID } from 'node:crypto';
import type { Actor, ChangeOf, LifecycleChange } from '../../core/lifecycle/index.js';
import { isLockConflict, type Db } from '../../core/store/index.js';
import type { DirectoryEvent } from '../providers/index.js';
import { applyInChunks, type ApplyTarget } from './apply-plan.js';
import { admitUserNames, claimedUserNames } from './collisions.js';
import type { HeldLease } from './lease.js';
import { oversizeUser } from './oversize.js';
import type { StoredUser } from './plan.js';
import type { SyncCounts } from './report.js';
import type { SnapshotBuilder } from './snapshot.js';
import { findUserNameHolders } from './store.js';

/** Why the run stops: a batch of early creates could not be written. */
export class EarlyApplyFailure extends Error {
  constructor(
    /** The changes of the transaction that failed (the provisioning log's `failed` rows). */
    readonly failed: LifecycleChange[] | undefined,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

export interface EarlyCreatesDeps {
  db: Db;
  lease: Pick<HeldLease, 'confirm'>;
  tenantId: string;
  connectionId: string;
  actor: Actor;
  counts: SyncCounts;
  /** Users per transaction, and the least that starts one. */
  size: number;
  /** Transactions at once. */
  workers: number;
  /** The stored state the plan will read: created users are added to it. */
  stored: StoredUser[];
  builder: SnapshotBuilder;
}

type Create = ChangeOf<'user.create'> & { externalId: string };

export interface EarlyCreates {
  /** Queue the page's new users (after the builder folded it); starts a batch when one is full. */
  offer(page: DirectoryEvent[]): void;
  /** Throws the failure of a batch, if one failed: the listing stops. */
  check(): void;
  /** Stop starting batches and wait for those running; throws a batch's failure. The rest is the plan's. */
  settle(): Promise<void>;
}

export function earlyCreates(deps: EarlyCreatesDeps): EarlyCreates {
  // Every external id stored, queued or created: each is offered to a batch once.
  const seen = new Set(deps.stored.map((u) => u.externalId));
  const queue: Create[] = [];
  const queued = new Set<string>();
  const running = new Set<Promise<void>>();
  let failure: EarlyApplyFailure | undefined;
  let closed = false;

  const apply = async (batch: Create[]) => {
    const admitted = admitUserNames(batch, await findUserNameHolders(deps.db, deps.tenantId, claimedUserNames(batch)));
    const target: ApplyTarget = {
      db: deps.db,
      lease: deps.lease,
      tenantId: deps.tenantId,
      actor: deps.actor,
      size: batch.length,
      counts: deps.counts,
      notCreated: admitted.notCreated,
      // A conflict found here is reported by the plan, which meets the same user again.
      conflicts: [],
    };
    try {
      // A copy: applyInChunks empties the array it is given, and `batch` may be that array.
      await applyInChunks(target, [...admitted.changes]);
    } catch (error) {
      // Two batches meeting on one lock: the plan creates these users instead.
      if (isLockConflict(error)) return;
      throw new EarlyApplyFailure(target.failed, error);
    }
    for (const c of batch) {
      if (target.notCreated.has(c.id!)) continue;
      deps.stored.push({ id: c.id!, externalId: c.externalId, userName: c.attributes.userName, active: c.active ?? true, sourceHash: c.sourceHash ?? null, email: c.attributes.email ?? null });
      deps.builder.stored(c.externalId, c.sourceHash!);
    }
  };

  const pump = () => {
    while (!closed && !failure && running.size < deps.workers && queue.length >= deps.size) {
      const batch = queue.splice(0, deps.size).filter((c) => queued.delete(c.externalId));
      const p: Promise<void> = apply(batch)
        .catch((err: unknown) => {
          failure ??= err instanceof EarlyApplyFailure ? err : new EarlyApplyFailure(undefined, err);
        })
        .finally(() => {
          running.delete(p);
          pump();
        });
      running.add(p);
    }
  };

  return {
    offer(page) {
      if (closed || failure) return;
      const users = deps.builder.snapshot.users;
      for (const e of page) {
        if (e.type === 'user.removed') {
          // Removed later in the same listing, before its batch started: not created.
          queued.delete(e.externalId);
          continue;
        }
        if (e.type !== 'user') continue;
        const id = e.user.externalId;
        const folded = users.get(id);
        // folded.record is this event's own record unless a later event of the page replaced it.
        if (seen.has(id) || folded?.record !== e.user || oversizeUser(e.user)) continue;
        seen.add(id);
        queued.add(id);
        queue.push({ kind: 'user.create', connectionId: deps.connectionId, id: randomUUID(), externalId: id, attributes: e.user, active: e.user.active, sourceHash: folded.hash });
      }
      pump();
    },
    check() {
      if (failure) throw failure;
    },
    async settle() {
      closed = true;
      while (running.size) await Promise.all([...running]);
      if (failure) throw failure;
    },
  };
}
