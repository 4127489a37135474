/**
 * The realm a fake Keycloak serves: users, the group tree with direct
 * members, and the admin events Keycloak saves for each change made through
 * its admin API (when the realm's "Save admin events" is on).
 *
 * Event paths as Keycloak writes them: USER `users/{id}`; GROUP `groups/{id}`,
 * a subgroup created `groups/{parent}/children/{id}`, a group moved under a
 * parent `groups/{parent}/children` (the group in the representation), moved
 * to the top `groups`; GROUP_MEMBERSHIP `users/{user}/groups/{group}`.
 * Deleting a group deletes its subgroups, with one event for the group.
 * Times are epoch ms from the fake's clock, strictly increasing.
 */
import { randomUUID } from 'node:crypto';

export interface FakeKcUser {
  id: string;
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  enabled: boolean;
  attributes: Record<string, string[]>;
  createdTimestamp: number;
}

export interface FakeKcGroup {
  id: string;
  name: string;
  parentId: string | null;
  members: Set<string>;
}

export interface FakeAdminEvent {
  id: string;
  time: number;
  realmId: string;
  operationType: 'CREATE' | 'UPDATE' | 'DELETE' | 'ACTION';
  resourceType: 'USER' | 'GROUP' | 'GROUP_MEMBERSHIP';
  resourcePath: string;
  representation?: string;
  authDetails: { realmId: string; clientId: string; userId: string; ipAddress: string };
}

export interface NewKcUser {
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  enabled?: boolean;
  attributes?: Record<string, string[]>;
}

export class FakeKeycloakRealm {
  readonly users = new Map<string, FakeKcUser>();
  readonly groups = new Map<string, FakeKcGroup>();
  /** Oldest first; served newest first. */
  readonly events: FakeAdminEvent[] = [];
  /** "Save admin events": off, and changes leave no event. */
  adminEventsEnabled = true;
  private offsetMs = 0;
  private lastEventTime = 0;

  constructor(readonly name = 'acme') {}

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  private record(operationType: FakeAdminEvent['operationType'], resourceType: FakeAdminEvent['resourceType'], resourcePath: string, representation?: unknown): void {
    if (!this.adminEventsEnabled) return;
    const time = Math.max(this.now(), this.lastEventTime + 1);
    this.lastEventTime = time;
    this.events.push({
      id: randomUUID(), time, realmId: this.name, operationType, resourceType, resourcePath,
      ...(representation === undefined ? {} : { representation: JSON.stringify(representation) }),
      authDetails: { realmId: 'master', clientId: 'admin-cli', userId: 'admin', ipAddress: '127.0.0.1' },
    });
  }

  /** Users in Keycloak's listing order (by username). */
  userList(): FakeKcUser[] {
    return [...this.users.values()].sort((a, b) => a.username.localeCompare(b.username));
  }

  addUser(u: NewKcUser): FakeKcUser {
    const user: FakeKcUser = {
      id: randomUUID(), username: u.username.toLowerCase(), enabled: u.enabled ?? true, attributes: u.attributes ?? {}, createdTimestamp: this.now(),
      ...(u.email ? { email: u.email.toLowerCase() } : {}), ...(u.firstName ? { firstName: u.firstName } : {}), ...(u.lastName ? { lastName: u.lastName } : {}),
    };
    this.users.set(user.id, user);
    this.record('CREATE', 'USER', `users/${user.id}`, u);
    return user;
  }

  updateUser(id: string, patch: Partial<Omit<FakeKcUser, 'id' | 'createdTimestamp'>>): FakeKcUser {
    const user = this.user(id);
    Object.assign(user, patch);
    this.record('UPDATE', 'USER', `users/${id}`, patch);
    return user;
  }

  deleteUser(id: string): void {
    this.user(id);
    this.users.delete(id);
    for (const g of this.groups.values()) g.members.delete(id);
    this.record('DELETE', 'USER', `users/${id}`);
  }

  addGroup(name: string, parentId: string | null = null): FakeKcGroup {
    if (parentId) this.group(parentId);
    const group: FakeKcGroup = { id: randomUUID(), name, parentId, members: new Set() };
    this.groups.set(group.id, group);
    this.record('CREATE', 'GROUP', parentId ? `groups/${parentId}/children/${group.id}` : `groups/${group.id}`, { name });
    return group;
  }

  renameGroup(id: string, name: string): void {
    this.group(id).name = name;
    this.record('UPDATE', 'GROUP', `groups/${id}`, { id, name });
  }

  /** Moves a group under another (or to the top, null). Keycloak refuses a move under the group itself or its descendants. */
  moveGroup(id: string, parentId: string | null): void {
    const group = this.group(id);
    for (let p = parentId; p; p = this.group(p).parentId) {
      if (p === id) throw new Error(`Keycloak refuses the move: group ${id} cannot be its own subgroup (a cycle)`);
    }
    group.parentId = parentId;
    this.record('UPDATE', 'GROUP', parentId ? `groups/${parentId}/children` : 'groups', { id, name: group.name });
  }

  /** Deletes the group and its subgroups; one event, for the group. */
  deleteGroup(id: string): void {
    this.group(id);
    const doomed = [id];
    for (let i = 0; i < doomed.length; i++) doomed.push(...this.childrenOf(doomed[i]!).map((g) => g.id));
    for (const g of doomed) this.groups.delete(g);
    this.record('DELETE', 'GROUP', `groups/${id}`);
  }

  addMember(groupId: string, userId: string): void {
    this.group(groupId).members.add(this.user(userId).id);
    this.record('CREATE', 'GROUP_MEMBERSHIP', `users/${userId}/groups/${groupId}`, { id: groupId });
  }

  removeMember(groupId: string, userId: string): void {
    this.group(groupId).members.delete(userId);
    this.record('DELETE', 'GROUP_MEMBERSHIP', `users/${userId}/groups/${groupId}`, { id: groupId });
  }

  topGroups(): FakeKcGroup[] {
    return [...this.groups.values()].filter((g) => g.parentId === null).sort((a, b) => a.name.localeCompare(b.name));
  }

  childrenOf(id: string): FakeKcGroup[] {
    return [...this.groups.values()].filter((g) => g.parentId === id).sort((a, b) => a.name.localeCompare(b.name));
  }

  path(g: FakeKcGroup): string {
    const names: string[] = [];
    for (let c: FakeKcGroup | undefined = g; c; c = c.parentId ? this.groups.get(c.parentId) : undefined) names.unshift(c.name);
    return `/${names.join('/')}`;
  }

  groupsOf(userId: string): FakeKcGroup[] {
    return [...this.groups.values()].filter((g) => g.members.has(userId)).sort((a, b) => this.path(a).localeCompare(this.path(b)));
  }

  user(id: string): FakeKcUser {
    const u = this.users.get(id);
    if (!u) throw new Error(`no user ${id}`);
    return u;
  }

  group(id: string): FakeKcGroup {
    const g = this.groups.get(id);
    if (!g) throw new Error(`no group ${id}`);
    return g;
  }
}
