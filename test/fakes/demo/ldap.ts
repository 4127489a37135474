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
import { existsSync } from 'node:fs';
import { BASE_DN, SLAPD, startSlapd } from '../../support/slapd.js';
import { handleOf, MAPPED_GROUP, NESTED_GROUP, samplePeople, stableUuid } from './people.js';

/** Where the demo looks for slapd; tests point it at a missing file to see the demo without it. */
export const demoSlapdPath = (env: NodeJS.ProcessEnv): string => env.ROSTER_DEMO_SLAPD || SLAPD;

export const slapdInstalled = (binary: string): boolean => existsSync(binary);

/** The demo's read-only account: Roster binds as it, not as the root DN, as a real deployment should. */
const SERVICE_DN = `cn=roster-sync,${BASE_DN}`;
const SERVICE_PW = 'roster-demo-sync';

/** ppolicy's permanent lock (no pwdLockoutDuration): the provider reads its presence as inactive. */
const LOCKED_FOREVER = '000001010000Z';

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
export const LDAP_MAPPED_GROUP = `Group ${MAPPED_GROUP}`;
export const LDAP_NESTED_GROUP = `Group ${NESTED_GROUP}`;

function entry(dn: string, attributes: Array<[string, string]>): string {
  return [`dn: ${dn}`, ...attributes.map(([k, v]) => `${k}: ${v}`), ''].join('\n');
}

/**
 * `users` people under ou=people, every 25th locked; `groups` groupOfNames
 * under ou=groups, each user a direct member of 3 groups spread across them
 * (about users × 3 memberships, as demoSize asks of the others).
 */
export function ldapSample(size: { users: number; groups: number }): LdapSample {
  const { people, groupCount } = samplePeople(size);
  const groupNames = Array.from({ length: groupCount }, (_, g) => `Group ${g}`);
  const groupDn = (g: number) => `cn=${groupNames[g]},ou=groups,${BASE_DN}`;
  const users = people.map((p): LdapSampleUser => {
    const uid = handleOf(p);
    return { uid, given: p.given, family: p.family, dn: `uid=${uid},ou=people,${BASE_DN}`, locked: p.inactive, groups: p.groups };
  });
  const members: string[][] = groupNames.map(() => []);
  for (const u of users) for (const g of u.groups) members[g]!.push(u.dn);
  members[MAPPED_GROUP]!.push(groupDn(NESTED_GROUP));

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
        ['entryUUID', stableUuid(u.dn)],
        ...(u.locked ? [['pwdAccountLockedTime', LOCKED_FOREVER] as [string, string]] : []),
      ]),
    ),
    ...groupNames.map((name, g) =>
      entry(groupDn(g), [
        ['objectClass', 'groupOfNames'],
        ['cn', name],
        // groupOfNames must have a member (RFC 4519 §3.5): a group nobody landed in (tiny --users) names the suffix, which the provider leaves out.
        ...(members[g]!.length ? members[g]! : [BASE_DN]).map((dn): [string, string] => ['member', dn]),
        ['entryUUID', stableUuid(groupDn(g))],
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
