/**
 * The fake IdP of the sync benchmark, in its own process so that its memory
 * (the Google fake alone holds ~266 MB at 100k users) is not counted in the
 * peak RSS of the Roster process. Driven over the IPC channel by run.ts:
 *
 *   { cmd: 'start', provider, users, groups, memberships } → { settings, minimumRequests, minimumDetail? }
 *   { cmd: 'change', fraction }                            → { changed }
 *   { cmd: 'served' }                                      → { requests } (served since the last call)
 *   { cmd: 'stop' }
 *
 * The Entra fake speaks HTTPS, and ldap's slapd StartTLS, with the CA and
 * certificate whose folder is ROSTER_TEST_TLS_DIR.
 */
import path from 'node:path';
import { FakeEntra, generateDirectory as generateEntra } from '../../test/fakes/entra/index.js';
import { createLargeGoogleDirectory, startFakeGoogle, type FakeGoogleServer } from '../../test/fakes/google/index.js';
import { minimumRequests as googleMinimum } from '../../test/fakes/google/harness.js';
import { generateDirectory as generateOkta, startFakeOkta, type FakeOkta } from '../../test/fakes/okta/index.js';
import { generateRealm, startFakeKeycloak } from '../../test/fakes/keycloak/index.js';
import { generateInstance, startLargeFakeZitadel } from '../../test/fakes/zitadel/index.js';
import { generateOrg, startFakeJumpCloud } from '../../test/fakes/jumpcloud/index.js';
import { TLS_DIR_ENV } from '../../test/fakes/tls.js';
import { startLdapDirectory } from './ldap.js';
import type { FakeRequest, FakeResponse, ProviderName } from './protocol.js';

interface Running {
  settings: Record<string, unknown>;
  minimumRequests: number;
  minimumDetail?: Record<string, number>;
  /** Requests served so far. */
  served(): number | Promise<number>;
  /** Change the display name of every `step`-th user. */
  change(step: number, round: number): number;
  close(): Promise<void>;
}

const SEED = 7;
const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
/** Pages of a listing with no total, which ends on a short page: a full last page costs one more (empty) request. */
const pagesToShortPage = (n: number, size: number) => Math.floor(n / size) + 1;

async function startEntra(users: number, groups: number, memberships: number): Promise<Running> {
  const fake = await FakeEntra.start({ directory: generateEntra({ users, groups, memberships, seed: SEED }) });
  const dir = fake.directory;
  const conn = fake.connection();
  // One token request, users/delta pages of 200 objects, groups/delta pages of 500 member links
  // (and of 200 groups at most) — the fake pages as Graph does.
  let links = 0;
  for (const g of dir.groups) links += g.members.size;
  const groupPages = Math.max(pages(dir.liveGroupCount, 200), pages(links, 500));
  return {
    settings: { ...conn.settings, ...conn.secrets },
    minimumRequests: 1 + pages(dir.liveUserCount, 200) + groupPages,
    served: () => fake.requests.length,
    change(step, round) {
      let n = 0;
      for (let i = 0; i < dir.users.length; i += step, n++) dir.updateUser(dir.users[i]!.id, { displayName: `Renamed ${round} ${i}` });
      return n;
    },
    close: () => fake.close(),
  };
}

async function startOkta(users: number, groups: number, memberships: number): Promise<Running> {
  const fake: FakeOkta = await startFakeOkta({ directory: generateOkta({ users, groups, memberships, seed: SEED }) });
  const dir = fake.directory;
  // ⌈N/200⌉ user pages + ⌈(G+1)/1000⌉ group pages (Everyone included) + per group ⌈members/1000⌉, at least one.
  let members = 0;
  for (const g of dir.groups.values()) members += pages(dir.memberIds(g).length, 1000);
  return {
    settings: { orgUrl: fake.url, apiToken: 'test-token' },
    minimumRequests: pages(dir.users.size, 200) + pages(dir.groups.size, 1000) + members,
    served: () => fake.requests.length,
    change(step, round) {
      let n = 0;
      for (let i = 0; i < dir.userOrder.length; i += step, n++) dir.updateUser(dir.userOrder[i]!, { displayName: `Renamed ${round} ${i}` });
      return n;
    },
    close: () => fake.close(),
  };
}

async function startGoogle(users: number, groups: number, memberships: number): Promise<Running> {
  const fake: FakeGoogleServer = await startFakeGoogle({ directory: createLargeGoogleDirectory({ users, groups, memberships, seed: SEED }) });
  const dir = fake.directory;
  const admin = `admin@${dir.domain}`;
  dir.addUser({ primaryEmail: admin, isAdmin: true });
  const minimum = googleMinimum(fake);
  return {
    settings: { subject: admin, rootUrl: fake.rootUrl, tokenUrl: fake.tokenUrl, serviceAccountKey: fake.createServiceAccount() },
    minimumRequests: minimum,
    served: () => fake.requests.length,
    change(step, round) {
      let n = 0;
      for (let i = 0; i < users; i += step, n++) {
        dir.updateUser(`1${String(i).padStart(20, '0')}`, { name: { givenName: 'Renamed', familyName: `R${round}x${i}`, fullName: `Renamed R${round}x${i}` } });
      }
      return n;
    },
    close: () => fake.close(),
  };
}

/** A real slapd, not a fake (./ldap.ts); `served` is already a difference, kept as a running total here. */
async function startLdap(users: number, groups: number, memberships: number): Promise<Running> {
  const dir = process.env[TLS_DIR_ENV]!;
  const tls = { dir, caPath: path.join(dir, 'ca.pem'), certPath: path.join(dir, 'server.pem'), keyPath: path.join(dir, 'server.key') };
  const ldap = await startLdapDirectory(users, groups, memberships, SEED, tls);
  process.stderr.write(`[bench ldap] slapd loaded by slapadd and started in ${ldap.seedMs} ms\n`);
  let total = 0;
  return {
    settings: ldap.settings,
    minimumRequests: ldap.minimumRequests,
    served: async () => (total += await ldap.served()),
    change: (step, round) => ldap.change(step, round),
    close: () => ldap.close(),
  };
}

/** The provider's cap on `pageSize` (src/pull/providers/keycloak/settings.ts): Keycloak itself sets no maximum on `max`. */
const KEYCLOAK_PAGE = 1000;

async function startKeycloak(users: number, groups: number, memberships: number): Promise<Running> {
  const { realm, users: list, groups: groupList } = generateRealm({ users, groups, memberships, seed: SEED });
  const fake = await startFakeKeycloak({ realm });
  // Keycloak's listings carry no totals: each ends on a short page. Groups are top-level (no /children).
  let members = 0;
  for (const g of groupList) members += pagesToShortPage(g.members.size, KEYCLOAK_PAGE);
  const detail = {
    token: 1,
    // The newest admin event, read before the listing: where the next delta starts.
    adminEventsMark: 1,
    users: pagesToShortPage(realm.users.size, KEYCLOAK_PAGE),
    groups: pagesToShortPage(groupList.length, KEYCLOAK_PAGE),
    groupMembers: members,
  };
  return {
    settings: { baseUrl: fake.url, realm: realm.name, clientId: fake.client.clientId, clientSecret: fake.client.secret, pageSize: KEYCLOAK_PAGE },
    minimumRequests: Object.values(detail).reduce((a, b) => a + b, 0),
    minimumDetail: detail,
    served: () => fake.requests.length,
    change(step, round) {
      let n = 0;
      for (let i = 0; i < list.length; i += step, n++) realm.updateUser(list[i]!.id, { firstName: 'Renamed', lastName: `R${round}x${i}` });
      return n;
    },
    close: () => fake.close(),
  };
}

/** Zitadel's cap on `limit` for list calls (its DefaultLimits; the provider's fixed page size, src/pull/providers/zitadel/run.ts). */
const ZITADEL_PAGE = 1000;

async function startZitadel(users: number, groups: number, memberships: number): Promise<Running> {
  const fake = await startLargeFakeZitadel();
  const { users: list, project, grants } = generateInstance({ users, groups, memberships, seed: SEED }, fake.directory);
  // Listings carry totalResult. The groups are the project's roles; an authorization (user grant) carries
  // all the role keys a user holds in the project, so the project's authorizations are every membership.
  const detail = {
    users: pages(list.length, ZITADEL_PAGE),
    projects: 1,
    roles: pages(project.roles.size, ZITADEL_PAGE),
    authorizations: pages(grants.length, ZITADEL_PAGE),
  };
  // For comparison, what one ListAuthorizations per role (filtered by its key) costs; the provider lists per project.
  const perRole = new Map<string, number>();
  for (const g of grants) for (const r of g.roles) perRole.set(r, (perRole.get(r) ?? 0) + 1);
  let authorizationsByRole = 0;
  for (const key of project.roles.keys()) authorizationsByRole += pages(perRole.get(key) ?? 0, ZITADEL_PAGE);
  return {
    settings: { baseUrl: fake.url, personalAccessToken: 'test-pat' },
    minimumRequests: Object.values(detail).reduce((a, b) => a + b, 0),
    minimumDetail: { ...detail, authorizationsListedPerRole: authorizationsByRole },
    served: () => fake.requests.length,
    change(step, round) {
      let n = 0;
      for (let i = 0; i < list.length; i += step, n++) fake.directory.updateUser(list[i]!.userId, { familyName: `R${round}x${i}`, displayName: `Renamed R${round}x${i}` });
      return n;
    },
    close: () => fake.close(),
  };
}

/** JumpCloud's cap on `limit` for v1 and v2 listings. */
const JUMPCLOUD_PAGE = 100;

async function startJumpCloud(users: number, groups: number, memberships: number): Promise<Running> {
  const { org, users: list, groups: groupList } = generateOrg({ users, groups, memberships, seed: SEED });
  const fake = await startFakeJumpCloud({ org });
  // Users carry totalCount; the v2 group and member listings are bare arrays ended by a short page.
  let members = 0;
  for (const g of groupList) members += pagesToShortPage(g.members.size, JUMPCLOUD_PAGE);
  const detail = { users: pages(list.length, JUMPCLOUD_PAGE), groups: pagesToShortPage(groupList.length, JUMPCLOUD_PAGE), groupMembers: members };
  return {
    settings: { baseUrl: fake.url, insightsUrl: fake.insightsUrl, apiKey: 'test-key', pageSize: JUMPCLOUD_PAGE },
    minimumRequests: Object.values(detail).reduce((a, b) => a + b, 0),
    minimumDetail: detail,
    served: () => fake.requests.length,
    change(step, round) {
      let n = 0;
      for (let i = 0; i < list.length; i += step, n++) org.updateUser(list[i]!._id, { lastname: `R${round}x${i}`, displayname: `Renamed R${round}x${i}` });
      return n;
    },
    close: () => fake.close(),
  };
}

const starters: Record<ProviderName, typeof startEntra> = {
  entra: startEntra,
  okta: startOkta,
  google: startGoogle,
  ldap: startLdap,
  keycloak: startKeycloak,
  zitadel: startZitadel,
  jumpcloud: startJumpCloud,
};

let running: Running | undefined;
let servedBefore = 0;
let round = 0;
const reply = (r: FakeResponse) => process.send!(r);

process.on('message', (msg: FakeRequest) => {
  void (async () => {
    try {
      if (msg.cmd === 'start') {
        const started = Date.now();
        running = await starters[msg.provider](msg.users, msg.groups, msg.memberships);
        reply({ ok: true, settings: running.settings, minimumRequests: running.minimumRequests, ...(running.minimumDetail ? { minimumDetail: running.minimumDetail } : {}), buildMs: Date.now() - started });
      } else if (msg.cmd === 'change') {
        reply({ ok: true, changed: running!.change(Math.round(1 / msg.fraction), ++round) });
      } else if (msg.cmd === 'served') {
        const now = await running!.served();
        reply({ ok: true, requests: now - servedBefore });
        servedBefore = now;
      } else if (msg.cmd === 'stop') {
        await running?.close();
        process.exit(0);
      }
    } catch (err) {
      reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  })();
});
