/**
 * Entra ID (Microsoft Graph) in the provider contract: FakeEntra over HTTPS,
 * the real Graph client and @azure/identity.
 *
 * Graph, not the client, sizes delta pages (about 200 objects, 500 member
 * links: IDP-NOTES). The fake is started with smaller pages so a small
 * tenant spans several of them; the provider must follow them all the same.
 */
import { silentLogger } from '../../../../src/core/logging/index.js';
import { createEntraProvider } from '../../../../src/pull/providers/entra/index.js';
import type { ProviderStats } from '../../../../src/pull/providers/types.js';
import { FakeEntra } from '../../../fakes/entra/index.js';
import { GROUP_DELTA_SELECT } from '../../../../src/pull/providers/entra/map.js';
import { NO_REQUESTS, pagesFor, type ContractAdapter, type ContractFake, type FakeOptions, type Listing, type RequestTally } from './adapter.js';

const OBJECTS_PER_PAGE = 50;
const LINKS_PER_PAGE = 100;
const DOMAIN = 'contoso.test';

/** The FakeEntra behind each ContractFake, for the deletion and cursor programs below. */
const natives = new WeakMap<ContractFake, FakeEntra>();
const native = (f: ContractFake) => natives.get(f)!;

async function start(options: FakeOptions = {}): Promise<ContractFake> {
  const fake = await FakeEntra.start({ objectsPerPage: options.pageSize ?? OBJECTS_PER_PAGE, linksPerPage: options.pageSize ?? LINKS_PER_PAGE });
  // Members come inside groups/delta: their faults land on that listing.
  const resource = (listing: Listing) => (listing === 'users' ? 'users' : 'groups');
  const dir = fake.directory;

  const tally = (): RequestTally => {
    const t = { ...NO_REQUESTS };
    for (const r of fake.requests) {
      if (r.kind === 'identity') t.auth++;
      else if (r.path === '/v1.0/users/delta') t.users++;
      else if (r.path === '/v1.0/groups/delta') t.groups++;
      else t.other++;
    }
    return t;
  };

  /** Pages of a new groups/delta round as the fake serves them (Graph packs objects and links per page). */
  const groupRoundPages = (): number => {
    let token = fake.delta.start('groups', GROUP_DELTA_SELECT, null);
    let pages = 1;
    for (let page = fake.delta.page(token); page.next; page = fake.delta.page(token)) {
      token = page.next;
      pages++;
    }
    return pages;
  };

  const contractFake: ContractFake = {
    domain: DOMAIN,
    baselineUserIds: [],
    addUser: (p) => dir.addUser({
      userPrincipalName: `${p.name}@${DOMAIN}`, mail: p.email, displayName: p.displayName, givenName: p.givenName, surname: p.familyName,
      accountEnabled: (p.state ?? 'enabled') === 'enabled',
      employeeId: p.alt.userName, onPremisesUserPrincipalName: p.alt.email, jobTitle: p.alt.displayName,
    }).id,
    setState: (id, state) => void (state === 'enabled' ? dir.enableUser(id) : dir.disableUser(id)),
    rename: (id, displayName) => void dir.updateUser(id, { displayName }),
    // A directory extension of an app registration: Graph returns it only when $selected.
    setCustomAttribute: (id, value) => void dir.updateUser(id, { extension_8a1e3c_costCenter: value }),
    addGroup: (name) => dir.addGroup({ displayName: name }).id,
    addMember: (g, m) => dir.addMember(g, 'user' in m ? m.user : m.group),
    removeMember: (g, m) => dir.removeMember(g, m),
    deleteGroup: (g) => dir.deleteGroup(g),
    settle: () => undefined, // delta tokens follow the directory's change sequence, not the clock
    connect(options = {}) {
      const conn = fake.connection();
      const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
      const provider = createEntraProvider({
        // Retries 5 ms apart and a 2 s throttle budget: failures surface in a moment.
        settings: { ...conn.settings, retryDelayMs: 5, throttleBudgetSeconds: 2, ...options.settings },
        secrets: options.credentials === 'missing' ? {} : options.credentials === 'rejected' ? { clientSecret: 'not-the-secret' } : conn.secrets,
        logger: silentLogger(),
        stats,
        concurrency: options.concurrency ?? 4,
      });
      return { provider, stats };
    },
    connectionSettings: () => {
      const conn = fake.connection();
      return { ...conn.settings, ...conn.secrets, retryDelayMs: 1 };
    },
    tally,
    resetRequests: () => fake.resetLog(),
    minimumRequests: () => ({
      ...NO_REQUESTS,
      auth: 2, // OpenID discovery of the custom authority, then one client-credentials token
      users: pagesFor(dir.liveUserCount, OBJECTS_PER_PAGE),
      groups: groupRoundPages(),
    }),
    // Graph: 429 with Retry-After in seconds (https://learn.microsoft.com/graph/throttling).
    throttleOnce: (resource) => fake.throttle({ times: 1, retryAfterSeconds: 1, match: new RegExp(`^/v1\\.0/${resource}/delta\\?\\$skiptoken=`) }),
    throttleForever: (resource) => fake.throttle({ times: 1_000, retryAfterSeconds: 0, match: new RegExp(`^/v1\\.0/${resource}/delta`) }),
    failPersistently: (resource, page) => fake.failPage({ resource, page, status: 500 }),
    inject: (listing, page, fault, times) =>
      fake.failPage({ resource: resource(listing), page, times, ...(fault === 'drop' ? { drop: true } : { status: fault === '429' ? 429 : 500, retryAfterSeconds: 0 }) }),
    clearFaults: () => fake.clearFaults(),
    pagesServed: (listing) => fake.requests.filter((r) => r.path === `/v1.0/${resource(listing)}/delta` && r.status === 200).length,
    faultsMet: () => fake.requests.filter((r) => r.kind === 'graph' && r.status !== 200).length,
    setLatency: (ms) => fake.setLatency(ms),
    maxInFlight: () => fake.maxInFlight,
    denyGroupReads: () => fake.revoke('Group.Read.All', 'GroupMember.Read.All', 'Directory.Read.All'),
    close: () => fake.close(),
  };
  natives.set(contractFake, fake);
  return contractFake;
}

export const entraAdapter: ContractAdapter = {
  kind: 'entra',
  customAttributeExpression: 'extension_8a1e3c_costCenter',
  start,
  pageSizes: { users: OBJECTS_PER_PAGE, groups: OBJECTS_PER_PAGE, members: LINKS_PER_PAGE },
  memberListing: 'inline',
  userStates: [
    { state: 'enabled', active: true },
    { state: 'disabled', active: false },
  ],
  defaultEmail: 'email',
  alternateMapping: { userName: 'employeeId', email: 'onPremisesUserPrincipalName', displayName: 'jobTitle' },
  nesting: { supported: true, cycles: 'listed' },
  fetchUserGroups: 'transitive',
  deletions: [
    { name: 'moved to the recycle bin (@removed changed)', apply: (f, id) => void native(f).directory.softDeleteUser(id), seenIn: 'delta', outcome: { seen: 'removed', reason: 'soft-deleted' } },
    { name: 'deleted for good (@removed deleted)', apply: (f, id) => void native(f).directory.hardDeleteUser(id), seenIn: 'delta', outcome: { seen: 'removed', reason: 'deleted' } },
    { name: 'deleted for good, then a new round', apply: (f, id) => void native(f).directory.hardDeleteUser(id), seenIn: 'full', outcome: { seen: 'not-listed' } },
  ],
  groupDeletionInDelta: { reported: true }, // groups/delta: { id, "@removed": { reason: "deleted" } }
  incremental: {
    supported: true,
    // Graph answers an expired or unknown token with 400 syncStateNotFound (or 410).
    invalidate: (f, cursor) => {
      native(f).expireDeltaTokens();
      return cursor;
    },
    noChangeRequests: 2, // one users/delta and one groups/delta page
  },
};
