/**
 * Zitadel in the provider contract: the fake instance over HTTP and the real
 * @zitadel/client over the connect transport. Groups are the roles of one
 * project ("Roster App"); a member is a user holding an active grant of the
 * role, and the member listing is the project's grants (one per user, with
 * all its role keys). Page sizes are the provider's requests, Zitadel's cap
 * of 1,000.
 */
import winston from 'winston';
import { createZitadelProvider } from '../../../../src/pull/providers/zitadel/index.js';
import type { ProviderStats } from '../../../../src/pull/providers/types.js';
import { startFakeZitadel, type FakeZitadel, type Route, type UserState } from '../../../fakes/zitadel/index.js';
import { NO_REQUESTS, pagesFor, type ContractAdapter, type ContractFake, type FakeOptions, type Listing, type RequestTally } from './adapter.js';

const DOMAIN = 'example.zitadel.test';
const PAGE = 1000;
/** Longer than the provider's watermark overlap (deltaOverlapSeconds, 120 s by default). */
const SETTLE_MS = 10 * 60_000;

const natives = new WeakMap<ContractFake, FakeZitadel>();
const native = (f: ContractFake) => natives.get(f)!;
/** The contract's listings, in the fake's routes: groups are project roles, members grants. */
const ROUTE: Record<Listing, Route> = { users: 'users', groups: 'roles', members: 'authorizations' };

async function start(options: FakeOptions = {}): Promise<ContractFake> {
  const fake = await startFakeZitadel({ maxPageSize: options.pageSize });
  const dir = fake.directory;
  const project = dir.addProject('Roster App');
  const key = (groupId: string) => groupId.slice(project.id.length + 1);

  const tally = (): RequestTally => {
    const t = { ...NO_REQUESTS };
    for (const r of fake.requests) {
      if (r.route === 'token') t.auth++;
      else if (r.route === 'users') t.users++;
      else if (r.route === 'roles') t.groups++;
      else if (r.route === 'authorizations') t.members++;
      else t.other++;
    }
    return t;
  };

  const contractFake: ContractFake = {
    domain: DOMAIN,
    baselineUserIds: [],
    // The alternate fields: username (a login of another scheme), phone (standing in for a
    // second mailbox, which Zitadel's v2 user has no field for), nickName.
    addUser: (p) => dir.addUser({
      state: (p.state ?? 'ACTIVE') as UserState,
      username: p.alt.userName, preferredLoginName: `${p.name}@${DOMAIN}`,
      givenName: p.givenName, familyName: p.familyName, displayName: p.displayName, nickName: p.alt.displayName,
      email: p.email, phone: p.alt.email,
    }).userId,
    setState: (id, state) => dir.setState(id, state as UserState),
    rename: (id, displayName) => dir.updateUser(id, { displayName }),
    // Zitadel's v2 user has no free-form attributes (metadata is another API): the nickname stands in.
    setCustomAttribute: (id, value) => dir.updateUser(id, { nickName: value }),
    addGroup: (name) => {
      dir.addRole(project.id, name);
      return `${project.id}:${name}`;
    },
    addMember: (g, m) => {
      // https://zitadel.com/docs/guides/manage/console/roles: a role is granted to users; roles do not nest.
      if (!('user' in m)) throw new Error('Zitadel project roles are granted to users only');
      dir.grantRole(m.user, project.id, key(g));
    },
    removeMember: (g, m) => dir.revokeRole(m, project.id, key(g)),
    deleteGroup: (g) => dir.removeRole(project.id, key(g)),
    settle: () => dir.advance(SETTLE_MS),
    connect(options = {}) {
      const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
      const provider = createZitadelProvider({
        settings: { baseUrl: fake.url, serverErrorRetries: 1, retryDelayMs: 5, throttleBudgetSeconds: 3, ...options.settings },
        secrets: options.credentials === 'missing' ? {} : { personalAccessToken: options.credentials === 'rejected' ? 'revoked-pat' : 'test-pat' },
        logger: winston.createLogger({ silent: true }),
        stats,
        concurrency: options.concurrency ?? 4,
      });
      return { provider, stats };
    },
    connectionSettings: () => ({ baseUrl: fake.url, personalAccessToken: 'test-pat', retryDelayMs: 1, serverErrorRetries: 1 }),
    tally,
    resetRequests: () => void fake.requests.splice(0),
    minimumRequests: () => {
      // A grant carries every role key its user holds in the project: one listing of each project's grants.
      const grantsOf = (projectId: string) => [...dir.grants.values()].filter((g) => g.projectId === projectId).length;
      return {
        ...NO_REQUESTS, // a personal access token: no token request
        users: pagesFor(dir.users.size, PAGE),
        groups: [...dir.projects.values()].reduce((n, p) => n + pagesFor(p.roles.size, PAGE), 0),
        members: [...dir.projects.values()].reduce((n, p) => n + pagesFor(grantsOf(p.id), PAGE), 0),
        other: pagesFor(dir.projects.size, PAGE), // ListProjects
      };
    },
    throttleOnce: (resource) => void fake.faults.push({ route: ROUTE[resource], page: 2, status: 429, retryAfter: 1, times: 1 }),
    throttleForever: (resource) => void fake.faults.push({ route: ROUTE[resource], status: 429, retryAfter: 1 }),
    failPersistently: (resource, page) => void fake.faults.push({ route: ROUTE[resource], page, status: 500 }),
    inject: (listing, page, fault, times) =>
      void fake.faults.push(
        fault === 'drop' ? { route: ROUTE[listing], page, drop: true, times }
          : fault === '429' ? { route: ROUTE[listing], page, status: 429, retryAfter: 0, times }
            : { route: ROUTE[listing], page, status: 500, times },
      ),
    clearFaults: () => void fake.faults.splice(0),
    pagesServed: (listing) => Math.max(0, ...fake.requests.filter((r) => r.route === ROUTE[listing] && r.status === 200).map((r) => r.page)),
    faultsMet: () => fake.requests.filter((r) => r.route !== 'token' && r.status !== 200).length,
    setLatency: (ms) => void (fake.latencyMs = ms),
    maxInFlight: () => fake.maxInFlightTotal,
    denyGroupReads: () => void (fake.permissions.groups = false),
    close: () => fake.close(),
  };
  natives.set(contractFake, fake);
  return contractFake;
}

export const zitadelAdapter: ContractAdapter = {
  kind: 'zitadel',
  customAttributeExpression: 'human.profile.nickName',
  start,
  pageSizes: { users: PAGE, groups: PAGE, members: PAGE },
  // Members come from one listing of each project's grants (not per role), read projects up to the concurrency.
  memberListing: 'per-project',
  // UserState (user/v2): LOCKED is a credential state; INITIAL has not finished initialisation (see map.ts).
  userStates: [
    { state: 'ACTIVE', active: true, status: 'ACTIVE' },
    { state: 'LOCKED', active: true, status: 'LOCKED' },
    { state: 'INACTIVE', active: false, status: 'INACTIVE' },
    { state: 'INITIAL', active: false, status: 'INITIAL' },
  ],
  defaultEmail: 'email',
  alternateMapping: { userName: 'username', email: 'phone', displayName: 'nickName' },
  nesting: { supported: false, source: 'groups are project roles, granted to users; roles do not nest' },
  fetchUserGroups: 'direct',
  deletions: [
    { name: 'deactivated (INACTIVE), seen by a delta', apply: (f, id) => native(f).directory.setState(id, 'INACTIVE'), seenIn: 'delta', outcome: { seen: 'inactive', status: 'INACTIVE' } },
    { name: 'deactivated (INACTIVE), seen by a full listing', apply: (f, id) => native(f).directory.setState(id, 'INACTIVE'), seenIn: 'full', outcome: { seen: 'inactive', status: 'INACTIVE' } },
    // RemoveUser: no listing shows the user again; the events API records user.removed.
    { name: 'removed, seen by a delta', apply: (f, id) => native(f).directory.removeUser(id), seenIn: 'delta', outcome: { seen: 'removed', reason: 'deleted' } },
    { name: 'removed, seen by a full listing', apply: (f, id) => native(f).directory.removeUser(id), seenIn: 'full', outcome: { seen: 'not-listed' } },
  ],
  // RemoveProjectRole writes project.role.removed.
  groupDeletionInDelta: { reported: true },
  incremental: {
    supported: true,
    // A creation-date watermark never expires at Zitadel; what the provider must refuse is a cursor it did not write.
    invalidate: () => ({ v: 2, sequence: '12345' }),
    noChangeRequests: 1, // one (empty) events page
  },
};
