/**
 * A generated instance for the sync benchmark (bench/sync) and paging tests:
 * N human users, one project whose G roles are the groups, and M role
 * assignments, each user holding ⌊M/N⌋ (or one more) distinct roles drawn
 * with a seeded PRNG in one grant (Zitadel keeps one user grant per user and
 * project, with its role keys). Written straight into the directory with no
 * events: an instance whose directory is older than the events a delta
 * reads. Changes made afterwards through the directory's methods record
 * their events as usual.
 */
import { prng } from '../prng.js';
import { FakeZitadelDirectory, ORG_ID, type FakeGrant, type FakeProject, type FakeUser } from './directory.js';
import { FakeZitadel, type Route } from './server.js';

export interface GeneratedInstanceOptions {
  users: number;
  groups: number;
  memberships: number;
  seed?: number;
}

const pad = (i: number, width: number) => String(i).padStart(width, '0');

/** Fills `into` (a fake's `directory`); users `user000000`…, role keys `group00000`…, in creation order. */
export function generateInstance(options: GeneratedInstanceOptions, into: FakeZitadelDirectory): { users: FakeUser[]; project: FakeProject; grants: FakeGrant[] } {
  const random = prng(options.seed ?? 42);
  const changeDate = new Date(into.now() - 86_400_000).toISOString();
  const users: FakeUser[] = new Array(options.users);
  for (let i = 0; i < options.users; i++) {
    const username = `user${pad(i, 6)}`;
    const user: FakeUser = {
      userId: into.id(), state: 'ACTIVE', username, preferredLoginName: `${username}@example.com`, givenName: 'User', familyName: `N${i}`,
      displayName: `User N${i}`, nickName: '', email: `${username}@example.com`, phone: '', organizationId: ORG_ID, changeDate,
    };
    into.users.set(user.userId, user);
    users[i] = user;
  }
  const project: FakeProject = { id: into.id(), name: 'Bench', organizationId: ORG_ID, roles: new Map() };
  const keys: string[] = new Array(options.groups);
  for (let g = 0; g < options.groups; g++) {
    keys[g] = `group${pad(g, 5)}`;
    project.roles.set(keys[g]!, { key: keys[g]!, displayName: `Group ${g}` });
  }
  into.projects.set(project.id, project);
  const perUser = Math.min(options.groups, Math.floor(options.memberships / Math.max(1, options.users)));
  const extra = options.memberships - perUser * options.users;
  const grants: FakeGrant[] = [];
  for (let u = 0; u < options.users; u++) {
    const want = Math.min(options.groups, perUser + (u < extra ? 1 : 0));
    if (want === 0) continue;
    const chosen = new Set<number>();
    while (chosen.size < want) chosen.add(Math.floor(random() * options.groups));
    const grant: FakeGrant = { id: into.id(), userId: users[u]!.userId, projectId: project.id, roles: new Set([...chosen].map((g) => keys[g]!)) };
    into.grants.set(grant.id, grant);
    grants.push(grant);
  }
  return { users, project, grants };
}

type Answer = (route: Route, body: Record<string, unknown>) => unknown;
type AuthorizationFilter = Record<string, { id?: string; key?: string; state?: string } | undefined>;

/**
 * The fake with an index for what the provider asks at this size:
 * ListAuthorizations filtered by project (and state), which FakeZitadel
 * answers by scanning every grant on every page (~100 pages of 100,000
 * grants), and by project and role key (another client's question, ~40 ms a
 * scan, times 5,000 roles). The answer is the same as FakeZitadel's: the same
 * grants in the same order, the same JSON. The index is rebuilt when the
 * grants change, which every change through the directory's methods says
 * with an event (the generator writes none, before anything is served).
 * Other requests go to FakeZitadel's own handler.
 */
export class LargeFakeZitadel extends FakeZitadel {
  /** Grants by `project` and by `project/role key`, in the directory's order. */
  private index: { events: number; grants: number; byKey: Map<string, FakeGrant[]> } | null = null;

  constructor(maxPageSize?: number) {
    super(maxPageSize);
    // FakeZitadel's answer() is private: wrapped here, not redeclared, so its code stays the one source of every other answer.
    const self = this as unknown as { answer: Answer };
    const answer = self.answer.bind(this);
    self.answer = (route, body) => (route === 'authorizations' && this.indexed(body)) || answer(route, body);
  }

  private indexed(body: Record<string, unknown>): unknown {
    const filters = (body.filters ?? []) as AuthorizationFilter[];
    const project = filters.find((f) => f.projectId)?.projectId?.id;
    const role = filters.find((f) => f.roleKey)?.roleKey?.key;
    // Only the filters FakeZitadel reads as true for every grant (state) may come with them.
    if (project === undefined || !filters.every((f) => f.projectId || f.roleKey || f.state)) return null;
    if (filters.filter((f) => f.projectId).length > 1 || filters.filter((f) => f.roleKey).length > 1) return null;
    const d = this.directory;
    if (!this.index || this.index.events !== d.events.length || this.index.grants !== d.grants.size) {
      const byKey = new Map<string, FakeGrant[]>();
      const add = (k: string, g: FakeGrant) => {
        const list = byKey.get(k);
        if (list) list.push(g);
        else byKey.set(k, [g]);
      };
      for (const g of d.grants.values()) {
        add(g.projectId, g);
        for (const r of g.roles) add(`${g.projectId}/${r}`, g);
      }
      this.index = { events: d.events.length, grants: d.grants.size, byKey };
    }
    const all = this.index.byKey.get(role === undefined ? project : `${project}/${role}`) ?? [];
    const pagination = (body.pagination ?? {}) as { offset?: string; limit?: number };
    const limit = Math.min(pagination.limit && pagination.limit > 0 ? pagination.limit : 100, this.maxPageSize);
    const start = Number(pagination.offset ?? 0);
    return {
      pagination: { totalResult: String(all.length), appliedLimit: String(limit) },
      authorizations: all.slice(start, start + limit).map((g) => {
        const user = d.users.get(g.userId);
        return { id: g.id, projectId: g.projectId, projectName: d.projects.get(g.projectId)?.name, organizationId: user?.organizationId, state: 'STATE_ACTIVE', user: { id: g.userId, preferredLoginName: user?.preferredLoginName, organizationId: user?.organizationId }, roles: [...g.roles] };
      }),
    };
  }
}

export async function startLargeFakeZitadel(options: { maxPageSize?: number } = {}): Promise<LargeFakeZitadel> {
  return new LargeFakeZitadel(options.maxPageSize).listen();
}
