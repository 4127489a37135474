/**
 * The guard between a plan and the store (pure). Two rules:
 * - an incomplete listing says nothing about absence: every destructive
 *   change (deactivate, delete, membership removal, group delete) is stripped;
 * - a plan removing more users (or groups) than the threshold allows is held
 *   for an admin: the safe part applies, the destructive part waits in the run row.
 */
import type { LifecycleChange } from '../../core/lifecycle/index.js';

export const DEFAULT_THRESHOLD = { percent: 10, count: 500 } as const;

export interface Threshold {
  count: number | null;
  percent: number | null;
}

export type GuardStatus = 'succeeded' | 'partial' | 'failed' | 'held';

export interface GuardInput {
  /** The plan's changes, but for membership changes (see `membershipRemovals`). */
  changes: LifecycleChange[];
  /** Membership removals the plan holds apart from `changes` (destructive too). */
  membershipRemovals?: number;
  /** Whether every page of the listing was read. */
  complete: boolean;
  /** Why the listing stopped, when it did. */
  error?: string | undefined;
  /** Pages read before the stop (none = nothing usable). */
  pages: number;
  /** Users of the connection before the run (the percent's base). */
  storedUsers: number;
  /** Groups of the connection before the run: deleting many groups strips as many roles as deactivating users. */
  storedGroups?: number;
  threshold: Threshold;
}

export interface GuardResult {
  status: GuardStatus;
  /** What may be applied now. */
  apply: LifecycleChange[];
  /** Destructive changes waiting for approval (held) or dropped (incomplete). */
  withheld: LifecycleChange[];
  /** What becomes of the plan's membership removals: applied, kept with `withheld` (held), or dropped (incomplete). */
  membershipRemovals: 'apply' | 'withhold' | 'drop';
  /** Users the plan would deactivate or delete, and the most allowed. */
  removals: number;
  limit: number;
  message: string | null;
}

const USER_REMOVAL = new Set<LifecycleChange['kind']>(['user.deactivate', 'user.delete']);
const DESTRUCTIVE = new Set<LifecycleChange['kind']>(['user.deactivate', 'user.delete', 'membership.remove', 'group.delete']);

export const isDestructive = (c: LifecycleChange) => DESTRUCTIVE.has(c.kind);

/**
 * The most users one run may remove. Default: 10% of the connection's users
 * or 500, whichever is smaller; a connection's count or percent replaces it.
 */
export function removalLimit(threshold: Threshold, storedUsers: number): number {
  const limits: number[] = [];
  if (threshold.count !== null) limits.push(threshold.count);
  if (threshold.percent !== null) limits.push(Math.floor((storedUsers * threshold.percent) / 100));
  if (limits.length === 0) return Math.min(DEFAULT_THRESHOLD.count, Math.floor((storedUsers * DEFAULT_THRESHOLD.percent) / 100));
  return Math.min(...limits);
}

export function guardPlan(input: GuardInput): GuardResult {
  const removals = input.changes.filter((c) => USER_REMOVAL.has(c.kind)).length;
  const limit = removalLimit(input.threshold, input.storedUsers);
  if (!input.complete) {
    const apply = input.changes.filter((c) => !isDestructive(c));
    const withheld = input.changes.filter(isDestructive);
    const status = input.pages === 0 ? 'failed' : 'partial';
    const why = input.error ?? 'the listing did not complete';
    const skipped = withheld.length + (input.membershipRemovals ?? 0);
    const message =
      status === 'failed'
        ? `sync failed: ${why}`
        : `listing incomplete after ${input.pages} page(s): ${why}; nobody was deactivated or deleted` +
          (skipped ? ` (${skipped} destructive change(s) skipped)` : '');
    return { status, apply, withheld, membershipRemovals: 'drop', removals, limit, message };
  }
  const groupRemovals = input.changes.filter((c) => c.kind === 'group.delete').length;
  const groupLimit = removalLimit(input.threshold, input.storedGroups ?? 0);
  if (removals > limit || groupRemovals > groupLimit) {
    const what =
      removals > limit
        ? `deactivates or deletes ${removals} of ${input.storedUsers} user(s), more than the threshold allows (${limit})`
        : `deletes ${groupRemovals} of ${input.storedGroups} group(s), more than the threshold allows (${groupLimit})`;
    return {
      status: 'held',
      apply: input.changes.filter((c) => !isDestructive(c)),
      withheld: input.changes.filter(isDestructive),
      membershipRemovals: 'withhold',
      removals,
      limit,
      message: `held: the plan ${what}`,
    };
  }
  return { status: 'succeeded', apply: input.changes, withheld: [], membershipRemovals: 'apply', removals, limit, message: null };
}
