/**
 * Google Workspace in the provider contract: the fake Admin SDK Directory API
 * and token endpoint over HTTP, the real @googleapis/admin and
 * google-auth-library (service account, domain-wide delegation). Page sizes
 * are the provider's maxResults, each Google's cap: users 500, groups and
 * members 200.
 */
import { generateKeyPairSync } from 'node:crypto';
import { silentLogger } from '../../../../src/core/logging/index.js';
import { createGoogleProvider } from '../../../../src/pull/providers/google/index.js';
import type { ProviderStats } from '../../../../src/pull/providers/types.js';
import { startFakeGoogle, type FakeGoogleServer, type ServiceAccountKey } from '../../../fakes/google/index.js';
import { NO_REQUESTS, pagesFor, type ContractAdapter, type ContractFake, type FakeOptions, type Listing, type RequestTally } from './adapter.js';

const USERS_PAGE = 500;
const GROUPS_PAGE = 200;
const MEMBERS_PAGE = 200;
/** The custom schema the alternate mapping reads (customSchemas need projection=full). */
const SCHEMA = 'Roster';

const natives = new WeakMap<ContractFake, FakeGoogleServer>();
const native = (f: ContractFake) => natives.get(f)!;

/** A well-formed key of a service account Google does not know (deleted, or from another project). */
function unknownServiceAccount(): ServiceAccountKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    type: 'service_account', project_id: 'elsewhere', private_key_id: 'f'.repeat(40),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'deleted-account@elsewhere.iam.gserviceaccount.com', client_id: '999', token_uri: 'https://oauth2.googleapis.com/token',
  };
}

async function start(options: FakeOptions = {}): Promise<ContractFake> {
  const fake = await startFakeGoogle({ maxPageSize: options.pageSize });
  const dir = fake.directory;
  // Domain-wide delegation acts as an admin of the domain: that user is part of the directory.
  const admin = dir.addUser({ primaryEmail: `admin@${dir.domain}`, isAdmin: true });
  // One key per fake: an RSA key pair costs tens of milliseconds.
  const key = fake.createServiceAccount();

  /** Pages of the listing answered, by path (each group's members have a path of their own); the deleted-users listing apart. */
  const pagesByPath = (listing: Listing): number[] => {
    const served = new Map<string, number>();
    for (const r of fake.requests) {
      if (r.endpoint === listing && r.status === 200 && r.query.showDeleted !== 'true') served.set(r.path, (served.get(r.path) ?? 0) + 1);
    }
    return [...served.values()];
  };

  const tally = (): RequestTally => {
    const t = { ...NO_REQUESTS };
    for (const r of fake.requests) {
      if (r.endpoint === 'token') t.auth++;
      else if (r.endpoint === 'users' && r.query.showDeleted === 'true') t.deletedUsers++;
      else if (r.endpoint === 'users') t.users++;
      else if (r.endpoint === 'groups') t.groups++;
      else if (r.endpoint === 'members') t.members++;
      else t.other++;
    }
    return t;
  };

  const contractFake: ContractFake = {
    domain: dir.domain,
    baselineUserIds: [admin.id],
    addUser: (p) => {
      const state = p.state ?? 'active';
      return dir.addUser({
        primaryEmail: `${p.name}@${dir.domain}`,
        name: { givenName: p.givenName, familyName: p.familyName, fullName: p.displayName, displayName: p.alt.displayName },
        suspended: state.includes('suspended'),
        archived: state.includes('archived'),
        recoveryEmail: p.alt.email,
        customSchemas: { [SCHEMA]: { login: p.alt.userName } },
      }).id;
    },
    setState: (id, state) => void dir.updateUser(id, { suspended: state.includes('suspended'), archived: state.includes('archived') }),
    rename: (id, displayName) => {
      const user = dir.user(id)!;
      dir.updateUser(id, { name: { ...user.name, fullName: displayName } });
    },
    // A field of a custom schema: Google returns customSchemas only with projection custom or full.
    setCustomAttribute: (id, value) => {
      const user = dir.user(id)!;
      const schemas = (user.customSchemas ?? {}) as Record<string, Record<string, unknown>>;
      dir.updateUser(id, { customSchemas: { ...schemas, HR: { costCenter: value } } });
    },
    addGroup: (name) => dir.addGroup({ name }).id,
    addMember: (g, m) => void dir.addMember(g, m),
    removeMember: (g, m) => dir.removeMember(g, m),
    deleteGroup: (g) => dir.deleteGroup(g),
    settle: () => undefined, // every run is a full listing
    connect(options = {}) {
      const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
      const provider = createGoogleProvider({
        // Retries back off from 5 ms (Google asks for exponential backoff; tests need not wait seconds).
        settings: { subject: admin.primaryEmail, rootUrl: fake.rootUrl, tokenUrl: fake.tokenUrl, maxRetries: 2, retryBaseDelayMs: 5, maxRetryDelayMs: 50, throttleBudgetSeconds: 2, ...options.settings },
        secrets: options.credentials === 'missing' ? {} : { serviceAccountKey: options.credentials === 'rejected' ? unknownServiceAccount() : key },
        logger: silentLogger(),
        stats,
        concurrency: options.concurrency ?? 4,
      });
      return { provider, stats };
    },
    connectionSettings: () => ({
      subject: admin.primaryEmail, rootUrl: fake.rootUrl, tokenUrl: fake.tokenUrl, serviceAccountKey: key, maxRetries: 1, retryBaseDelayMs: 1, maxRetryDelayMs: 5,
    }),
    tally,
    resetRequests: () => fake.resetRequests(),
    minimumRequests: () => {
      const c = dir.counts();
      const groups = dir.listGroups();
      return {
        ...NO_REQUESTS,
        auth: 1, // one JWT-bearer token exchange
        users: pagesFor(c.users, USERS_PAGE),
        deletedUsers: pagesFor(c.deletedUsers, USERS_PAGE),
        groups: pagesFor(c.groups, GROUPS_PAGE),
        members: groups.reduce((n, g) => n + pagesFor(dir.membersOf(g.id).length, MEMBERS_PAGE), 0),
      };
    },
    throttleOnce: (resource) => fake.addFault({ endpoint: resource, kind: '429', page: 2, showDeleted: false, retryAfterSeconds: 1 }),
    // Google's quota answer: 403 with reason userRateLimitExceeded (Directory API limits page).
    throttleForever: (resource) => fake.addFault({ endpoint: resource, kind: 'userRateLimitExceeded', times: Infinity }),
    failPersistently: (resource, page) => fake.addFault({ endpoint: resource, kind: '500', page, showDeleted: false, times: Infinity }),
    inject: (listing, page, fault, times) =>
      fake.addFault({ endpoint: listing, page, showDeleted: false, times, kind: fault, ...(fault === '429' ? { retryAfterSeconds: 0 } : {}) }),
    clearFaults: () => void fake.faults.splice(0),
    pagesServed: (listing) => Math.max(0, ...pagesByPath(listing)),
    faultsMet: () => fake.requests.filter((r) => r.endpoint !== 'token' && r.status !== 200).length,
    setLatency: (ms) => void (fake.latencyMs = ms),
    maxInFlight: () => fake.maxConcurrent,
    denyGroupReads: () => void (fake.permissions.groups = false),
    close: () => fake.close(),
  };
  natives.set(contractFake, fake);
  return contractFake;
}

export const googleAdapter: ContractAdapter = {
  kind: 'google',
  customAttributeExpression: 'customSchemas.HR.costCenter',
  start,
  pageSizes: { users: USERS_PAGE, groups: GROUPS_PAGE, members: MEMBERS_PAGE },
  memberListing: 'per-group',
  userStates: [
    { state: 'active', active: true, status: 'active' },
    { state: 'suspended', active: false, status: 'suspended' },
    // An archived user (Archived User licence) cannot sign in either.
    { state: 'archived', active: false, status: 'archived' },
    { state: 'suspended+archived', active: false, status: 'archived' },
  ],
  defaultEmail: 'login', // the common email is primaryEmail (IDP-NOTES, "Common model")
  alternateMapping: { userName: `customSchemas.${SCHEMA}.login`, email: 'recoveryEmail', displayName: 'name.displayName' },
  nesting: {
    supported: true,
    cycles: 'refused-by-idp',
    source: 'members.insert: "the API returns an error for cycles in group memberships" (developers.google.com/admin-sdk/directory/v1/guides/manage-group-members)',
  },
  fetchUserGroups: 'direct', // groups.list?userKey= lists the groups the user is a direct member of
  deletions: [
    // users.list?showDeleted=true lists users deleted in the last 20 days.
    { name: 'deleted (listed by showDeleted)', apply: (f, id) => native(f).directory.deleteUser(id), seenIn: 'full', outcome: { seen: 'removed', reason: 'deleted' } },
  ],
  groupDeletionInDelta: { reported: false, source: 'no delta: every run is a full listing' },
  incremental: {
    supported: false,
    source: 'No delta for users or groups in the Directory API (users.watch needs a public HTTPS receiver and covers users only): IDP-NOTES',
  },
};
