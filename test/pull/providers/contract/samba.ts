/**
 * Active Directory in the end-to-end scenarios (./scenario.ts): a real Samba
 * AD DC (test/support/samba-ad.ts) read by the ldap provider's
 * active-directory flavor. The scenario's words are synchronous, so they are
 * ldap-utils commands (ldapmodify, ldapsearch) run to completion, as in
 * ./ldap.ts. One DC per host: this scenario waits for the host lock like
 * every Samba test file.
 */
import { existsSync } from 'node:fs';
import { formatObjectGuid } from '../../../../src/pull/providers/ldap/active-directory/guid.js';
import { startSambaAd } from '../../../support/samba-ad.js';
import { UAC_ACCOUNTDISABLE, UAC_NORMAL_ACCOUNT, UAC_PASSWD_NOTREQD } from '../../../support/samba-ad-seed.js';
import { startDroppingProxy } from '../../../support/slapd.js';
import { ldifDirectory } from './ldif-directory.js';
import type { ScenarioIdp } from './scenario.js';

const DOMAIN = 'roster.test';
const ENABLED = UAC_NORMAL_ACCOUNT | UAC_PASSWD_NOTREQD;

export async function startSambaScenario(): Promise<ScenarioIdp> {
  if (!existsSync('/usr/bin/ldapmodify')) throw new Error('ldapmodify is missing: the Samba AD scenarios need ldap-utils (apt-get install -y ldap-utils)');
  const dc = await startSambaAd();
  const proxy = await startDroppingProxy(389);
  // Under an OU: Samba's own accounts (Administrator, krbtgt...) stay out of the scenario.
  const base = `OU=Scenario,${dc.baseDn}`;
  const auth = ['-x', '-H', dc.url, '-D', dc.adminDn, '-w', dc.adminPassword];
  const { ldif, add, modify, remove, dnOf } = ldifDirectory(auth, (search) => {
    const found = /^objectGUID:: (\S+)$/m.exec(search('objectGUID'))?.[1];
    if (!found) throw new Error('no objectGUID for an entry just added');
    return formatObjectGuid(Buffer.from(found, 'base64'));
  });

  ldif([`dn: ${base}`, 'changetype: add', 'objectClass: organizationalUnit', 'ou: Scenario', ''].join('\n'));
  return {
    kind: 'ldap',
    // Through the proxy, so that a listing can fail; 127.0.0.1 is trusted in the test config, and this DC has no TLS.
    settings: { url: `ldap://127.0.0.1:${proxy.port}/`, bindDn: dc.adminDn, bindPassword: dc.adminPassword, baseDn: base, flavor: 'active-directory', startTls: false },
    addUser: (login) =>
      add(`CN=${login},${base}`, [
        'objectClass: user', `sAMAccountName: ${login}`, `userPrincipalName: ${login}@${DOMAIN}`, `userAccountControl: ${ENABLED}`,
        `givenName: ${login}`, 'sn: Test', `displayName: ${login}`, `mail: ${login}@${DOMAIN}`,
      ]),
    rename: (id, displayName) => modify(id, 'replace', 'displayName', displayName),
    disable: (id) => modify(id, 'replace', 'userAccountControl', String(ENABLED | UAC_ACCOUNTDISABLE)),
    enable: (id) => modify(id, 'replace', 'userAccountControl', String(ENABLED)),
    hardDelete: (id) => remove(id),
    // A delta reads the tombstone.
    hardDeleteNeedsFull: false,
    addGroup: (name) => add(`CN=${name},${base}`, ['objectClass: group', `sAMAccountName: ${name.replace(/\s+/g, '-')}`]),
    // A member DN that names a group is a nested group.
    addMember: (groupId, memberId) => modify(groupId, 'add', 'member', dnOf(memberId)),
    removeMember: (groupId, memberId) => modify(groupId, 'delete', 'member', dnOf(memberId)),
    // The group listings' filter names the group class; the user listing's does not.
    failGroupListing: () => {
      proxy.pattern = Buffer.from('group');
    },
    clearFaults: () => {
      proxy.pattern = null;
    },
    close: async () => {
      await proxy.close();
      await dc.stop();
    },
  };
}
