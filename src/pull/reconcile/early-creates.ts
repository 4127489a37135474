/**
 * New users and groups created while a full listing is still being read, and
 * the memberships of those groups once their member lists are whole
 * (issue 15).
 *
 * A first sync's listing brings its users long before its last page of group
 * members. Writing them as their pages arrive puts the database to work while
 * the IdP is still being read, and drops each created user's record (its
 * mapped attributes) at once instead of holding every record to the listing's
 * end (1M users held 2.8 GB).
 *
 * What is written here is only what the plan would write, whatever the rest
 * of the listing says:
 * - only in a full listing without a scope (a scope group's members are known
 *   at the listing's end), never in a dry run;
 * - only users and groups new to the connection, with values Roster can store;
 * - only userNames nobody holds, admitted as the plan admits them. A user whose
 *   name is taken waits for the plan, which finds the holder again and
 *   reports the conflict once;
 * - only additions, of members created here to groups created here, once the
 *   provider said the group's list is whole (`last`) and it names no child
 *   group (a nested group's members are the plan's to flatten).
 * Creates and additions are never withheld: they apply in a held run and in a
 * partial one (guard.ts). What is written joins the stored state the plan
 * reads, so the plan finds it stored and unchanged, as if the run had started
 * a moment later, and plans only the rest. The deletion thresholds' bases stay
 * what was stored before the run (run.ts counts them before anything is
 * written here).
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
import { oversizeGroup, oversizeUser } from './oversize.js';
import type { StoredState } from './plan.js';
import type { SyncCounts } from './report.js';
import type { SnapshotBuilder } from './snapshot.js';
import { findUserNameHolders } from './store.js';

/** Why the run stops: a batch written while listing failed. */
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
  /** Changes per transaction, and the least that starts one. */
  size: number;
  /** Transactions at once. */
  workers: number;
  /** The stored state the plan will read: what is written here is added to it. */
  stored: StoredState;
  builder: SnapshotBuilder;
}

type UserCreate = ChangeOf<'user.create'> & { externalId: string };
type GroupCreate = ChangeOf<'group.create'> & { externalId: string; id: string };

export interface EarlyCreates {
  /** Queue what the page brings (after the builder folded it); starts batches as they fill. */
  offer(page: DirectoryEvent[]): void;
  /** Throws the failure of a batch, if one failed: the listing stops. */
  check(): void;
  /** Stop starting batches and wait for those running; throws a batch's failure. The rest is the plan's. */
  settle(): Promise<void>;
  /** Users and memberships written so far. */
  readonly created: { users: number; groups: number; memberships: number };
  /** Of these user ids, those created here, with their external ids. */
  createdAmong(userIds: ReadonlySet<string>): Map<string, string>;
}

export function earlyCreates(deps: EarlyCreatesDeps): EarlyCreates {
  const { snapshot } = deps.builder;
  // Each new external id is offered to a batch once (stored users the builder knows).
  const offeredUsers = new Set<string>();
  const offeredGroups = new Set(deps.stored.groups.map((g) => g.externalId));
  const users: UserCreate[] = [];
  const groups: GroupCreate[] = [];
  // Queued, not yet taken into a batch (an id removed later in the listing is dropped from it).
  const queuedUsers = new Set<string>();
  const queuedGroups = new Set<string>();
  /** Users written here: external id → Roster id. */
  const userIds = new Map<string, string>();
  /** Groups offered here, by external id: their id once written, null while queued or being written, false if not written. */
  const ourGroups = new Map<string, string | null | false>();
  /** Groups created here whose member list is whole, waiting for their additions; and how many members they name. */
  const whole: string[] = [];
  let wholeMembers = 0;
  const running = new Set<Promise<void>>();
  let failure: EarlyApplyFailure | undefined;
  let closed = false;
  const created = { users: 0, groups: 0, memberships: 0 };
  const isOurs = (state: string | null | false | undefined) => state !== undefined && state !== false;

  const write = async (changes: LifecycleChange[], notCreated = new Set<string>()) => {
    const { db, lease, tenantId, actor, counts } = deps;
    const target: ApplyTarget = {
      db,
      lease,
      tenantId,
      actor,
      counts,
      size: changes.length,
      notCreated,
      // A conflict found here is reported by the plan, which meets the same user again.
      conflicts: [],
    };
    try {
      // A copy: applyInChunks empties the array it is given.
      await applyInChunks(target, [...changes]);
      return true;
    } catch (error) {
      // Two batches meeting on one lock: the plan writes these instead.
      if (isLockConflict(error)) return false;
      throw new EarlyApplyFailure(target.failed, error);
    }
  };

  const createUsers = async (batch: UserCreate[]) => {
    if (!batch.length) return;
    const admitted = admitUserNames(batch, await findUserNameHolders(deps.db, deps.tenantId, claimedUserNames(batch)));
    if (!(await write(admitted.changes, admitted.notCreated))) return;
    for (const c of batch) {
      if (admitted.notCreated.has(c.id!)) continue;
      deps.stored.users.push({ id: c.id!, externalId: c.externalId, userName: c.attributes.userName, active: c.active ?? true, sourceHash: c.sourceHash ?? null, email: c.attributes.email ?? null });
      deps.builder.stored(c.externalId, c.sourceHash!);
      userIds.set(c.externalId, c.id!);
      created.users += 1;
    }
  };

  const createGroups = async (batch: GroupCreate[]) => {
    if (!batch.length) return;
    const ok = await write(batch).finally(() => {
      for (const c of batch) ourGroups.set(c.externalId, false);
    });
    if (!ok) return;
    for (const c of batch) {
      deps.stored.groups.push({ id: c.id, externalId: c.externalId, displayName: c.displayName, sourceHash: c.sourceHash ?? null });
      ourGroups.set(c.externalId, c.id);
      created.groups += 1;
    }
  };

  /** The additions of whole groups: each member created here (the others are the plan's). */
  const addMembers = async (batch: string[]) => {
    const changes: ChangeOf<'membership.add'>[] = [];
    const written: Array<{ groupId: string; userIds: string[] }> = [];
    for (const ext of batch) {
      const members = snapshot.members.get(ext);
      const groupId = ourGroups.get(ext);
      if (!members || members.groups.size || !groupId) continue;
      const ids: string[] = [];
      for (const u of members.users) {
        const userId = userIds.get(u);
        if (userId !== undefined) ids.push(userId);
      }
      if (!ids.length) continue;
      for (const userId of ids) changes.push({ kind: 'membership.add', groupId, userId });
      written.push({ groupId, userIds: ids });
    }
    if (!changes.length || !(await write(changes))) return;
    deps.stored.memberships.push(...written);
    created.memberships += changes.length;
  };

  /** The next batch, groups first (members need them), then users, then additions. */
  const nextBatch = (): (() => Promise<void>) | undefined => {
    if (groups.length) {
      const batch = groups.splice(0, deps.size).filter((c) => queuedGroups.delete(c.externalId));
      return () => createGroups(batch);
    }
    // Once a group's list is whole, the last users queued go too: its members are most likely among them.
    if (users.length >= deps.size || (users.length && whole.length)) {
      const batch = users.splice(0, deps.size).filter((c) => queuedUsers.delete(c.externalId));
      return () => createUsers(batch);
    }
    if (wholeMembers >= deps.size) {
      let members = 0;
      let n = 0;
      // Up to the first group whose create is still queued or running.
      while (n < whole.length && members < deps.size && ourGroups.get(whole[n]!) !== null) members += snapshot.members.get(whole[n++]!)?.users.size ?? 0;
      if (n === 0) return undefined;
      const batch = whole.splice(0, n);
      wholeMembers -= members;
      return () => addMembers(batch);
    }
    return undefined;
  };

  const pump = () => {
    while (!closed && !failure && running.size < deps.workers) {
      const job = nextBatch();
      if (!job) return;
      const p: Promise<void> = job()
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

  const offerUser = (user: DirectoryEvent & { type: 'user' }) => {
    const id = user.user.externalId;
    const folded = snapshot.users.get(id);
    // folded.record is this event's own record unless a later event of the page replaced it.
    if (offeredUsers.has(id) || deps.builder.isStored(id) || folded?.record !== user.user || oversizeUser(user.user)) return;
    offeredUsers.add(id);
    queuedUsers.add(id);
    users.push({ kind: 'user.create', connectionId: deps.connectionId, id: randomUUID(), externalId: id, attributes: user.user, active: user.user.active, sourceHash: folded.hash });
  };

  const offerGroup = (externalId: string) => {
    const folded = snapshot.groups.get(externalId);
    if (offeredGroups.has(externalId) || !folded || oversizeGroup(externalId, folded.displayName)) return;
    offeredGroups.add(externalId);
    queuedGroups.add(externalId);
    ourGroups.set(externalId, null);
    groups.push({ kind: 'group.create', connectionId: deps.connectionId, id: randomUUID(), externalId, displayName: folded.displayName, profile: folded.profile, sourceHash: folded.hash });
  };

  return {
    created,
    createdAmong(ids) {
      const out = new Map<string, string>();
      if (ids.size) for (const [ext, id] of userIds) if (ids.has(id)) out.set(id, ext);
      return out;
    },
    offer(page) {
      if (closed || failure) return;
      for (const e of page) {
        // Removed later in the same listing, before its batch started: not created.
        if (e.type === 'user.removed') queuedUsers.delete(e.externalId);
        else if (e.type === 'group.removed' && queuedGroups.delete(e.externalId)) ourGroups.set(e.externalId, false);
        else if (e.type === 'user') offerUser(e);
        else if (e.type === 'group') offerGroup(e.group.externalId);
        else if (e.type === 'members' && e.last && isOurs(ourGroups.get(e.groupExternalId))) {
          // A group of ours (queued or written) whose list is whole.
          whole.push(e.groupExternalId);
          wholeMembers += snapshot.members.get(e.groupExternalId)?.users.size ?? 0;
        }
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
