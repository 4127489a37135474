/**
 * LDAP in the end-to-end scenarios (./scenario.ts): a real OpenLDAP
 * (test/support/slapd.ts) read by the real provider over ldapts. The
 * scenario's words are synchronous, as the HTTP fakes are in memory; here
 * they are ldap-utils commands (ldapmodify, ldapsearch) run to completion.
 *
 * LDAP is not in ADAPTERS (the provider contract suite): that suite programs
 * an HTTP fake page by page (HTTP 500s and 429s, per-request tallies, latency,
 * members split across pages), which a real directory server has no
 * counterpart for. The LDAP provider's own contract suite is
 * test/pull/providers/ldap/contract.test.ts, against slapd and Samba AD.
 */
import { existsSync } from 'node:fs';
import { startSlapd, type Slapd } from '../../../support/slapd.js';
import { ldifDirectory } from './ldif-directory.js';
import type { ScenarioIdp } from './scenario.js';

const DOMAIN = 'roster.test';

/** groupOfNames must have a member (RFC 4519 §3.5): a new group names this entry, which is nobody. */
const PLACEHOLDER = (slapd: Slapd) => `cn=placeholder,${slapd.baseDn}`;

export async function startLdapScenario(): Promise<ScenarioIdp> {
  if (!existsSync('/usr/bin/ldapmodify')) throw new Error('ldapmodify is missing: the LDAP scenarios need ldap-utils (apt-get install -y slapd ldap-utils)');
  const slapd = await startSlapd();
  const auth = ['-x', '-H', slapd.url, '-D', slapd.rootDn, '-w', slapd.rootPw];
  const { add, modify, remove, dnOf } = ldifDirectory(auth, (search) => {
    const found = /^entryUUID: (\S+)$/m.exec(search('entryUUID'))?.[1];
    if (!found) throw new Error('no entryUUID for an entry just added');
    return found;
  });

  return {
    kind: 'ldap',
    // Through the proxy, so that a listing can fail; 127.0.0.1 is trusted in the test config, and this slapd has no TLS.
    settings: { url: slapd.faultyUrl, bindDn: slapd.rootDn, bindPassword: slapd.rootPw, baseDn: slapd.baseDn, startTls: false, inactiveAttribute: 'pwdAccountLockedTime' },
    addUser: (login) =>
      add(`uid=${login},ou=people,${slapd.baseDn}`, ['objectClass: inetOrgPerson', `uid: ${login}`, `cn: ${login}`, `givenName: ${login}`, 'sn: Test', `mail: ${login}@${DOMAIN}`]),
    rename: (id, displayName) => modify(id, 'replace', 'cn', displayName),
    // inetOrgPerson's departmentNumber (RFC 2798), which no mapping reads: only an expression brings it.
    setCustomAttribute: (id, value) => modify(id, 'replace', 'departmentNumber', value),
    customAttributeExpression: 'departmentNumber',
    // ppolicy's lock: a pwdAccountLockedTime of 000001010000Z locks for good until removed.
    disable: (id) => modify(id, 'replace', 'pwdAccountLockedTime', '000001010000Z'),
    enable: (id) => modify(id, 'delete', 'pwdAccountLockedTime'),
    hardDelete: (id) => remove(id),
    // A delta's id listing sees a deletion.
    hardDeleteNeedsFull: false,
    addGroup: (name) => add(`cn=${name},ou=groups,${slapd.baseDn}`, ['objectClass: groupOfNames', `cn: ${name}`, `member: ${PLACEHOLDER(slapd)}`]),
    // A member DN that names a group is a nested group.
    addMember: (groupId, memberId) => modify(groupId, 'add', 'member', dnOf(memberId)),
    removeMember: (groupId, memberId) => modify(groupId, 'delete', 'member', dnOf(memberId)),
    // The group listings' filter names groupOfNames; the user listing's does not.
    failGroupListing: () => slapd.failRequestsContaining('groupOfNames'),
    clearFaults: () => slapd.failRequestsContaining(null),
    close: () => slapd.stop(),
  };
}
