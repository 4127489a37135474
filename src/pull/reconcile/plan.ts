/**
 * The plan: a pure function from (what the store holds, what the directory
 * said) to typed lifecycle changes. No I/O, no clock: ids for new records come
 * from `newId`, so tests can pin them.
 *
 * Both modes build the *desired* state and diff it against the stored one.
 * Full: the desired state is the snapshot. Delta: the stored state with the
 * events laid over it, so only what the events say changes.
 */
import { randomUUID } from 'node:crypto';
import type { ChangeOf, LifecycleChange } from '../../core/lifecycle/index.js';
import type { SyncMode } from '../providers/types.js';
import { flattenAll, type GroupEdges } from './flatten.js';
import { planMemberships, type MembershipPlan } from './memberships.js';
import { HeldBack, type HeldRecord } from './oversize.js';
import { createScopeFilter, type ScopeSettings } from './scope.js';
import type { Snapshot } from './snapshot.js';
import type { SyncedGroupRow, SyncedUserRow } from '../../core/store/index.js';

/** What the store holds of a user or group the IdP gave it: the plan compares these with the snapshot. */
export type StoredUser = SyncedUserRow;
export type StoredGroup = SyncedGroupRow;

export interface StoredState {
  connectionId: string;
  users: StoredUser[];
  groups: StoredGroup[];
  /** Stored (flattened) members, one entry per group: user ids (not external ids). */
  memberships: Array<{ groupId: string; userIds: string[] }>;
  /** What the last run saw of nested groups: deltas name direct members only, and the store keeps flattened ones. */
  nesting: Nesting;
}

/**
 * Direct edges of the groups that have child groups (parent external id →
 * child group ids, and → its own direct users). A group without children
 * needs nothing: its stored members are its direct members.
 */
export interface Nesting {
  children: Record<string, string[]>;
  users: Record<string, string[]>;
}

export const NO_NESTING: Nesting = { children: {}, users: {} };

export const LEFT_SCOPE = 'left the directory or scope';
export const DISABLED = 'disabled in the IdP';
export const SOFT_DELETED = 'deleted in the IdP (restorable)';

export interface PlanOptions {
  mode: SyncMode;
  scope?: ScopeSettings | undefined;
  newId?: () => string;
}

export type PlanCounts = Record<LifecycleChange['kind'], number>;

export interface Plan {
  /** User and group changes in apply order; membership changes go between `splitAtMemberships`' two parts. */
  changes: LifecycleChange[];
  /** Membership changes, drawn group by group while they are applied. */
  memberships: MembershipPlan;
  /** Per change kind, memberships included. */
  counts: Partial<PlanCounts>;
  /** Users and groups in the desired state (the report's "synced"). */
  usersSynced: number;
  groupsSynced: number;
  /** Nesting to keep for the next delta. */
  nesting: Nesting;
  /** Scope groups that matched nothing (a typo in settings should be visible). */
  warnings: string[];
  /** Users the scope left out: counts per reason and a bounded sample (sync_runs.skipped), never a row per user. */
  skipped: SkippedSummary;
  /** Records held back because a value is too long to store (a provisioning log row each). */
  held: HeldRecord[];
}

export interface SkippedSummary {
  byReason: Record<string, number>;
  sample: Array<{ externalId: string; userName: string | null; email: string | null; reason: string }>;
}

/** Skipped users named in a run's summary at most (a scoped connection of 100k leaves most of them out every run). */
export const SKIPPED_SAMPLE = 1000;
export const NOT_IN_SCOPE_GROUP = 'not in a scope group';

/** The order the lifecycle layer applies a batch in: creates first, destruction last. */
const ORDER: LifecycleChange['kind'][] = [
  'group.create',
  'user.create',
  'group.update',
  'user.update',
  'user.reactivate',
  'membership.add',
  'membership.remove',
  'user.deactivate',
  'user.delete',
  'group.delete',
];

/** Stable, by kind in ORDER (other kinds last). Buckets, not a sort: no wrapper per change (600k on a first sync). */
export function sortChanges(changes: LifecycleChange[]): LifecycleChange[] {
  // A first sync's plan is already in order (group creates, then user creates): no copy of it.
  if (inOrder(changes)) return changes;
  const buckets = new Map<LifecycleChange['kind'], LifecycleChange[]>(ORDER.map((k) => [k, []]));
  const rest: LifecycleChange[] = [];
  for (const c of changes) (buckets.get(c.kind) ?? rest).push(c);
  const out: LifecycleChange[] = [];
  for (const bucket of [...buckets.values(), rest]) for (const c of bucket) out.push(c);
  return out;
}

const RANK = new Map(ORDER.map((k, i) => [k, i]));

function inOrder(changes: LifecycleChange[]): boolean {
  let last = 0;
  for (const c of changes) {
    const rank = RANK.get(c.kind) ?? ORDER.length;
    if (rank < last) return false;
    last = rank;
  }
  return true;
}

/** Kinds that apply after the memberships: destruction, last. */
const AFTER_MEMBERSHIPS = new Set<LifecycleChange['kind']>(ORDER.slice(ORDER.indexOf('membership.remove') + 1));

/**
 * `changes` (in plan order, possibly filtered by the guard) cut where the
 * membership changes belong: after creates, updates and reactivations (they
 * name the users and groups), before deactivations and deletes. A user.delete
 * leading the plan (delete-and-recreate) stays in the first part.
 */
export function splitAtMemberships(changes: LifecycleChange[]): { before: LifecycleChange[]; after: LifecycleChange[] } {
  let cut = changes.length;
  while (cut > 0 && AFTER_MEMBERSHIPS.has(changes[cut - 1]!.kind)) cut -= 1;
  if (cut === changes.length) return { before: changes, after: [] };
  return { before: changes.slice(0, cut), after: changes.slice(cut) };
}

/** The whole plan as one list, in apply order (tests, small plans). Draws the memberships. */
export function allChanges(plan: Plan): LifecycleChange[] {
  const { before, after } = splitAtMemberships(plan.changes);
  return [...before, ...[...plan.memberships.byGroup()].flat(), ...after];
}

export function countChanges(changes: LifecycleChange[]): Partial<PlanCounts> {
  const counts: Partial<PlanCounts> = {};
  for (const c of changes) counts[c.kind] = (counts[c.kind] ?? 0) + 1;
  return counts;
}

const setMap = (m: Record<string, string[]>) => new Map(Object.entries(m).map(([k, v]) => [k, new Set(v)]));

export function planChanges(stored: StoredState, directory: Snapshot, options: PlanOptions): Plan {
  const newId = options.newId ?? randomUUID;
  const full = options.mode === 'full';
  const storedUsers = new Map(stored.users.map((u) => [u.externalId, u]));
  const storedGroups = new Map(stored.groups.map((g) => [g.externalId, g]));
  const userExt = new Map(stored.users.map((u) => [u.id, u.externalId]));
  const groupExt = new Map(stored.groups.map((g) => [g.id, g.externalId]));
  const storedFlat = new Map<string, Set<string>>();
  for (const m of stored.memberships) {
    const g = groupExt.get(m.groupId);
    if (g === undefined) continue;
    let s = storedFlat.get(g);
    for (const id of m.userIds) {
      const u = userExt.get(id);
      if (u === undefined) continue;
      if (!s) storedFlat.set(g, (s = new Set()));
      s.add(u);
    }
  }

  // Desired groups: external id → display name. A group with a value too long to store keeps its stored state (or is not created).
  const held = new HeldBack();
  const groups = new Map<string, string>();
  if (!full) for (const g of stored.groups) groups.set(g.externalId, g.displayName);
  for (const [id, g] of directory.groups) {
    const tooLong = held.group(id, g.displayName);
    const s = tooLong ? storedGroups.get(id) : undefined;
    if (!tooLong) groups.set(id, g.displayName);
    else if (s) groups.set(id, s.displayName);
  }
  for (const id of directory.removedGroups) groups.delete(id);

  // Desired users: external id → {active, email}. In delta mode unchanged users come from the store.
  // (The stored and snapshot records themselves: both have `active` and `email`, no copy per user.)
  // Full: the snapshot's own map (it never holds a removed user), not a copy of 100k entries.
  let users: ReadonlyMap<string, { readonly active: boolean; readonly email: string | null }> = directory.users;
  if (!full) {
    const merged = new Map<string, { readonly active: boolean; readonly email: string | null }>();
    for (const u of stored.users) merged.set(u.externalId, u);
    for (const [id, u] of directory.users) merged.set(id, u);
    for (const id of directory.removedUsers.keys()) merged.delete(id);
    users = merged;
  }

  const edges = desiredEdges(stored, directory, storedFlat, full);
  const flat = flattenAll(edges, groups.keys());

  const scope = createScopeFilter(options.scope, groups);
  let inScope: (id: string) => boolean = () => true;
  if (scope.byGroup) {
    const allowed = new Set<string>();
    for (const g of scope.groupIds) for (const u of flat.get(g) ?? []) allowed.add(u);
    inScope = (id) => allowed.has(id);
  }
  const skipped: SkippedSummary = { byReason: {}, sample: [] };
  const wanted = (id: string) => {
    const u = users.get(id);
    if (!u) return false;
    const pattern = inScope(id) ? scope.excludedBy(u.email) : undefined;
    const reason = !inScope(id) ? NOT_IN_SCOPE_GROUP : pattern !== undefined ? `email matches excluded pattern ${pattern}` : undefined;
    if (reason === undefined) return true;
    skipped.byReason[reason] = (skipped.byReason[reason] ?? 0) + 1;
    if (skipped.sample.length < SKIPPED_SAMPLE) {
      const name = directory.users.get(id)?.record?.userName ?? storedUsers.get(id)?.userName ?? null;
      skipped.sample.push({ externalId: id, userName: name, email: u.email, reason });
    }
    return false;
  };

  const changes: LifecycleChange[] = [];
  const warnings = scope.unmatched.map((r) => `scope group "${r}" matches no group of the directory`);
  const groupIds = new Map<string, string>();
  for (const [ext, name] of groups) {
    const s = storedGroups.get(ext);
    const d = directory.groups.get(ext);
    if (!s) {
      const id = newId();
      groupIds.set(ext, id);
      changes.push({ kind: 'group.create', connectionId: stored.connectionId, id, externalId: ext, displayName: name, profile: d?.profile ?? null, sourceHash: d?.hash ?? null });
    } else {
      groupIds.set(ext, s.id);
      if (d && d.hash !== s.sourceHash && !held.groups.has(ext)) changes.push({ kind: 'group.update', groupId: s.id, displayName: d.displayName, profile: d.profile, sourceHash: d.hash });
    }
  }

  const userIds = new Map<string, string>();
  const creates: Array<ChangeOf<'user.create'> & { externalId: string }> = [];
  let usersSynced = 0;
  for (const [ext, u] of users) {
    if (!wanted(ext)) continue;
    usersSynced += 1;
    const s = storedUsers.get(ext);
    const d = directory.users.get(ext);
    // Too long to store: not created, or not updated (its active state still follows the IdP).
    const tooLong = d?.record ? held.user(d.record) : false;
    if (!s) {
      // A user new to the store always carries its record (no stored hash to match).
      if (!d?.record || tooLong) continue;
      creates.push({
        kind: 'user.create',
        connectionId: stored.connectionId,
        id: newId(),
        externalId: ext,
        // The record itself (createUsers reads only the attribute fields): no copy per new user, 100k on a first sync.
        attributes: d.record,
        active: u.active,
        sourceHash: d.hash,
      });
      continue;
    }
    userIds.set(ext, s.id);
    if (d?.record && d.hash !== s.sourceHash && !tooLong) {
      const r = d.record;
      changes.push({
        kind: 'user.update',
        userId: s.id,
        attributes: { userName: r.userName, email: r.email, displayName: r.displayName, givenName: r.givenName, familyName: r.familyName, profile: r.profile ?? null, customAttributes: r.customAttributes ?? null },
        sourceHash: d.hash,
      });
    }
    if (u.active && !s.active) changes.push({ kind: 'user.reactivate', userId: s.id });
    if (!u.active && s.active) changes.push({ kind: 'user.deactivate', userId: s.id, reason: DISABLED });
  }

  // Stored users the desired state no longer holds (or holds out of scope).
  for (const s of stored.users) {
    if (userIds.has(s.externalId)) continue;
    const removed = directory.removedUsers.get(s.externalId);
    if (removed === 'deleted') changes.push({ kind: 'user.delete', userId: s.id });
    else if (!s.active) continue;
    else if (removed === 'soft-deleted') changes.push({ kind: 'user.deactivate', userId: s.id, reason: SOFT_DELETED });
    else if (full || users.has(s.externalId)) changes.push({ kind: 'user.deactivate', userId: s.id, reason: LEFT_SCOPE });
  }

  const early = deleteBeforeRecreate(stored.users, creates, changes, userIds);
  const memberships = planMemberships({ desired: flat, stored: storedFlat, groupIds, userIds });

  for (const s of stored.groups) {
    if (groups.has(s.externalId)) continue;
    if (full || directory.removedGroups.has(s.externalId)) changes.push({ kind: 'group.delete', groupId: s.id });
  }

  warnings.push(...held.warnings());
  const sorted = early.length ? [...early, ...sortChanges(changes)] : sortChanges(changes);
  const counts = countChanges(sorted);
  if (memberships.adds) counts['membership.add'] = memberships.adds;
  if (memberships.removes) counts['membership.remove'] = memberships.removes;
  const nesting: Nesting = { children: {}, users: {} };
  for (const [g, children] of edges.children) {
    if (!children.size || !groups.has(g)) continue;
    nesting.children[g] = [...children].filter((c) => groups.has(c));
    nesting.users[g] = [...(edges.users.get(g) ?? [])].filter((u) => users.has(u));
  }
  return {
    changes: sorted,
    memberships,
    counts,
    usersSynced,
    groupsSynced: groups.size,
    nesting,
    warnings,
    skipped,
    held: held.held,
  };
}

/** The plan of a run that found nothing new: no change, the desired state is the stored one. */
export function unchangedPlan(nesting: Nesting, usersSynced: number, groupsSynced: number): Plan {
  const memberships = planMemberships({ desired: new Map(), stored: new Map(), groupIds: new Map(), userIds: new Map() });
  return { changes: [], memberships, counts: {}, usersSynced, groupsSynced, nesting, warnings: [], skipped: { byReason: {}, sample: [] }, held: [] };
}

/**
 * userNames are unique per tenant. A new user whose userName a stored user of
 * this connection holds, where that user is deleted by this plan, is the
 * IdP's delete-and-recreate: the delete goes first (returned, to lead the
 * batch). Every other taken name is the reconciler's to find (collisions.ts:
 * it asks the store, which also knows the other connections' users).
 */
function deleteBeforeRecreate(
  storedUsers: StoredUser[],
  creates: Array<ChangeOf<'user.create'> & { externalId: string }>,
  changes: LifecycleChange[],
  userIds: Map<string, string>,
): LifecycleChange[] {
  const deleted = new Set<string>();
  for (const c of changes) if (c.kind === 'user.delete') deleted.add(c.userId);
  const freed = new Map<string, string>();
  if (deleted.size) for (const u of storedUsers) if (deleted.has(u.id)) freed.set(u.userName.toLowerCase(), u.id);
  const earlyIds = new Set<string>();
  for (const c of creates) {
    const holder = freed.get(c.attributes.userName.toLowerCase());
    if (holder !== undefined) earlyIds.add(holder);
    userIds.set(c.externalId, c.id!);
    changes.push(c);
  }
  const early: LifecycleChange[] = [];
  if (earlyIds.size === 0) return early;
  let w = 0;
  for (const c of changes) {
    if (c.kind === 'user.delete' && earlyIds.has(c.userId)) early.push(c);
    else changes[w++] = c;
  }
  changes.length = w;
  return early;
}

/**
 * Direct edges of the desired state. Full: exactly the snapshot's. Delta: a
 * group the run re-listed (`set`) takes the new list; another group keeps its
 * stored direct members (its stored members when it has no child group, the
 * kept nesting otherwise) with the run's adds and removes.
 */
function desiredEdges(stored: StoredState, directory: Snapshot, storedFlat: Map<string, Set<string>>, full: boolean): GroupEdges {
  const users = new Map<string, Set<string>>();
  const children = full ? new Map<string, Set<string>>() : setMap(stored.nesting.children);
  // Stored member sets are lent, not copied (500k ids): a group the run edits gets its own copy first.
  const lent = new Set<Set<string>>();
  if (!full) {
    for (const [g, members] of storedFlat) {
      if (children.has(g)) continue;
      users.set(g, members);
      lent.add(members);
    }
    for (const [g, direct] of Object.entries(stored.nesting.users)) users.set(g, new Set(direct));
  }
  for (const [g, m] of directory.members) {
    if (full || m.complete) {
      // The snapshot's own sets: nothing changes them after the listing (no copy of 500k ids).
      users.set(g, m.users);
      children.set(g, m.groups);
      continue;
    }
    const held = users.get(g);
    const u = held && !lent.has(held) ? held : new Set<string>(held);
    for (const id of m.users) u.add(id);
    for (const id of m.removedUsers) u.delete(id);
    users.set(g, u);
    const c = children.get(g) ?? new Set<string>();
    for (const id of m.groups) c.add(id);
    for (const id of m.removedGroups) c.delete(id);
    children.set(g, c);
  }
  return { users, children };
}
