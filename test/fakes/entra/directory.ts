/**
 * The fake tenant's directory: users, groups and member links in memory, with
 * just enough change tracking to answer Graph delta rounds.
 *
 * Every mutation takes the next sequence number. A user or group keeps the
 * sequence of its last change (`version`); member-link changes go to an
 * append-only log. A delta round that started at sequence S returns objects
 * with version > S and the link changes logged after S — "only what changed
 * since that token" (https://learn.microsoft.com/graph/delta-query-overview).
 * Removed objects stay as tombstones so a later round can report `@removed`.
 *
 * Sized for the benchmark (100k users, 500k links): objects live in arrays
 * in creation order (stable paging positions), links in one Map per group,
 * and the user → groups index is only built when transitiveMemberOf asks.
 */

export type MemberKind = 'user' | 'group';

/** Graph user properties the fake stores (a subset of microsoft.graph.user). */
export interface FakeUserProps {
  userPrincipalName: string;
  mail?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  accountEnabled?: boolean;
  jobTitle?: string | null;
  department?: string | null;
  employeeId?: string | null;
  mobilePhone?: string | null;
  /** The on-premises UPN of a hybrid (synced) user, often the real mailbox. */
  onPremisesUserPrincipalName?: string | null;
}

/** `soft` = in the recycle bin (restorable 30 days), `hard` = permanently deleted. */
export type RemovedState = 'soft' | 'hard' | null;

export interface FakeUser {
  id: string;
  props: FakeUserProps & Record<string, unknown>;
  version: number;
  removed: RemovedState;
}

export interface FakeGroup {
  id: string;
  displayName: string;
  version: number;
  removed: RemovedState;
  members: Map<string, MemberKind>;
}

export interface LinkChange {
  seq: number;
  groupId: string;
  memberId: string;
  kind: MemberKind;
  removed: boolean;
}

export class FakeDirectory {
  readonly users: FakeUser[] = [];
  readonly groups: FakeGroup[] = [];
  readonly linkLog: LinkChange[] = [];
  private readonly userIndex = new Map<string, number>();
  private readonly groupIndex = new Map<string, number>();
  private memberOfIndex: Map<string, Set<string>> | null = null;
  /** The sequence number of the last change (0 = nothing changed since creation or bulk load). */
  seq = 0;
  private nextId = 1;
  /** When true (bulk generation), changes take sequence 0 and are not logged: they are the initial state. */
  private bulk = false;

  /** A GUID-shaped id (Graph object ids are GUIDs), deterministic so test output is readable. */
  newId(): string {
    return `00000000-0000-4000-8000-${(this.nextId++).toString(16).padStart(12, '0')}`;
  }

  private tick(): number {
    return this.bulk ? 0 : ++this.seq;
  }

  /** Runs `fn` as the directory's initial state: no sequence numbers, no log (used by the generator). */
  loadInitial(fn: () => void): void {
    this.bulk = true;
    try {
      fn();
    } finally {
      this.bulk = false;
    }
  }

  user(idOrUpn: string): FakeUser | undefined {
    const i = this.userIndex.get(idOrUpn);
    if (i !== undefined) return this.users[i];
    const upn = idOrUpn.toLowerCase();
    return this.users.find((u) => u.props.userPrincipalName.toLowerCase() === upn);
  }

  group(id: string): FakeGroup | undefined {
    const i = this.groupIndex.get(id);
    return i === undefined ? undefined : this.groups[i];
  }

  private liveUser(id: string): FakeUser {
    const u = this.user(id);
    if (!u || u.removed === 'hard') throw new Error(`fake directory: no user ${id}`);
    return u;
  }

  private liveGroup(id: string): FakeGroup {
    const g = this.group(id);
    if (!g || g.removed) throw new Error(`fake directory: no group ${id}`);
    return g;
  }

  addUser(props: FakeUserProps & { id?: string }): FakeUser {
    const { id = this.newId(), ...rest } = props;
    if (this.userIndex.has(id)) throw new Error(`fake directory: user ${id} exists`);
    const user: FakeUser = { id, props: { accountEnabled: true, ...rest }, version: this.tick(), removed: null };
    this.userIndex.set(id, this.users.length);
    this.users.push(user);
    return user;
  }

  updateUser(id: string, changes: Partial<FakeUserProps> & Record<string, unknown>): FakeUser {
    const u = this.liveUser(id);
    Object.assign(u.props, changes);
    u.version = this.tick();
    return u;
  }

  disableUser(id: string): FakeUser {
    return this.updateUser(id, { accountEnabled: false });
  }

  enableUser(id: string): FakeUser {
    return this.updateUser(id, { accountEnabled: true });
  }

  /** Moves the user to the recycle bin: users/delta then says `@removed: { reason: "changed" }`. */
  softDeleteUser(id: string): void {
    const u = this.liveUser(id);
    u.removed = 'soft';
    u.version = this.tick();
  }

  restoreUser(id: string): void {
    const u = this.liveUser(id);
    if (u.removed !== 'soft') throw new Error(`fake directory: user ${id} is not in the recycle bin`);
    u.removed = null;
    u.version = this.tick();
  }

  /**
   * Permanently deletes the user: users/delta says `@removed: { reason: "deleted" }`.
   * Its member links vanish without a groups/delta entry, as Microsoft Q&A
   * threads report for real tenants (the reconciler drops a deleted user's links).
   */
  hardDeleteUser(id: string): void {
    const u = this.liveUser(id);
    u.removed = 'hard';
    u.version = this.tick();
    for (const g of this.groups) g.members.delete(id);
    this.memberOfIndex?.delete(id);
  }

  addGroup(props: { displayName: string; id?: string }): FakeGroup {
    const id = props.id ?? this.newId();
    if (this.groupIndex.has(id)) throw new Error(`fake directory: group ${id} exists`);
    const group: FakeGroup = { id, displayName: props.displayName, version: this.tick(), removed: null, members: new Map() };
    this.groupIndex.set(id, this.groups.length);
    this.groups.push(group);
    return group;
  }

  renameGroup(id: string, displayName: string): void {
    const g = this.liveGroup(id);
    g.displayName = displayName;
    g.version = this.tick();
  }

  /** Security groups are deleted permanently (`reason: "deleted"`); Microsoft 365 groups go to the recycle bin first. */
  deleteGroup(id: string, options: { soft?: boolean } = {}): void {
    const g = this.liveGroup(id);
    g.removed = options.soft ? 'soft' : 'hard';
    g.version = this.tick();
    for (const memberId of g.members.keys()) this.memberOfIndex?.get(memberId)?.delete(id);
    g.members.clear();
    for (const other of this.groups) other.members.delete(id);
  }

  /** Adds a user or (nested) group to a group. */
  addMember(groupId: string, memberId: string): void {
    const g = this.liveGroup(groupId);
    const kind: MemberKind | null = this.userIndex.has(memberId) ? 'user' : this.groupIndex.has(memberId) ? 'group' : null;
    if (!kind) throw new Error(`fake directory: no member ${memberId}`);
    if (g.members.has(memberId)) return;
    g.members.set(memberId, kind);
    this.memberOfIndex?.get(memberId)?.add(groupId) ?? this.memberOfIndex?.set(memberId, new Set([groupId]));
    this.logLink(groupId, memberId, kind, false);
  }

  removeMember(groupId: string, memberId: string): void {
    const g = this.liveGroup(groupId);
    const kind = g.members.get(memberId);
    if (!kind) return;
    g.members.delete(memberId);
    this.memberOfIndex?.get(memberId)?.delete(groupId);
    this.logLink(groupId, memberId, kind, true);
  }

  private logLink(groupId: string, memberId: string, kind: MemberKind, removed: boolean): void {
    const seq = this.tick();
    if (seq > 0) this.linkLog.push({ seq, groupId, memberId, kind, removed });
  }

  /** Groups the object is in, directly or through nested groups (cycle-safe), in discovery order. */
  transitiveGroupsOf(memberId: string): FakeGroup[] {
    const index = this.memberOfIndex ?? this.buildMemberOfIndex();
    const seen = new Set<string>();
    const queue = [...(index.get(memberId) ?? [])];
    while (queue.length) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      queue.push(...(index.get(id) ?? []));
    }
    return [...seen].map((id) => this.group(id)).filter((g): g is FakeGroup => !!g && !g.removed);
  }

  private buildMemberOfIndex(): Map<string, Set<string>> {
    const index = new Map<string, Set<string>>();
    for (const g of this.groups) {
      for (const memberId of g.members.keys()) {
        const set = index.get(memberId);
        if (set) set.add(g.id);
        else index.set(memberId, new Set([g.id]));
      }
    }
    this.memberOfIndex = index;
    return index;
  }

  /** Link changes logged after `since` up to `until`, in order (the log is sorted by seq: binary search). */
  linkChangesBetween(since: number, until: number): LinkChange[] {
    let lo = 0;
    let hi = this.linkLog.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.linkLog[mid]!.seq <= since) lo = mid + 1;
      else hi = mid;
    }
    const out: LinkChange[] = [];
    for (let i = lo; i < this.linkLog.length && this.linkLog[i]!.seq <= until; i++) out.push(this.linkLog[i]!);
    return out;
  }

  groupPosition(id: string): number {
    return this.groupIndex.get(id) ?? -1;
  }

  get liveUserCount(): number {
    return this.users.reduce((n, u) => n + (u.removed ? 0 : 1), 0);
  }

  get liveGroupCount(): number {
    return this.groups.reduce((n, g) => n + (g.removed ? 0 : 1), 0);
  }
}
