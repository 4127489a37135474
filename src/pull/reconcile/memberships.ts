/**
 * The membership part of a plan, kept as the two member maps it is the
 * difference of rather than as change objects: a first sync of 500k
 * memberships would otherwise hold 500k `membership.add` objects (and the
 * arrays around them) from planning to the last chunk of the apply. The
 * reconciler draws the changes one group at a time and applies them in
 * bounded chunks; each group's sets are let go once drawn.
 */
import type { ChangeOf } from '../../core/lifecycle/index.js';

export type MembershipChange = ChangeOf<'membership.add'> | ChangeOf<'membership.remove'>;

export interface MembershipPlan {
  /** What `byGroup()` yields, counted when planned (before any skip). */
  readonly adds: number;
  readonly removes: number;
  /**
   * The changes, one group at a time: its adds, then its removes; groups with
   * none are left out. Users in `skip` (user ids: creates the reconciler held
   * back) get no change. Single use: a group's sets are released as it is yielded.
   */
  byGroup(skip?: ReadonlySet<string>): Generator<MembershipChange[]>;
}

export interface MembershipDiffInput {
  /** Desired flattened members: group external id → user external ids. */
  desired: Map<string, ReadonlySet<string>>;
  /** Stored flattened members, same keys. A desired set that *is* its stored set is unchanged. */
  stored: Map<string, ReadonlySet<string>>;
  /** Ids of the desired groups (stored or about to be created), by external id. */
  groupIds: ReadonlyMap<string, string>;
  /** Ids of the users the run keeps (stored or about to be created), by external id. */
  userIds: ReadonlyMap<string, string>;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Per group, among users the run keeps. Users leaving keep their rows (their
 * mapped roles go with deactivation; a return finds them again).
 */
export function planMemberships({ desired, stored, groupIds, userIds }: MembershipDiffInput): MembershipPlan {
  let adds = 0;
  let removes = 0;
  for (const [ext, members] of desired) {
    const before = stored.get(ext) ?? NONE;
    // A group a delta did not touch still holds the stored set itself: nothing to diff.
    if (members === before) continue;
    for (const u of members) if (!before.has(u) && userIds.has(u)) adds += 1;
    for (const u of before) if (!members.has(u) && userIds.has(u)) removes += 1;
  }
  let drawn = false;
  return {
    adds,
    removes,
    *byGroup(skip = NONE) {
      if (drawn) throw new Error('a membership plan is drawn once');
      drawn = true;
      for (const [ext, members] of desired) {
        const before = stored.get(ext) ?? NONE;
        desired.delete(ext);
        stored.delete(ext);
        if (members === before) continue;
        const groupId = groupIds.get(ext)!;
        const out: MembershipChange[] = [];
        for (const u of members) {
          if (before.has(u)) continue;
          const userId = userIds.get(u);
          if (userId !== undefined && !skip.has(userId)) out.push({ kind: 'membership.add', groupId, userId });
        }
        for (const u of before) {
          if (members.has(u)) continue;
          const userId = userIds.get(u);
          if (userId !== undefined && !skip.has(userId)) out.push({ kind: 'membership.remove', groupId, userId });
        }
        if (out.length) yield out;
      }
    },
  };
}
