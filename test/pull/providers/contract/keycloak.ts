/**
 * Keycloak in the provider contract: the fake Keycloak over HTTP and the real
 * @keycloak/keycloak-admin-client, signed in as the service-account client
 * `roster-sync`. Page sizes are the provider's `max` (100 for every listing;
 * Keycloak honours any `max`, so a fake started with a small page size is
 * read with that `max`). Keycloak lists carry no totals: a listing costs
 * floor(items / page) + 1 requests, the last one short.
 */
import winston from 'winston';
import { createKeycloakProvider } from '../../../../src/pull/providers/keycloak/index.js';
import type { ProviderStats } from '../../../../src/pull/providers/types.js';
import { startFakeKeycloak, type FakeKeycloak, type Route } from '../../../fakes/keycloak/index.js';
import { NO_REQUESTS, type ContractAdapter, type ContractFake, type FakeOptions, type Listing, type RequestTally } from './adapter.js';

const DOMAIN = 'example.keycloak.test';
const PAGE = 100;

/** Requests of a first/max listing that ends on a short page. */
export const shortPaged = (items: number, size: number) => Math.floor(items / size) + 1;

const natives = new WeakMap<ContractFake, FakeKeycloak>();
const native = (f: ContractFake) => natives.get(f)!;

const routeOf = (listing: Listing): Route => (listing === 'members' ? 'groupMembers' : listing);

async function start(options: FakeOptions = {}): Promise<ContractFake> {
  const fake = await startFakeKeycloak();
  const realm = fake.realm;
  const pageSize = options.pageSize ?? PAGE;

  const tally = (): RequestTally => {
    const t = { ...NO_REQUESTS };
    for (const r of fake.requests) {
      if (r.route === 'token') t.auth++;
      else if (r.route === 'users') t.users++;
      else if (r.route === 'groups' || r.route === 'groupChildren') t.groups++;
      else if (r.route === 'groupMembers') t.members++;
      else t.other++;
    }
    return t;
  };

  const contractFake: ContractFake = {
    domain: DOMAIN,
    baselineUserIds: [],
    addUser: (p) =>
      realm.addUser({
        username: `${p.name}@${DOMAIN}`, email: p.email, firstName: p.givenName, lastName: p.familyName, enabled: (p.state ?? 'enabled') === 'enabled',
        attributes: Object.fromEntries(
          Object.entries({ employeeNumber: p.alt.userName, secondEmail: p.alt.email, nickName: p.alt.displayName }).filter(([, v]) => v !== '').map(([k, v]) => [k, [v]]),
        ),
      }).id,
    setState: (id, state) => void realm.updateUser(id, { enabled: state === 'enabled' }),
    rename: (id, displayName) => void realm.updateUser(id, { attributes: { ...realm.user(id).attributes, displayName: [displayName] } }),
    // User attributes are lists of strings in Keycloak.
    setCustomAttribute: (id, value) => void realm.updateUser(id, { attributes: { ...realm.user(id).attributes, costCenter: [value] } }),
    addGroup: (name) => realm.addGroup(name).id,
    // Keycloak's groups are a tree: a group joins another by moving under it (its one parent).
    addMember: (g, m) => ('user' in m ? realm.addMember(g, m.user) : realm.moveGroup(m.group, g)),
    removeMember: (g, m) => (realm.groups.has(m) ? realm.moveGroup(m, null) : realm.removeMember(g, m)),
    deleteGroup: (g) => realm.deleteGroup(g),
    settle: () => realm.advance(1000),
    connect(options = {}) {
      const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
      const provider = createKeycloakProvider({
        // One 5xx retry, 5 ms later, and a 3 s throttle budget (a 429 here asks 1 s): failures surface quickly.
        settings: { baseUrl: fake.url, realm: realm.name, clientId: fake.client.clientId, pageSize, serverErrorRetries: 1, retryDelayMs: 5, throttleBudgetSeconds: 3, ...options.settings },
        secrets: options.credentials === 'missing' ? {} : { clientSecret: options.credentials === 'rejected' ? 'wrong-secret' : fake.client.secret },
        logger: winston.createLogger({ silent: true }),
        stats,
        concurrency: options.concurrency ?? 4,
      });
      return { provider, stats };
    },
    connectionSettings: () => ({ baseUrl: fake.url, realm: realm.name, clientId: fake.client.clientId, clientSecret: fake.client.secret, pageSize, retryDelayMs: 1, serverErrorRetries: 1 }),
    tally,
    resetRequests: () => void fake.requests.splice(0),
    minimumRequests: () => {
      const groups = [...realm.groups.values()];
      const withChildren = groups.map((g) => realm.childrenOf(g.id).length).filter((n) => n > 0);
      const eventsReadable = realm.adminEventsEnabled && fake.client.roles.has('view-events');
      return {
        ...NO_REQUESTS,
        auth: 1,
        users: shortPaged(realm.users.size, pageSize),
        groups: shortPaged(realm.topGroups().length, pageSize) + withChildren.reduce((n, c) => n + shortPaged(c, pageSize), 0),
        members: groups.reduce((n, g) => n + shortPaged(g.members.size, pageSize), 0),
        // The events configuration, and the newest admin event (the next delta's start).
        other: fake.client.roles.has('view-events') ? (eventsReadable ? 2 : 1) : 1,
      };
    },
    throttleOnce: (resource) => void fake.faults.push({ route: resource, page: 2, status: 429, retryAfter: 1, times: 1 }),
    throttleForever: (resource) => void fake.faults.push({ route: resource, status: 429, retryAfter: 1 }),
    failPersistently: (resource, page) => void fake.faults.push({ route: resource, page, status: 500 }),
    inject: (listing, page, fault, times) =>
      void fake.faults.push(
        fault === 'drop'
          ? { route: routeOf(listing), page, drop: true, times }
          : fault === '429'
            ? { route: routeOf(listing), page, status: 429, retryAfter: 0, times }
            : { route: routeOf(listing), page, status: 500, times },
      ),
    clearFaults: () => void fake.faults.splice(0),
    pagesServed: (listing) => Math.max(0, ...fake.requestsTo(routeOf(listing)).filter((r) => r.status === 200).map((r) => r.page)),
    faultsMet: () => fake.requests.filter((r) => r.route !== 'token' && r.status !== 200).length,
    setLatency: (ms) => void (fake.latencyMs = ms),
    maxInFlight: () => fake.maxInFlightTotal,
    // The service account loses query-groups (realm-management): the group tree is out of reach.
    denyGroupReads: () => void fake.client.roles.delete('query-groups'),
    close: () => fake.close(),
  };
  natives.set(contractFake, fake);
  return contractFake;
}

export const keycloakAdapter: ContractAdapter = {
  kind: 'keycloak',
  customAttributeExpression: 'attributes.costCenter[0]',
  start,
  pageSizes: { users: PAGE, groups: PAGE, members: PAGE },
  memberListing: 'per-group',
  // Keycloak has `enabled` and nothing else: the status word is Roster's (map.ts).
  userStates: [
    { state: 'enabled', active: true, status: 'enabled' },
    { state: 'disabled', active: false, status: 'disabled' },
  ],
  defaultEmail: 'email',
  alternateMapping: { userName: 'attributes.employeeNumber', email: 'attributes.secondEmail', displayName: 'attributes.nickName' },
  nesting: { supported: true, cycles: 'refused-by-idp', source: 'Keycloak groups are a tree: a subgroup has one parent and cannot move under itself or its own subgroups' },
  fetchUserGroups: 'direct',
  deletions: [
    { name: 'disabled (enabled: false), seen by a delta', apply: (f, id) => f.setState(id, 'disabled'), seenIn: 'delta', outcome: { seen: 'inactive', status: 'disabled' } },
    { name: 'disabled (enabled: false), seen by a full listing', apply: (f, id) => f.setState(id, 'disabled'), seenIn: 'full', outcome: { seen: 'inactive', status: 'disabled' } },
    // A DELETE admin event proves the deletion to a delta; a full listing just no longer lists the user.
    { name: 'deleted, seen by a delta', apply: (f, id) => native(f).realm.deleteUser(id), seenIn: 'delta', outcome: { seen: 'removed', reason: 'deleted' } },
    { name: 'deleted, seen by a full listing', apply: (f, id) => native(f).realm.deleteUser(id), seenIn: 'full', outcome: { seen: 'not-listed' } },
  ],
  groupDeletionInDelta: { reported: true },
  incremental: {
    supported: true,
    // Admin events are kept until the realm's expiration; what the provider must refuse is a cursor it did not write.
    invalidate: () => ({ deltaLink: 'https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x' }),
    noChangeRequests: 2, // the events configuration, one (empty) page of admin events
  },
};
