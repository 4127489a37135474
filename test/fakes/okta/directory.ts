/**
 * The in-memory Okta org behind the fake server: users, groups and direct
 * memberships, with `lastUpdated` / `lastMembershipUpdated` moving the way
 * Okta moves them (Users API and Groups API object models:
 * https://developer.okta.com/docs/reference/api/users/#user-object,
 * https://developer.okta.com/docs/reference/api/groups/#group-object).
 *
 * Ids are generated in increasing order, so the insertion order is also the
 * id order and cursors (`after`) can be found by binary search: a 100k-user
 * directory pages in linear time.
 */

import { FakeSystemLog, type LogTarget } from './system-log.js';

export type OktaUserStatus = 'STAGED' | 'PROVISIONED' | 'ACTIVE' | 'RECOVERY' | 'LOCKED_OUT' | 'PASSWORD_EXPIRED' | 'SUSPENDED' | 'DEPROVISIONED';
export type OktaGroupType = 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';

export interface FakeUser {
  id: string;
  status: OktaUserStatus;
  /** Epoch ms; serialized as ISO strings. */
  created: number;
  activated: number | null;
  statusChanged: number | null;
  lastLogin: number | null;
  lastUpdated: number;
  passwordChanged: number | null;
  profile: Record<string, unknown>;
}

export interface FakeGroup {
  id: string;
  type: OktaGroupType;
  created: number;
  lastUpdated: number;
  lastMembershipUpdated: number;
  profile: { name: string; description: string | null };
  /** Direct members (user ids). The Everyone group keeps none: every user is in it. */
  members: Set<string>;
  /** Members sorted by id, rebuilt lazily after a change (paging by cursor). */
  sorted: string[] | null;
}

export interface NewUser {
  profile: Record<string, unknown> & { login: string };
  status?: OktaUserStatus;
  id?: string;
  /** Epoch ms or ISO; defaults to now. */
  lastUpdated?: number | string;
}

export interface NewGroup {
  name: string;
  description?: string | null;
  type?: OktaGroupType;
  id?: string;
  lastUpdated?: number | string;
}

const toMs = (v: number | string | undefined, fallback: number) => (v === undefined ? fallback : typeof v === 'number' ? v : Date.parse(v));

/** First index in sorted `ids` whose id is greater than `key`. */
export function firstAfter(ids: readonly string[], key: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(ids: string[], id: string): void {
  const at = firstAfter(ids, id);
  if (ids[at - 1] !== id) ids.splice(at, 0, id);
}

export class FakeDirectory {
  readonly users = new Map<string, FakeUser>();
  readonly groups = new Map<string, FakeGroup>();
  /** Ids in id order; deleted ids stay here as tombstones (skipped when listed). */
  readonly userOrder: string[] = [];
  readonly groupOrder: string[] = [];
  readonly everyone: FakeGroup;
  /** Added to the wall clock: tests move time forward without sleeping. */
  clockOffsetMs = 0;
  /** Lifecycle events (suspend, deactivate, delete...) as Okta's System Log records them. */
  readonly log = new FakeSystemLog(() => this.now());
  private seq = 0;

  constructor() {
    this.everyone = this.addGroup({ name: 'Everyone', description: 'All users in your organization', type: 'BUILT_IN' });
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advance(ms: number): void {
    this.clockOffsetMs += ms;
  }

  private nextId(prefix: '00u' | '00g'): string {
    // Okta ids are 20 characters: a 3-character type prefix and 17 more.
    return prefix + (++this.seq).toString(36).padStart(17, '0');
  }

  addUser(input: NewUser): FakeUser {
    const now = this.now();
    const status = input.status ?? 'ACTIVE';
    const lastUpdated = toMs(input.lastUpdated, now);
    const user: FakeUser = {
      id: input.id ?? this.nextId('00u'),
      status,
      created: lastUpdated,
      activated: status === 'STAGED' || status === 'PROVISIONED' ? null : lastUpdated,
      statusChanged: lastUpdated,
      lastLogin: null,
      lastUpdated,
      passwordChanged: null,
      profile: { email: input.profile.login, ...input.profile },
    };
    this.users.set(user.id, user);
    insertSorted(this.userOrder, user.id);
    this.everyone.lastMembershipUpdated = Math.max(this.everyone.lastMembershipUpdated, lastUpdated);
    return user;
  }

  user(id: string): FakeUser {
    const u = this.users.get(id);
    if (!u) throw new Error(`fake Okta: no user ${id}`);
    return u;
  }

  group(id: string): FakeGroup {
    const g = this.groups.get(id);
    if (!g) throw new Error(`fake Okta: no group ${id}`);
    return g;
  }

  /** Partial profile update (POST /api/v1/users/{id} semantics). */
  updateUser(id: string, profile: Record<string, unknown>): FakeUser {
    const u = this.user(id);
    Object.assign(u.profile, profile);
    u.lastUpdated = this.now();
    return u;
  }

  setStatus(id: string, status: OktaUserStatus): FakeUser {
    const u = this.user(id);
    const now = this.now();
    u.status = status;
    u.statusChanged = now;
    u.lastUpdated = now;
    if (status === 'ACTIVE' && u.activated === null) u.activated = now;
    return u;
  }

  suspend(id: string): FakeUser {
    return this.logged('user.lifecycle.suspend', this.setStatus(id, 'SUSPENDED'));
  }

  unsuspend(id: string): FakeUser {
    return this.logged('user.lifecycle.unsuspend', this.setStatus(id, 'ACTIVE'));
  }

  /** Okta "deactivate": the user becomes DEPROVISIONED and keeps its group memberships. */
  deactivate(id: string): FakeUser {
    return this.logged('user.lifecycle.deactivate', this.setStatus(id, 'DEPROVISIONED'));
  }

  private logged(eventType: string, u: FakeUser): FakeUser {
    this.log.record({ eventType, displayMessage: eventType, target: [userTarget(u)] });
    return u;
  }

  /**
   * DELETE /api/v1/users/{id}: on a user that is not DEPROVISIONED it only
   * deactivates; on a DEPROVISIONED user it deletes for good, and the user
   * leaves every group (moving each group's lastMembershipUpdated).
   */
  deleteUser(id: string): 'deactivated' | 'deleted' {
    const u = this.user(id);
    if (u.status !== 'DEPROVISIONED') {
      this.deactivate(id);
      return 'deactivated';
    }
    for (const g of this.groups.values()) if (g.members.has(id)) this.removeMember(g.id, id);
    this.users.delete(id);
    this.everyone.lastMembershipUpdated = this.now();
    this.log.record({ eventType: 'user.lifecycle.delete.initiated', displayMessage: 'Delete Okta user', target: [userTarget(u)] });
    return 'deleted';
  }

  addGroup(input: NewGroup): FakeGroup {
    const at = toMs(input.lastUpdated, this.now());
    const group: FakeGroup = {
      id: input.id ?? this.nextId('00g'),
      type: input.type ?? 'OKTA_GROUP',
      created: at,
      lastUpdated: at,
      lastMembershipUpdated: at,
      profile: { name: input.name, description: input.description ?? null },
      members: new Set(),
      sorted: null,
    };
    this.groups.set(group.id, group);
    insertSorted(this.groupOrder, group.id);
    return group;
  }

  updateGroup(id: string, profile: Partial<FakeGroup['profile']>): FakeGroup {
    const g = this.group(id);
    Object.assign(g.profile, profile);
    g.lastUpdated = this.now();
    return g;
  }

  deleteGroup(id: string): void {
    const g = this.group(id);
    if (g.type === 'BUILT_IN') throw new Error('fake Okta: the Everyone group cannot be deleted');
    this.groups.delete(id);
    const target: LogTarget = { id, type: 'UserGroup', alternateId: 'unknown', displayName: g.profile.name };
    this.log.record({ eventType: 'group.lifecycle.delete', displayMessage: 'Delete Okta group', target: [target] });
  }

  addMember(groupId: string, userId: string, at?: number): void {
    const g = this.group(groupId);
    this.user(userId);
    if (g.type === 'BUILT_IN' || g.members.has(userId)) return;
    g.members.add(userId);
    g.sorted = null;
    g.lastMembershipUpdated = at ?? this.now();
  }

  removeMember(groupId: string, userId: string): void {
    const g = this.group(groupId);
    if (!g.members.delete(userId)) return;
    g.sorted = null;
    g.lastMembershipUpdated = this.now();
  }

  /** Member ids of a group in id order (Everyone: every user, DEPROVISIONED included). */
  memberIds(g: FakeGroup): readonly string[] {
    if (g.type === 'BUILT_IN') return this.userOrder;
    if (!g.sorted) g.sorted = [...g.members].sort();
    return g.sorted;
  }

  groupsOf(userId: string): FakeGroup[] {
    const out: FakeGroup[] = [];
    for (const id of this.groupOrder) {
      const g = this.groups.get(id);
      if (g && (g.type === 'BUILT_IN' || g.members.has(userId))) out.push(g);
    }
    return out;
  }
}

function userTarget(u: FakeUser): LogTarget {
  const name = [u.profile.firstName, u.profile.lastName].filter(Boolean).join(' ');
  return { id: u.id, type: 'User', alternateId: String(u.profile.login), displayName: name || String(u.profile.login) };
}
