/**
 * The demo's sample directories, one per pull IdP, each served on loopback by
 * its fake (OpenLDAP: a real slapd, where installed). Deterministic for a given
 * size, so a second `roster demo` on the same data folder finds the same users
 * (a no-change resync) at new ports.
 */
import { FakeEntra, generateDirectory as generateEntra } from '../entra/index.js';
import { createLargeGoogleDirectory, startFakeGoogle, type FakeGoogleServer } from '../google/index.js';
import { generateDirectory as generateOkta, startFakeOkta, type FakeOkta } from '../okta/index.js';
import { LDAP_MAPPED_GROUP, slapdInstalled, startLdapSample } from './ldap.js';

export type DemoKind = 'entra' | 'okta' | 'google' | 'ldap';

export interface DemoIdp {
  kind: DemoKind;
  /** Where the fake listens (shown to the newcomer). */
  url: string;
  /** Settings and secrets for connection.create / connection.update. */
  settings: Record<string, unknown>;
  /** A group of this sample mapped to the demo role, so roles appear. */
  mappedGroup: string;
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
  return { kind: 'entra', url: fake.url, settings: { ...conn.settings, ...conn.secrets }, mappedGroup: 'Group 1', close: () => fake.close() };
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

/** Users under ou=people (every 25th locked with pwdAccountLockedTime), groupOfNames where Group 1 nests Group 2. */
async function ldap(size: Size, slapd: string): Promise<DemoIdp> {
  const sample = await startLdapSample(size, slapd);
  return { kind: 'ldap', url: sample.url, settings: sample.settings, mappedGroup: LDAP_MAPPED_GROUP, close: sample.close };
}

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
  const started = await Promise.allSettled([entra(size), okta(size), google(size), ...(withLdap ? [ldap(size, slapd)] : [])]);
  const idps = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(idps.map((i) => i.close()));
    throw failed.reason;
  }
  const leftOut = withLdap ? undefined : `the OpenLDAP sample was left out: ${slapd} is not installed (install \`slapd ldap-utils\` to see it)`;
  return { idps, leftOut };
}
