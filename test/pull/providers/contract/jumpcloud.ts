/**
 * JumpCloud in the provider contract: the fake organisation over HTTP and the
 * provider's own typed REST client. Page sizes are the provider's requests:
 * 100 (JumpCloud's cap on the console API) for users, groups and members.
 * Users end on `totalCount`; groups and members (bare arrays) on a short
 * page, so a listing of exactly 100 costs a second, empty page.
 */
import winston from 'winston';
import { createJumpCloudProvider } from '../../../../src/pull/providers/jumpcloud/index.js';
import type { ProviderStats } from '../../../../src/pull/providers/types.js';
import { startFakeJumpCloud, type FakeJumpCloud, type Route, type UserState } from '../../../fakes/jumpcloud/index.js';
import { NO_REQUESTS, pagesFor, type ContractAdapter, type ContractFake, type FakeOptions, type Listing, type RequestTally } from './adapter.js';

const DOMAIN = 'example.jumpcloud.test';
const PAGE = 100;
/** Longer than the provider's watermark overlap (deltaOverlapSeconds, 300 s by default). */
const SETTLE_MS = 10 * 60_000;
/** `LOCKED`: an ACTIVATED account with account_locked (too many failed logins). */
type State = UserState | 'LOCKED';

const natives = new WeakMap<ContractFake, FakeJumpCloud>();
const native = (f: ContractFake) => natives.get(f)!;

/** Pages of a bare-array listing ended by a short page: one more than full pages. */
const shortPaged = (items: number, size: number) => Math.floor(items / size) + 1;

async function start(options: FakeOptions = {}): Promise<ContractFake> {
  const fake = await startFakeJumpCloud();
  const org = fake.org;
  // The fault suite asks for small pages: the provider asks for them (JumpCloud serves what `limit` asks).
  const page = options.pageSize ?? PAGE;
  const sized = options.pageSize ? { pageSize: options.pageSize } : {};
  const routes: Record<Listing, Route> = { users: 'users', groups: 'groups', members: 'members' };

  const tally = (): RequestTally => {
    const t = { ...NO_REQUESTS };
    for (const r of fake.requests) {
      if (r.route === 'users') t.users++;
      else if (r.route === 'groups') t.groups++;
      else if (r.route === 'members') t.members++;
      else t.other++;
    }
    return t;
  };

  const setState = (id: string, state: State) => {
    const u = org.users.get(id)!;
    if (state === 'LOCKED') {
      if (u.state !== 'ACTIVATED') org.setState(id, 'ACTIVATED');
      org.setLocked(id, true);
      return;
    }
    if (u.account_locked) org.setLocked(id, false);
    org.setState(id, state);
  };

  const contractFake: ContractFake = {
    domain: DOMAIN,
    baselineUserIds: [],
    addUser: (p) => {
      const state = (p.state ?? 'ACTIVATED') as State;
      const id = org.addUser({
        username: `${p.name}@${DOMAIN}`, email: p.email, firstname: p.givenName, lastname: p.familyName, displayname: p.displayName,
        employeeIdentifier: p.alt.userName, alternateEmail: p.alt.email, description: p.alt.displayName,
        state: state === 'LOCKED' ? 'ACTIVATED' : state,
      })._id;
      if (state === 'LOCKED') org.setLocked(id, true);
      return id;
    },
    setState: (id, state) => setState(id, state as State),
    rename: (id, displayname) => void org.updateUser(id, { displayname }),
    // JumpCloud's custom attributes: `attributes`, a list of name/value pairs.
    setCustomAttribute: (id, value) => void org.updateUser(id, { attributes: [{ name: 'costCenter', value }] }),
    addGroup: (name) => org.addGroup({ name }).id,
    addMember: (g, m) => {
      if (!('user' in m)) throw new Error('JumpCloud user groups do not nest: a user group holds users only');
      org.addMember(g, m.user);
    },
    removeMember: (g, m) => org.removeMember(g, m),
    deleteGroup: (g) => org.deleteGroup(g),
    settle: () => org.advance(SETTLE_MS),
    connect(options = {}) {
      const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
      const provider = createJumpCloudProvider({
        // One 5xx retry, 5 ms later, and a 3 s throttle budget (a throttle here asks 1 s): failures surface quickly.
        settings: { baseUrl: fake.url, insightsUrl: fake.insightsUrl, serverErrorRetries: 1, retryDelayMs: 5, throttleBudgetSeconds: 3, ...sized, ...options.settings },
        secrets: options.credentials === 'missing' ? {} : { apiKey: options.credentials === 'rejected' ? 'revoked-key' : 'test-key' },
        logger: winston.createLogger({ silent: true }),
        stats,
        concurrency: options.concurrency ?? 4,
      });
      return { provider, stats };
    },
    connectionSettings: () => ({ baseUrl: fake.url, insightsUrl: fake.insightsUrl, apiKey: 'test-key', retryDelayMs: 1, serverErrorRetries: 1, ...sized }),
    tally,
    resetRequests: () => void fake.requests.splice(0),
    minimumRequests: () => ({
      ...NO_REQUESTS,
      users: pagesFor(org.users.size, page),
      groups: shortPaged(org.groups.size, page),
      members: [...org.groups.values()].reduce((n, g) => n + shortPaged(g.members.size, page), 0),
    }),
    throttleOnce: (resource) => void fake.faults.push({ route: resource, page: 2, status: 429, retryAfter: 1, times: 1 }),
    throttleForever: (resource) => void fake.faults.push({ route: resource, status: 429, retryAfter: 1 }),
    failPersistently: (resource, p) => void fake.faults.push({ route: resource, page: p, status: 500 }),
    inject: (listing, p, fault, times) =>
      void fake.faults.push(
        fault === 'drop'
          ? { route: routes[listing], page: p, drop: true, times }
          : fault === '429'
            ? { route: routes[listing], page: p, status: 429, retryAfter: 0, times }
            : { route: routes[listing], page: p, status: 500, times },
      ),
    clearFaults: () => void fake.faults.splice(0),
    pagesServed: (listing) => Math.max(0, ...fake.requests.filter((r) => r.route === routes[listing] && r.status === 200).map((r) => r.page)),
    faultsMet: () => fake.requests.filter((r) => r.status !== 200).length,
    setLatency: (ms) => void (fake.latencyMs = ms),
    maxInFlight: () => fake.maxInFlight,
    denyGroupReads: () => void (fake.permissions.groups = false),
    close: () => fake.close(),
  };
  natives.set(contractFake, fake);
  return contractFake;
}

export const jumpcloudAdapter: ContractAdapter = {
  kind: 'jumpcloud',
  customAttributeExpression: 'attributes[name="costCenter"].value',
  start,
  pageSizes: { users: PAGE, groups: PAGE, members: PAGE },
  memberListing: 'per-group',
  // IDP-NOTES "JumpCloud": state STAGED | ACTIVATED | SUSPENDED, and account_locked.
  userStates: [
    { state: 'ACTIVATED', active: true, status: 'ACTIVATED' },
    // A locked account (failed logins) is still an active one: it keeps its roles.
    { state: 'LOCKED', active: true, status: 'ACTIVATED' },
    { state: 'SUSPENDED', active: false, status: 'SUSPENDED' },
    // Created, not yet activated: cannot sign in yet.
    { state: 'STAGED', active: false, status: 'STAGED' },
  ],
  defaultEmail: 'email',
  alternateMapping: { userName: 'employeeIdentifier', email: 'alternateEmail', displayName: 'description' },
  nesting: { supported: false, source: 'JumpCloud user groups hold users only (IDP-NOTES "JumpCloud": members are `{ to: { type: "user" } }`)' },
  fetchUserGroups: 'direct',
  deletions: [
    // JumpCloud deletes at once (no deactivated stage); Directory Insights records user_delete.
    { name: 'deleted, seen by a delta', apply: (f, id) => native(f).org.deleteUser(id), seenIn: 'delta', outcome: { seen: 'removed', reason: 'deleted' } },
    { name: 'deleted, seen by a full listing', apply: (f, id) => native(f).org.deleteUser(id), seenIn: 'full', outcome: { seen: 'not-listed' } },
    { name: 'suspended, seen by a delta', apply: (f, id) => native(f).org.setState(id, 'SUSPENDED'), seenIn: 'delta', outcome: { seen: 'inactive', status: 'SUSPENDED' } },
  ],
  // Directory Insights records group_delete.
  groupDeletionInDelta: { reported: true },
  incremental: {
    supported: true,
    // A watermark never expires within Insights' retention; what the provider must refuse is a cursor it did not write.
    invalidate: () => ({ deltaLink: 'https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x' }),
    noChangeRequests: 1, // one (short) page of Directory Insights events
  },
};
