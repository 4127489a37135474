/**
 * The fake JumpCloud organisation's data: system users, user groups, their
 * members, a clock, and the Directory Insights events every change records
 * (what an admin's change in the console would write).
 */
import { randomBytes } from 'node:crypto';

export type UserState = 'STAGED' | 'ACTIVATED' | 'SUSPENDED';

export interface FakeUser {
  _id: string;
  username: string;
  email: string;
  firstname: string;
  lastname: string;
  displayname: string;
  state: UserState;
  activated: boolean;
  suspended: boolean;
  account_locked: boolean;
  /** Further attributes (employeeIdentifier, alternateEmail, description, jobTitle...). */
  [field: string]: unknown;
}

export interface FakeGroup {
  id: string;
  name: string;
  description: string;
  /** User ids, in the order they were added. */
  members: Set<string>;
}

export interface FakeEvent {
  id: string;
  event_type: string;
  service: 'directory';
  timestamp: string;
  /** Milliseconds, for ordering and search_after. */
  at: number;
  success: boolean;
  organization: string;
  initiated_by: { type: 'admin'; email: string };
  resource?: { id: string; type: 'user' | 'user_group'; username?: string; name?: string };
  association?: { op: 'add' | 'remove'; connection: { from: { type: 'USER_GROUP'; object_id: string }; to: { type: 'USER'; object_id: string } } };
}

export type NewUser = Partial<Omit<FakeUser, '_id'>> & { username: string };

/** A 24-hex-digit id, as JumpCloud's (MongoDB ObjectIds: time first, so `sort=_id` is creation order). */
let sequence = 0;
export function objectId(now: number): string {
  sequence = (sequence + 1) % 0xffffff;
  return Math.floor(now / 1000).toString(16).padStart(8, '0') + randomBytes(5).toString('hex') + sequence.toString(16).padStart(6, '0');
}

export class FakeOrg {
  readonly users = new Map<string, FakeUser>();
  readonly groups = new Map<string, FakeGroup>();
  readonly events: FakeEvent[] = [];
  readonly organization = objectId(Date.now());
  private offsetMs = 0;
  private eventSeq = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the fake's clock forward (what its Date headers and event timestamps say). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Users in `_id` order (JumpCloud's `sort=_id`). */
  sortedUsers(): FakeUser[] {
    return [...this.users.values()].sort((a, b) => a._id.localeCompare(b._id));
  }

  record(event: Omit<FakeEvent, 'id' | 'service' | 'timestamp' | 'at' | 'success' | 'organization' | 'initiated_by'> & { at?: number; success?: boolean }): FakeEvent {
    const at = event.at ?? this.now();
    const full: FakeEvent = {
      id: `evt${String(++this.eventSeq).padStart(8, '0')}`,
      service: 'directory',
      timestamp: new Date(at).toISOString(),
      success: true,
      organization: this.organization,
      initiated_by: { type: 'admin', email: 'admin@fake.jumpcloud.test' },
      ...event,
      at,
    };
    const last = this.events.at(-1);
    this.events.push(full);
    // Written late (a past `at`): keep the log in time order.
    if (last && last.at > at) this.events.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
    return full;
  }

  addUser(input: NewUser): FakeUser {
    const state: UserState = (input.state as UserState | undefined) ?? 'ACTIVATED';
    const user = {
      email: '', firstname: '', lastname: '', displayname: '', account_locked: false,
      ...input,
      _id: objectId(this.now()),
      state,
      activated: state !== 'STAGED',
      suspended: state === 'SUSPENDED',
    } as FakeUser;
    this.users.set(user._id, user);
    this.record({ event_type: 'user_create', resource: { id: user._id, type: 'user', username: user.username } });
    return user;
  }

  private user(id: string): FakeUser {
    const u = this.users.get(id);
    if (!u) throw new Error(`no user ${id}`);
    return u;
  }

  updateUser(id: string, patch: Partial<Omit<FakeUser, '_id' | 'state'>>): FakeUser {
    const u = Object.assign(this.user(id), patch);
    this.record({ event_type: 'user_update', resource: { id, type: 'user', username: u.username } });
    return u;
  }

  /** The console's suspend / unsuspend / activate, each with its Insights event. */
  setState(id: string, state: UserState): void {
    const u = this.user(id);
    const before = u.state;
    Object.assign(u, { state, suspended: state === 'SUSPENDED', activated: state !== 'STAGED' || u.activated });
    const type = state === 'SUSPENDED' ? 'user_suspended' : before === 'SUSPENDED' ? 'user_unsuspended' : 'user_update';
    this.record({ event_type: type, resource: { id, type: 'user', username: u.username } });
  }

  setLocked(id: string, locked: boolean): void {
    const u = this.user(id);
    u.account_locked = locked;
    this.record({ event_type: locked ? 'user_locked' : 'user_unlocked', resource: { id, type: 'user', username: u.username } });
  }

  /** JumpCloud deletes at once: the user and its memberships are gone; Insights records user_delete. */
  deleteUser(id: string): void {
    const u = this.user(id);
    this.users.delete(id);
    for (const g of this.groups.values()) g.members.delete(id);
    this.record({ event_type: 'user_delete', resource: { id, type: 'user', username: u.username } });
  }

  addGroup(input: { name: string; description?: string }): FakeGroup {
    const group: FakeGroup = { id: objectId(this.now()), name: input.name, description: input.description ?? '', members: new Set() };
    this.groups.set(group.id, group);
    this.record({ event_type: 'group_create', resource: { id: group.id, type: 'user_group', name: group.name } });
    return group;
  }

  private group(id: string): FakeGroup {
    const g = this.groups.get(id);
    if (!g) throw new Error(`no user group ${id}`);
    return g;
  }

  updateGroup(id: string, patch: { name?: string; description?: string }): void {
    const g = Object.assign(this.group(id), patch);
    this.record({ event_type: 'group_update', resource: { id, type: 'user_group', name: g.name } });
  }

  deleteGroup(id: string): void {
    const g = this.group(id);
    this.groups.delete(id);
    this.record({ event_type: 'group_delete', resource: { id, type: 'user_group', name: g.name } });
  }

  addMember(groupId: string, userId: string): void {
    const g = this.group(groupId);
    // User groups hold users only: JumpCloud user groups do not nest.
    if (!this.users.has(userId)) throw new Error(`${userId} is not a user: JumpCloud user groups hold users only (they do not nest)`);
    if (g.members.has(userId)) return;
    g.members.add(userId);
    this.record({ event_type: 'association_change', association: { op: 'add', connection: { from: { type: 'USER_GROUP', object_id: groupId }, to: { type: 'USER', object_id: userId } } } });
  }

  removeMember(groupId: string, userId: string): void {
    const g = this.group(groupId);
    if (!g.members.delete(userId)) return;
    this.record({ event_type: 'association_change', association: { op: 'remove', connection: { from: { type: 'USER_GROUP', object_id: groupId }, to: { type: 'USER', object_id: userId } } } });
  }

  groupsOf(userId: string): FakeGroup[] {
    return [...this.groups.values()].filter((g) => g.members.has(userId));
  }
}
