/**
 * The demo's sample directories, one per pull IdP (Entra, Okta, Google,
 * Keycloak, Zitadel, JumpCloud, OpenLDAP), each served on loopback by its
 * fake (OpenLDAP: a real slapd, where installed). Deterministic for a given
 * size, so a second `roster demo` on the same data folder finds the same users
 * (a no-change resync) at new ports.
 */
import { FakeEntra, generateDirectory as generateEntra } from '../entra/index.js';
import { createLargeGoogleDirectory, startFakeGoogle, type FakeGoogleServer } from '../google/index.js';
import { generateDirectory as generateOkta, startFakeOkta, type FakeOkta } from '../okta/index.js';
import { JUMPCLOUD_MAPPED_GROUP, startJumpCloudSample } from './jumpcloud.js';
import { KEYCLOAK_MAPPED_GROUP, KEYCLOAK_NESTED_GROUP, startKeycloakSample } from './keycloak.js';
import { LDAP_MAPPED_GROUP, LDAP_NESTED_GROUP, slapdInstalled, startLdapSample } from './ldap.js';
import type { StartedSample } from './people.js';
import { startZitadelSample, ZITADEL_MAPPED_GROUP } from './zitadel.js';

export type DemoKind = 'entra' | 'okta' | 'google' | 'keycloak' | 'zitadel' | 'jumpcloud' | 'ldap';

export interface DemoIdp {
  kind: DemoKind;
  /** Where the fake listens (shown to the newcomer). */
  url: string;
  /** Settings and secrets for connection.create / connection.update. */
  settings: Record<string, unknown>;
  /** A group of this sample mapped to the demo role, so roles appear. */
  mappedGroup: string;
  /** A group nested in the mapped one (a subgroup, in Keycloak), whose members get the role through it. */
  nestedGroup?: string;
  close(): Promise<void>;
}

interface Size {
  users: number;
  groups: number;
  memberships: number;
}

export function demoSize(users: number): Size {
  const groups = Math.max(5, Math.min(200, Math.round(users / 10)));
  return { users, groups, memberships: users * 3 };
}

/**
 * Every 25th user disabled (accountEnabled false); groups "Group 1" … with
 * every 5th group nesting the next one (Group 1 contains Group 2).
 */
async function entra(size: Size): Promise<DemoIdp> {
  const directory = generateEntra({ ...size, nestEvery: 5, disableEvery: 25, seed: 7, domain: 'contoso.example' });
  const fake = await FakeEntra.start({ directory });
  const conn = fake.connection();
  return { kind: 'entra', url: fake.url, settings: { ...conn.settings, ...conn.secrets }, mappedGroup: 'Group 1', nestedGroup: 'Group 2', close: () => fake.close() };
}

/** Okta's mix of states (about 6% SUSPENDED or DEPROVISIONED); Okta groups do not nest. */
async function okta(size: Size): Promise<DemoIdp> {
  const fake: FakeOkta = await startFakeOkta({ directory: generateOkta({ ...size, seed: 7, domain: 'okta.example' }) });
  return { kind: 'okta', url: fake.url, settings: { orgUrl: fake.url, apiToken: 'test-token' }, mappedGroup: 'Group 0 Engineering', close: () => fake.close() };
}

/** 1 user in 100 suspended, 1 in 500 archived; every 50th group nests the next; Group 0 holds the whole customer. */
async function google(size: Size): Promise<DemoIdp> {
  const directory = createLargeGoogleDirectory({ ...size, largeGroupSize: Math.max(1, Math.round(size.users / 3)), seed: 7, domain: 'google.example' });
  const subject = `admin@${directory.domain}`;
  directory.addUser({ primaryEmail: subject, isAdmin: true });
  const fake: FakeGoogleServer = await startFakeGoogle({ directory });
  return {
    kind: 'google',
    url: fake.rootUrl,
    settings: { subject, rootUrl: fake.rootUrl, tokenUrl: fake.tokenUrl, serviceAccountKey: fake.createServiceAccount() },
    mappedGroup: 'Group 10',
    close: () => fake.close(),
  };
}

/** A sample from ./people.ts's generated people (stable ids, every 25th inactive, Group 1 mapped). */
function sample(kind: DemoKind, s: StartedSample, mappedGroup: string, nestedGroup?: string): DemoIdp {
  return { kind, url: s.url, settings: s.settings, mappedGroup, ...(nestedGroup ? { nestedGroup } : {}), close: s.close };
}

/** Every 25th user enabled: false; Group 2 is a subgroup of Group 1 (./keycloak.ts). */
const keycloak = async (size: Size) => sample('keycloak', await startKeycloakSample(size), KEYCLOAK_MAPPED_GROUP, KEYCLOAK_NESTED_GROUP);

/** Every 25th user INACTIVE; the groups are the roles of project Portal, which do not nest (./zitadel.ts). */
const zitadel = async (size: Size) => sample('zitadel', await startZitadelSample(size), ZITADEL_MAPPED_GROUP);

/** Every 25th user SUSPENDED; user groups do not nest (./jumpcloud.ts). */
const jumpcloud = async (size: Size) => sample('jumpcloud', await startJumpCloudSample(size), JUMPCLOUD_MAPPED_GROUP);

/** Users under ou=people (every 25th locked with pwdAccountLockedTime), groupOfNames where Group 1 nests Group 2. */
const ldap = async (size: Size, slapd: string) => sample('ldap', await startLdapSample(size, slapd), LDAP_MAPPED_GROUP, LDAP_NESTED_GROUP);

export interface DemoIdps {
  idps: DemoIdp[];
  /** Why a sample is not among them (one line for the newcomer), when one is not. */
  leftOut: string | undefined;
}

/**
 * Starts the fakes, and the OpenLDAP sample where `slapd` (the program's path)
 * exists; if one fails to start, the others are closed again.
 */
export async function startDemoIdps(users: number, slapd: string): Promise<DemoIdps> {
  const size = demoSize(users);
  const withLdap = slapdInstalled(slapd);
  // The HTTP fakes first, in the order they are synced and shown; OpenLDAP, which may be left out, last.
  const started = await Promise.allSettled([entra(size), okta(size), google(size), keycloak(size), zitadel(size), jumpcloud(size), ...(withLdap ? [ldap(size, slapd)] : [])]);
  const idps = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(idps.map((i) => i.close()));
    throw failed.reason;
  }
  const leftOut = withLdap ? undefined : `the OpenLDAP sample was left out: ${slapd} is not installed (install \`slapd ldap-utils\` to see it)`;
  return { idps, leftOut };
}
