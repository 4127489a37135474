/**
 * The state of a fake Zitadel instance: human users, one organization's
 * projects with their roles, user grants (authorizations) and the event log
 * the admin events API reads. Every change appends the event real Zitadel
 * writes for it (event types from the Zitadel eventstore: `user.human.added`,
 * `user.deactivated`, `user.removed`, `user.grant.added`, `user.grant.changed`,
 * `project.role.added`, `project.role.removed`...), stamped with the fake's
 * clock, which `advance` moves on.
 */
export type UserState = 'ACTIVE' | 'INACTIVE' | 'LOCKED' | 'DELETED' | 'INITIAL';

export interface FakeUser {
  userId: string;
  state: UserState;
  username: string;
  preferredLoginName: string;
  givenName: string;
  familyName: string;
  displayName: string;
  nickName: string;
  email: string;
  phone: string;
  organizationId: string;
  changeDate: string;
  /** A machine user (service account): an API client, not a person. */
  machine?: boolean;
}

export interface FakeProject {
  id: string;
  name: string;
  organizationId: string;
  roles: Map<string, { key: string; displayName: string }>;
}

export interface FakeGrant {
  id: string;
  userId: string;
  projectId: string;
  roles: Set<string>;
}

export interface FakeEvent {
  aggregateType: 'user' | 'usergrant' | 'project';
  aggregateId: string;
  /** Per aggregate, as in Zitadel's eventstore since v2.39. */
  sequence: number;
  type: string;
  creationDate: string;
  payload: Record<string, unknown>;
}

export const ORG_ID = '100000000000000001';

export class FakeZitadelDirectory {
  readonly users = new Map<string, FakeUser>();
  readonly projects = new Map<string, FakeProject>();
  readonly grants = new Map<string, FakeGrant>();
  readonly events: FakeEvent[] = [];
  private offsetMs = 0;
  private nextId = 200000000000000000n;
  private readonly sequences = new Map<string, number>();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Time passes (events so far fall behind a watermark's overlap). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  id(): string {
    return String(this.nextId++);
  }

  private record(aggregateType: FakeEvent['aggregateType'], aggregateId: string, type: string, payload: Record<string, unknown> = {}): string {
    const key = `${aggregateType}/${aggregateId}`;
    const sequence = (this.sequences.get(key) ?? 0) + 1;
    this.sequences.set(key, sequence);
    const creationDate = new Date(this.now()).toISOString();
    this.events.push({ aggregateType, aggregateId, sequence, type, creationDate, payload });
    return creationDate;
  }

  addUser(u: Partial<FakeUser> & { username: string }): FakeUser {
    const userId = u.userId ?? this.id();
    const user: FakeUser = {
      state: 'ACTIVE', preferredLoginName: u.username, givenName: '', familyName: '', displayName: '', nickName: '', email: '', phone: '',
      organizationId: ORG_ID, ...u, userId, changeDate: '',
    };
    user.changeDate = this.record('user', userId, 'user.human.added', { userName: user.username });
    this.users.set(userId, user);
    return user;
  }

  updateUser(userId: string, patch: Partial<Omit<FakeUser, 'userId'>>): void {
    const user = this.must(userId);
    Object.assign(user, patch);
    user.changeDate = this.record('user', userId, 'user.human.profile.changed', patch as Record<string, unknown>);
  }

  setState(userId: string, state: UserState): void {
    const user = this.must(userId);
    user.state = state;
    const type = { ACTIVE: 'user.reactivated', INACTIVE: 'user.deactivated', LOCKED: 'user.locked', DELETED: 'user.removed', INITIAL: 'user.human.initialization.code.added' }[state];
    user.changeDate = this.record('user', userId, type);
  }

  /** RemoveUser: gone from every listing; its grants are removed with it (user.grant.cascade.removed). */
  removeUser(userId: string): void {
    this.must(userId);
    this.users.delete(userId);
    this.record('user', userId, 'user.removed');
    for (const g of [...this.grants.values()].filter((g) => g.userId === userId)) {
      this.grants.delete(g.id);
      this.record('usergrant', g.id, 'user.grant.cascade.removed');
    }
  }

  addProject(name: string): FakeProject {
    const project: FakeProject = { id: this.id(), name, organizationId: ORG_ID, roles: new Map() };
    this.projects.set(project.id, project);
    this.record('project', project.id, 'project.added', { name });
    return project;
  }

  addRole(projectId: string, key: string, displayName = key): void {
    this.project(projectId).roles.set(key, { key, displayName });
    this.record('project', projectId, 'project.role.added', { key, displayName });
  }

  /** RemoveProject: its roles and grants go with it, without an event each (only project.removed). */
  removeProject(projectId: string): void {
    this.project(projectId);
    this.projects.delete(projectId);
    for (const g of [...this.grants.values()].filter((g) => g.projectId === projectId)) this.grants.delete(g.id);
    this.record('project', projectId, 'project.removed');
  }

  /** RemoveProjectRole: the role leaves every grant that held it (user.grant.cascade.changed). */
  removeRole(projectId: string, key: string): void {
    this.project(projectId).roles.delete(key);
    this.record('project', projectId, 'project.role.removed', { key });
    for (const g of this.grants.values()) {
      if (g.projectId === projectId && g.roles.delete(key)) this.record('usergrant', g.id, 'user.grant.cascade.changed', { roleKeys: [...g.roles] });
    }
  }

  /** One grant per user and project, holding role keys (as Zitadel's AddUserGrant / UpdateUserGrant). */
  grantRole(userId: string, projectId: string, key: string): void {
    this.must(userId);
    if (!this.project(projectId).roles.has(key)) throw new Error(`project ${projectId} has no role ${key}`);
    const existing = [...this.grants.values()].find((g) => g.userId === userId && g.projectId === projectId);
    if (existing) {
      existing.roles.add(key);
      this.record('usergrant', existing.id, 'user.grant.changed', { roleKeys: [...existing.roles] });
      return;
    }
    const grant: FakeGrant = { id: this.id(), userId, projectId, roles: new Set([key]) };
    this.grants.set(grant.id, grant);
    this.record('usergrant', grant.id, 'user.grant.added', { userId, projectId, roleKeys: [key] });
  }

  revokeRole(userId: string, projectId: string, key: string): void {
    const grant = [...this.grants.values()].find((g) => g.userId === userId && g.projectId === projectId);
    if (!grant || !grant.roles.delete(key)) return;
    this.record('usergrant', grant.id, 'user.grant.changed', { roleKeys: [...grant.roles] });
  }

  private must(userId: string): FakeUser {
    const user = this.users.get(userId);
    if (!user) throw new Error(`no user ${userId}`);
    return user;
  }

  private project(projectId: string): FakeProject {
    const project = this.projects.get(projectId);
    if (!project) throw new Error(`no project ${projectId}`);
    return project;
  }
}
