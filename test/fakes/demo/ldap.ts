/**
 * The demo's OpenLDAP sample: a throwaway slapd (test/support/slapd.ts, temp
 * folder, a port from the OS, loopback only) loaded with one slapadd of a
 * generated LDIF. Unlike the HTTP fakes it needs a program on the host, so the
 * demo leaves it out, with one line saying so, where slapd is not installed.
 *
 * A fresh slapd gives every entry a new entryUUID, the provider's external id:
 * then a second demo on the same data folder would see every user deleted and
 * created again. The LDIF sets entryUUID itself, derived from the DN (slapadd
 * keeps it), so the same size gives the same ids on every start, as the other
 * fakes' seeded generators do.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { BASE_DN, SLAPD, startSlapd } from '../../support/slapd.js';

/** Where the demo looks for slapd; tests point it at a missing file to see the demo without it. */
export const demoSlapdPath = (env: NodeJS.ProcessEnv): string => env.ROSTER_DEMO_SLAPD || SLAPD;

export const slapdInstalled = (binary: string): boolean => existsSync(binary);

/** The demo's read-only account: Roster binds as it, not as the root DN, as a real deployment should. */
const SERVICE_DN = `cn=roster-sync,${BASE_DN}`;
const SERVICE_PW = 'roster-demo-sync';

/** ppolicy's permanent lock (no pwdLockoutDuration): the provider reads its presence as inactive. */
const LOCKED_FOREVER = '000001010000Z';

const GIVEN = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Ken', 'Radia', 'Dennis', 'Margaret', 'Linus', 'Hedy'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Allen', 'Thompson', 'Perlman', 'Ritchie', 'Hamilton'];

export interface LdapSampleUser {
  uid: string;
  given: string;
  family: string;
  dn: string;
  locked: boolean;
  /** Indexes of the groups the user is a direct member of. */
  groups: number[];
}

export interface LdapSample {
  users: LdapSampleUser[];
  /** `Group 0` …; Group 1 has Group 2 as a member (the nested group). */
  groupNames: string[];
  ldif: string;
}

/** The group mapped to the demo role; its nested group's members get the role through it. */
export const LDAP_MAPPED_GROUP = 'Group 1';
const NESTED_GROUP = 2;

/** A name-based UUID (RFC 9562 §5.5, version 5 layout) from the DN: stable across runs and machines. */
function uuidFor(dn: string): string {
  const h = createHash('sha1').update(`roster-demo:${dn.toLowerCase()}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function entry(dn: string, attributes: Array<[string, string]>): string {
  return [`dn: ${dn}`, ...attributes.map(([k, v]) => `${k}: ${v}`), ''].join('\n');
}

/**
 * `users` people under ou=people, every 25th locked; `groups` groupOfNames
 * under ou=groups, each user a direct member of 3 groups spread across them
 * (about users × 3 memberships, as demoSize asks of the others).
 */
export function ldapSample(size: { users: number; groups: number }): LdapSample {
  const groupCount = Math.max(NESTED_GROUP + 1, size.groups);
  const groupNames = Array.from({ length: groupCount }, (_, g) => `Group ${g}`);
  const groupDn = (g: number) => `cn=${groupNames[g]},ou=groups,${BASE_DN}`;
  // Three distinct groups per user: 0 < step < 2·step < groupCount.
  const step = Math.max(1, Math.floor(groupCount / 3));
  const users: LdapSampleUser[] = [];
  for (let i = 0; i < size.users; i++) {
    const given = GIVEN[i % GIVEN.length]!;
    const family = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]!;
    const uid = `${given}.${family}.${i}`.toLowerCase();
    users.push({ uid, given, family, dn: `uid=${uid},ou=people,${BASE_DN}`, locked: i % 25 === 24, groups: [0, 1, 2].map((k) => (i + k * step) % groupCount) });
  }
  const members: string[][] = groupNames.map(() => []);
  for (const u of users) for (const g of u.groups) members[g]!.push(u.dn);
  members[1]!.push(groupDn(NESTED_GROUP));

  const ldif = [
    entry(SERVICE_DN, [['objectClass', 'applicationProcess'], ['objectClass', 'simpleSecurityObject'], ['cn', 'roster-sync'], ['userPassword', SERVICE_PW]]),
    ...users.map((u, i) =>
      entry(u.dn, [
        ['objectClass', 'inetOrgPerson'],
        ['uid', u.uid],
        ['cn', `${u.given} ${u.family} ${i}`],
        ['givenName', u.given],
        ['sn', u.family],
        ['mail', `${u.uid}@ldap.example`],
        ['entryUUID', uuidFor(u.dn)],
        ...(u.locked ? [['pwdAccountLockedTime', LOCKED_FOREVER] as [string, string]] : []),
      ]),
    ),
    ...groupNames.map((name, g) =>
      entry(groupDn(g), [
        ['objectClass', 'groupOfNames'],
        ['cn', name],
        // groupOfNames must have a member (RFC 4519 §3.5): a group nobody landed in (tiny --users) names the suffix, which the provider leaves out.
        ...(members[g]!.length ? members[g]! : [BASE_DN]).map((dn): [string, string] => ['member', dn]),
        ['entryUUID', uuidFor(groupDn(g))],
      ]),
    ),
  ].join('\n');
  return { users, groupNames, ldif };
}

export interface StartedLdapSample {
  url: string;
  /** Settings and secrets for connection.create / connection.update. */
  settings: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startLdapSample(size: { users: number; groups: number }, binary: string): Promise<StartedLdapSample> {
  const slapd = await startSlapd({ preload: { text: ldapSample(size).ldif }, binary });
  return {
    url: slapd.url,
    settings: {
      url: slapd.url,
      baseDn: slapd.baseDn,
      bindDn: SERVICE_DN,
      bindPassword: SERVICE_PW,
      flavor: 'openldap',
      // Plain ldap:// on loopback, which the demo's ROSTER_TRUSTED_HOSTS allows; a real server wants StartTLS or ldaps://.
      startTls: false,
      inactiveAttribute: 'pwdAccountLockedTime',
    },
    close: () => slapd.stop(),
  };
}
