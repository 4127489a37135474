/**
 * The in-memory Google Workspace directory behind the fake Admin SDK server.
 * Shapes follow the Directory API resources (users, groups, members):
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/members
 *
 * Users, groups and member lists are kept in insertion order in arrays, so a
 * page token can be a plain array index and listing 100,000 users is O(n) in
 * total. Deleted users stay in the array (flag `deleted`): Google keeps them
 * visible to `users.list?showDeleted=true` for about 20 days.
 *
 * No vitest imports: `roster demo` and the benchmark reuse this.
 */

export interface FakeUserName {
  givenName?: string;
  familyName?: string;
  fullName?: string;
  /** The name shown in Google products, when set apart from fullName. */
  displayName?: string;
}

/** A user as the Directory API returns it (projection=basic), plus the fake's `deleted` flag. */
export interface FakeUser {
  id: string;
  primaryEmail: string;
  name: FakeUserName;
  suspended: boolean;
  archived: boolean;
  isAdmin: boolean;
  orgUnitPath: string;
  customerId: string;
  creationTime: string;
  organizations?: Array<{ title?: string; department?: string; primary?: boolean; costCenter?: string }>;
  externalIds?: Array<{ value: string; type: string; customType?: string }>;
  phones?: Array<{ value: string; type: string; primary?: boolean }>;
  /** Any further resource field (aliases, customSchemas...), returned verbatim. */
  [field: string]: unknown;
}

export interface FakeGroup {
  id: string;
  email: string;
  name: string;
  description?: string;
}

export type FakeMemberType = 'USER' | 'GROUP' | 'CUSTOMER';

/** A direct member: a user, a nested group, or the whole customer (every user of the domain). */
export interface FakeMember {
  id: string;
  type: FakeMemberType;
  role: 'OWNER' | 'MANAGER' | 'MEMBER';
  email?: string;
  status?: string;
}

interface StoredUser {
  user: FakeUser;
  deleted: boolean;
  deletionTime?: string;
}

export class FakeGoogleDirectory {
  readonly customerId: string;
  readonly domain: string;
  private readonly users: StoredUser[] = [];
  private readonly usersByKey = new Map<string, StoredUser>();
  private readonly groups: FakeGroup[] = [];
  private readonly groupsByKey = new Map<string, FakeGroup>();
  private readonly members = new Map<string, FakeMember[]>();
  private sequence = 0;

  constructor(options: { customerId?: string; domain?: string } = {}) {
    this.customerId = options.customerId ?? 'C01fake00';
    this.domain = options.domain ?? 'example.com';
  }

  /** Numeric-looking ids like Google's (users: 21 digits; groups: hex). */
  private nextId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}${String(this.sequence).padStart(12, '0')}`;
  }

  addUser(input: Partial<FakeUser> & { primaryEmail?: string } = {}): FakeUser {
    const generated = this.nextId('1000');
    const id = input.id ?? generated;
    const local = input.primaryEmail ?? `user${this.sequence}@${this.domain}`;
    const givenName = input.name?.givenName ?? 'Test';
    const familyName = input.name?.familyName ?? `User${this.sequence}`;
    const user: FakeUser = {
      orgUnitPath: '/',
      isAdmin: false,
      suspended: false,
      archived: false,
      customerId: this.customerId,
      creationTime: '2024-01-01T00:00:00.000Z',
      ...input,
      id,
      primaryEmail: local,
      name: { givenName, familyName, fullName: `${givenName} ${familyName}`, ...input.name },
    };
    const stored: StoredUser = { user, deleted: false };
    this.users.push(stored);
    this.usersByKey.set(id, stored);
    this.usersByKey.set(user.primaryEmail.toLowerCase(), stored);
    return user;
  }

  /** Changes a user's fields in place (rename, suspend, archive, title...). */
  updateUser(key: string, patch: Partial<FakeUser>): FakeUser {
    const stored = this.storedUser(key);
    if (patch.primaryEmail && patch.primaryEmail !== stored.user.primaryEmail) {
      this.usersByKey.delete(stored.user.primaryEmail.toLowerCase());
      this.usersByKey.set(patch.primaryEmail.toLowerCase(), stored);
    }
    Object.assign(stored.user, patch);
    return stored.user;
  }

  suspendUser(key: string, suspended = true): FakeUser {
    return this.updateUser(key, { suspended });
  }

  archiveUser(key: string, archived = true): FakeUser {
    return this.updateUser(key, { archived });
  }

  /** Deletes a user: gone from users.get and users.list, listed by showDeleted=true, removed from every group. */
  deleteUser(key: string): void {
    const stored = this.storedUser(key);
    stored.deleted = true;
    stored.deletionTime = new Date().toISOString();
    for (const [groupId, list] of this.members) {
      this.members.set(groupId, list.filter((m) => m.id !== stored.user.id));
    }
  }

  addGroup(input: Partial<FakeGroup> = {}): FakeGroup {
    const generated = this.nextId('03x');
    const id = input.id ?? generated;
    const group: FakeGroup = { email: `group${this.sequence}@${this.domain}`, name: `Group ${this.sequence}`, ...input, id };
    this.groups.push(group);
    this.groupsByKey.set(id, group);
    this.groupsByKey.set(group.email.toLowerCase(), group);
    this.members.set(id, []);
    return group;
  }

  deleteGroup(key: string): void {
    const group = this.group(key);
    if (!group) throw new Error(`no group ${key}`);
    this.groups.splice(this.groups.indexOf(group), 1);
    this.groupsByKey.delete(group.id);
    this.groupsByKey.delete(group.email.toLowerCase());
    this.members.delete(group.id);
    for (const [groupId, list] of this.members) this.members.set(groupId, list.filter((m) => m.id !== group.id));
  }

  /** Adds a direct member: a user (id or email), a nested group, or `{ type: 'CUSTOMER' }`. */
  addMember(groupKey: string, member: { user: string } | { group: string } | { type: 'CUSTOMER' }, role: FakeMember['role'] = 'MEMBER'): FakeMember {
    const group = this.group(groupKey);
    if (!group) throw new Error(`no group ${groupKey}`);
    let entry: FakeMember;
    if ('user' in member) {
      const user = this.storedUser(member.user).user;
      entry = { id: user.id, email: user.primaryEmail, role, type: 'USER', status: user.suspended ? 'SUSPENDED' : 'ACTIVE' };
    } else if ('group' in member) {
      const child = this.group(member.group);
      if (!child) throw new Error(`no group ${member.group}`);
      // members.insert: "the API returns an error for cycles in group memberships".
      if (this.nests(child.id, group.id)) throw new Error(`cycle: group ${child.email} holds ${group.email}; Google refuses cycles in group memberships`);
      entry = { id: child.id, email: child.email, role, type: 'GROUP', status: 'ACTIVE' };
    } else {
      // A CUSTOMER member has the customer id and no email (members resource, `type`).
      entry = { id: this.customerId, role, type: 'CUSTOMER', status: 'ACTIVE' };
    }
    this.members.get(group.id)!.push(entry);
    return entry;
  }

  /** Whether `groupId` is `ancestorId` or nested in it at any depth. */
  private nests(ancestorId: string, groupId: string): boolean {
    const seen = new Set<string>();
    const queue = [ancestorId];
    while (queue.length) {
      const id = queue.pop()!;
      if (id === groupId) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const m of this.members.get(id) ?? []) if (m.type === 'GROUP') queue.push(m.id);
    }
    return false;
  }

  /** Bulk load without lookups (the large-directory factory): the caller guarantees the ids exist. */
  pushMembers(groupId: string, entries: FakeMember[]): void {
    const list = this.members.get(groupId);
    if (!list) throw new Error(`no group ${groupId}`);
    for (const e of entries) list.push(e);
  }

  removeMember(groupKey: string, memberId: string): void {
    const group = this.group(groupKey);
    if (!group) throw new Error(`no group ${groupKey}`);
    this.members.set(group.id, this.members.get(group.id)!.filter((m) => m.id !== memberId));
  }

  /** A live (not deleted) user by id or primary email. */
  user(key: string): FakeUser | undefined {
    const stored = this.usersByKey.get(key.toLowerCase()) ?? this.usersByKey.get(key);
    return stored && !stored.deleted ? stored.user : undefined;
  }

  group(key: string): FakeGroup | undefined {
    return this.groupsByKey.get(key.toLowerCase()) ?? this.groupsByKey.get(key);
  }

  /** Scans `users` from array index `from`, returning up to `limit` matches and where to resume (null = done). */
  scanUsers(options: { from: number; limit: number; deleted: boolean; domain?: string }): { items: FakeUser[]; next: number | null } {
    const items: FakeUser[] = [];
    const suffix = options.domain ? `@${options.domain.toLowerCase()}` : null;
    let i = options.from;
    for (; i < this.users.length && items.length < options.limit; i++) {
      const s = this.users[i]!;
      if (s.deleted !== options.deleted) continue;
      if (suffix && !s.user.primaryEmail.toLowerCase().endsWith(suffix)) continue;
      items.push(s.deleted ? { ...s.user, deletionTime: s.deletionTime } : s.user);
    }
    return { items, next: this.hasMoreUsers(i, options) ? i : null };
  }

  private hasMoreUsers(from: number, options: { deleted: boolean; domain?: string }): boolean {
    const suffix = options.domain ? `@${options.domain.toLowerCase()}` : null;
    for (let i = from; i < this.users.length; i++) {
      const s = this.users[i]!;
      if (s.deleted === options.deleted && (!suffix || s.user.primaryEmail.toLowerCase().endsWith(suffix))) return true;
    }
    return false;
  }

  listGroups(): readonly FakeGroup[] {
    return this.groups;
  }

  /** Groups the user is a direct member of (groups.list?userKey=). */
  groupsOf(userId: string): FakeGroup[] {
    return this.groups.filter((g) => this.members.get(g.id)!.some((m) => m.id === userId));
  }

  membersOf(groupId: string): readonly FakeMember[] {
    return this.members.get(groupId) ?? [];
  }

  counts(): { users: number; deletedUsers: number; groups: number; memberships: number } {
    let deletedUsers = 0;
    for (const s of this.users) if (s.deleted) deletedUsers += 1;
    let memberships = 0;
    for (const list of this.members.values()) memberships += list.length;
    return { users: this.users.length - deletedUsers, deletedUsers, groups: this.groups.length, memberships };
  }

  private storedUser(key: string): StoredUser {
    const stored = this.usersByKey.get(key.toLowerCase()) ?? this.usersByKey.get(key);
    if (!stored) throw new Error(`no user ${key}`);
    return stored;
  }
}
