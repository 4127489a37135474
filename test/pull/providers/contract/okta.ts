/**
 * Okta in the provider contract: the fake org over HTTP and the real
 * @okta/okta-sdk-nodejs. Page sizes are the provider's own requests: users
 * limit=200 (Okta's cap), groups 1,000 (of the 10,000 Okta allows: small
 * pages), members 1,000 (Okta's cap).
 */
import winston from 'winston';
import { createOktaProvider } from '../../../../src/pull/providers/okta/index.js';
import type { ProviderStats } from '../../../../src/pull/providers/types.js';
import { startFakeOkta, type FakeOkta, type OktaUserStatus } from '../../../fakes/okta/index.js';
import { NO_REQUESTS, pagesFor, type ContractAdapter, type ContractFake, type FakeOptions, type Listing, type RequestTally } from './adapter.js';

const DOMAIN = 'example.okta.test';
const USERS_PAGE = 200;
const GROUPS_PAGE = 1000;
const MEMBERS_PAGE = 1000;
/** Longer than the provider's watermark overlap (deltaOverlapSeconds, 120 s by default). */
const SETTLE_MS = 10 * 60_000;
/** Okta's rate-limit window in this fake: a 429 then asks to wait for a reset about a second away. */
const WINDOW = { limit: 100_000, windowMs: 1000 };

const natives = new WeakMap<ContractFake, FakeOkta>();
const native = (f: ContractFake) => natives.get(f)!;

async function start(options: FakeOptions = {}): Promise<ContractFake> {
  const fake = await startFakeOkta({ maxPageSize: options.pageSize });
  const route = (listing: Listing) => (listing === 'members' ? 'groupMembers' : listing);
  const dir = fake.directory;

  const tally = (): RequestTally => {
    const t = { ...NO_REQUESTS };
    for (const r of fake.requests) {
      if (r.route === 'token') t.auth++;
      else if (r.route === 'users') t.users++;
      else if (r.route === 'groups') t.groups++;
      else if (r.route === 'groupMembers') t.members++;
      else t.other++;
    }
    return t;
  };

  const contractFake: ContractFake = {
    domain: DOMAIN,
    baselineUserIds: [],
    addUser: (p) => dir.addUser({
      status: (p.state ?? 'ACTIVE') as OktaUserStatus,
      profile: {
        login: `${p.name}@${DOMAIN}`, email: p.email, firstName: p.givenName, lastName: p.familyName, displayName: p.displayName,
        employeeNumber: p.alt.userName, secondEmail: p.alt.email, nickName: p.alt.displayName,
      },
    }).id,
    setState: (id, state) => void dir.setStatus(id, state as OktaUserStatus),
    rename: (id, displayName) => void dir.updateUser(id, { displayName }),
    // A custom attribute added to the Okta user profile schema.
    setCustomAttribute: (id, value) => void dir.updateUser(id, { costCenter: value }),
    addGroup: (name) => dir.addGroup({ name }).id,
    addMember: (g, m) => {
      // https://developer.okta.com/docs/reference/api/groups/: a group's members are users.
      if (!('user' in m)) throw new Error('Okta groups are not nested: a group cannot be a member');
      dir.addMember(g, m.user);
    },
    removeMember: (g, m) => dir.removeMember(g, m),
    deleteGroup: (g) => dir.deleteGroup(g),
    settle: () => dir.advance(SETTLE_MS),
    connect(options = {}) {
      const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
      const provider = createOktaProvider({
        // One 5xx retry, 5 ms later, and a 3 s throttle budget (a 429 here asks up to 2 s): failures surface quickly.
        settings: { orgUrl: fake.url, serverErrorRetries: 1, retryDelayMs: 5, throttleBudgetSeconds: 3, ...options.settings },
        secrets: options.credentials === 'missing' ? {} : { apiToken: options.credentials === 'rejected' ? 'revoked-token' : 'test-token' },
        logger: winston.createLogger({ silent: true }),
        stats,
        concurrency: options.concurrency ?? 4,
      });
      return { provider, stats };
    },
    connectionSettings: () => ({ orgUrl: fake.url, apiToken: 'test-token', retryDelayMs: 1, serverErrorRetries: 1 }),
    tally,
    resetRequests: () => void fake.requests.splice(0),
    minimumRequests: () => {
      const groups = [...dir.groups.values()];
      return {
        ...NO_REQUESTS, // SSWS: no token request
        users: pagesFor(dir.users.size, USERS_PAGE),
        groups: pagesFor(groups.length, GROUPS_PAGE), // Everyone is listed, then skipped
        members: groups.filter((g) => g.type !== 'BUILT_IN').reduce((n, g) => n + pagesFor(g.members.size, MEMBERS_PAGE), 0),
      };
    },
    // Okta's 429 carries no Retry-After: X-Rate-Limit-Reset says when the window resets, and the
    // SDK waits Reset − Date + 1 s (https://developer.okta.com/docs/reference/rl-best-practices/).
    throttleOnce: (resource) => {
      fake.setRateLimit(WINDOW);
      fake.faults.push({ route: resource, page: 2, status: 429, errorCode: 'E0000047', times: 1 });
    },
    throttleForever: (resource) => {
      fake.setRateLimit(WINDOW);
      fake.faults.push({ route: resource, status: 429, errorCode: 'E0000047' });
    },
    failPersistently: (resource, page) => void fake.faults.push({ route: resource, page, status: 500 }),
    inject: (listing, page, fault, times) =>
      void fake.faults.push(
        fault === 'drop'
          ? { route: route(listing), page, drop: true, times }
          : fault === '429'
            ? { route: route(listing), page, status: 429, resetInSeconds: 0, times }
            : { route: route(listing), page, status: 500, times },
      ),
    clearFaults: () => void fake.faults.splice(0),
    pagesServed: (listing) => Math.max(0, ...fake.requests.filter((r) => r.route === route(listing) && r.status === 200).map((r) => r.page)),
    faultsMet: () => fake.requests.filter((r) => r.route !== 'token' && r.status !== 200).length,
    setLatency: (ms) => void (fake.latencyMs = ms),
    maxInFlight: () => fake.maxInFlightTotal,
    denyGroupReads: () => void (fake.permissions.groups = false),
    close: () => fake.close(),
  };
  natives.set(contractFake, fake);
  return contractFake;
}

export const oktaAdapter: ContractAdapter = {
  kind: 'okta',
  customAttributeExpression: 'profile.costCenter',
  start,
  pageSizes: { users: USERS_PAGE, groups: GROUPS_PAGE, members: MEMBERS_PAGE },
  // https://developer.okta.com/docs/reference/api/users/#user-status
  memberListing: 'per-group',
  userStates: [
    { state: 'ACTIVE', active: true, status: 'ACTIVE' },
    { state: 'LOCKED_OUT', active: true, status: 'LOCKED_OUT' },
    { state: 'PASSWORD_EXPIRED', active: true, status: 'PASSWORD_EXPIRED' },
    { state: 'RECOVERY', active: true, status: 'RECOVERY' },
    { state: 'SUSPENDED', active: false, status: 'SUSPENDED' },
    { state: 'DEPROVISIONED', active: false, status: 'DEPROVISIONED' },
    { state: 'STAGED', active: false, status: 'STAGED' },
    { state: 'PROVISIONED', active: false, status: 'PROVISIONED' },
  ],
  defaultEmail: 'email',
  alternateMapping: { userName: 'employeeNumber', email: 'secondEmail', displayName: 'nickName' },
  nesting: { supported: false, source: 'Okta groups hold users only (IDP-NOTES: "Okta groups are not nested")' },
  fetchUserGroups: 'direct',
  deletions: [
    // Okta's first DELETE deactivates: the user stays, DEPROVISIONED, and search lists it.
    { name: 'deactivated (DEPROVISIONED), seen by a delta', apply: (f, id) => void native(f).directory.deactivate(id), seenIn: 'delta', outcome: { seen: 'inactive', status: 'DEPROVISIONED' } },
    { name: 'deactivated (DEPROVISIONED), seen by a full listing', apply: (f, id) => void native(f).directory.deactivate(id), seenIn: 'full', outcome: { seen: 'inactive', status: 'DEPROVISIONED' } },
    // The second DELETE removes it for good: no listing shows it; the System Log records
    // user.lifecycle.delete.initiated, which a delta reads.
    { name: 'deleted after deactivation, seen by a delta', apply: (f, id) => deleteForGood(native(f), id), seenIn: 'delta', outcome: { seen: 'removed', reason: 'deleted' } },
    { name: 'deleted after deactivation, seen by a full listing', apply: (f, id) => deleteForGood(native(f), id), seenIn: 'full', outcome: { seen: 'not-listed' } },
  ],
  // The groups filter lists live groups only; the System Log records group.lifecycle.delete.
  groupDeletionInDelta: { reported: true },
  incremental: {
    supported: true,
    // A watermark never expires at Okta; what the provider must refuse is a cursor it did not write.
    invalidate: () => ({ deltaLink: 'https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x' }),
    noChangeRequests: 3, // one users search page, one groups filter page, one (empty) System Log page
  },
};

function deleteForGood(fake: FakeOkta, id: string): void {
  fake.directory.deleteUser(id); // deactivates
  fake.directory.deleteUser(id); // deletes
}
