/**
 * Active Directory for the ldap contract suite: a real Samba AD DC
 * (test/support/samba-ad.ts, one per host, behind its lock) read by the
 * active-directory flavor, changed the way ADUC does it: a rename gives a new
 * CN and display name (the userPrincipalName stays), a move keeps the CN,
 * the ACCOUNTDISABLE bit disables, a delete leaves a tombstone. Samba always
 * listens on 389, so the listing-breaking proxy sits in front of that port.
 */
import { Attribute, Change, type Client } from 'ldapts';
import { formatObjectGuid } from '../../../../../src/pull/providers/ldap/active-directory/guid.js';
import { startCuttingProxy } from '../../../../support/cutting-proxy.js';
import { startSambaAd } from '../../../../support/samba-ad.js';
import { addMembers, createBigGroup, createGroup, createOu, deleteEntry, removeMembers, renameEntry, setDisabled, UAC_NORMAL_ACCOUNT, UAC_PASSWD_NOTREQD } from '../../../../support/samba-ad-seed.js';
import { buildProvider, contractPerson, type LdapServer } from './server.js';

export async function startSambaServer(): Promise<LdapServer> {
  const dc = await startSambaAd();
  let admin: Client | undefined;
  try {
    admin = await dc.adminClient();
    return await contractOn(dc, admin);
  } catch (error) {
    await admin?.unbind().catch(() => undefined);
    await dc.stop();
    throw error;
  }
}

async function contractOn(dc: Awaited<ReturnType<typeof startSambaAd>>, admin: Client): Promise<LdapServer> {
  const proxy = await startCuttingProxy(389);
  // Under OUs: Samba's own accounts (Administrator, krbtgt...) stay out, and tombstones are matched to the base by lastKnownParent.
  const base = await createOu(admin, dc.baseDn, 'Contract');
  for (const ou of ['People', 'Staff', 'Groups']) await createOu(admin, base, ou);
  const bigBase = await createOu(admin, dc.baseDn, 'Big');
  const dns = new Map<string, string>();
  const dnOf = (id: string) => {
    const dn = dns.get(id);
    if (!dn) throw new Error(`no entry with id ${id} in the contract`);
    return dn;
  };
  const guidOf = async (dn: string) => {
    const { searchEntries } = await admin.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
    const id = formatObjectGuid(searchEntries[0]!.objectGUID as Buffer);
    dns.set(id, dn);
    return id;
  };
  const moveTo = async (id: string, to: { cn?: string; parentDn?: string }) => {
    dns.set(id, await renameEntry(admin, dnOf(id), to));
  };

  const seeded = Date.now();
  const big = await createBigGroup(admin, dc.baseDn, { name: 'everyone', count: 1600, prefix: 'm', parentDn: bigBase });
  const bigId = await guidOf(big.groupDn);
  process.stderr.write(`samba AD DC: started in ${dc.startMs} ms; 1,600 users and their group seeded in ${Date.now() - seeded} ms\n`);

  return {
    flavor: 'active-directory',
    baseDn: base,
    connect: ({ scope = 'contract', throughProxy = false, settings = {}, password = dc.adminPassword } = {}) =>
      buildProvider({
        // 127.0.0.1 is trusted in the test config, and this DC has no TLS.
        url: throughProxy ? `ldap://127.0.0.1:${proxy.port}/` : dc.url,
        bindDn: dc.adminDn,
        baseDn: scope === 'big' ? bigBase : base,
        flavor: 'active-directory',
        startTls: false,
        ...settings,
      }, password),
    async addUser(name) {
      const p = contractPerson(name);
      const dn = `CN=${name},OU=People,${base}`;
      await admin.add(dn, {
        objectClass: ['top', 'person', 'organizationalPerson', 'user'],
        sAMAccountName: name,
        userPrincipalName: `${name}@roster.test`,
        userAccountControl: String(UAC_NORMAL_ACCOUNT | UAC_PASSWD_NOTREQD),
        givenName: p.givenName!, sn: p.familyName!, displayName: p.displayName!, mail: p.email!,
      });
      return guidOf(dn);
    },
    async addGroup(name, memberIds) {
      const dn = await createGroup(admin, dc.baseDn, { name, parentDn: `OU=Groups,${base}` });
      if (memberIds.length) await addMembers(admin, dn, memberIds.map(dnOf));
      return guidOf(dn);
    },
    async rename(id, newName) {
      await moveTo(id, { cn: newName });
      await admin.modify(dnOf(id), new Change({ operation: 'replace', modification: new Attribute({ type: 'displayName', values: [contractPerson(newName).displayName!] }) }));
    },
    move: (id) => moveTo(id, { parentDn: `OU=Staff,${base}` }),
    disable: (id) => setDisabled(admin, dnOf(id), true),
    enable: (id) => setDisabled(admin, dnOf(id), false),
    async remove(id) {
      await deleteEntry(admin, dnOf(id));
      dns.delete(id);
    },
    addMember: (groupId, memberId) => addMembers(admin, dnOf(groupId), [dnOf(memberId)]),
    removeMember: (groupId, memberId) => removeMembers(admin, dnOf(groupId), [dnOf(memberId)]),
    bigGroup: { id: bigId, size: big.memberDns.length },
    // The user filter, (&(objectCategory=person)(objectClass=user)), is in every page request of a user listing, full or delta, and in no other.
    dropUserListingAt: (nth) => proxy.dropAt('person', nth),
    // A DC restored from backup gets a new invocationId (and reuses USNs).
    restored: (cursor) => ({ ...(cursor as object), invocationId: '00000000-0000-0000-0000-000000000001' }),
    expected: {
      userName: (name) => `${name}@roster.test`,
      // A new CN leaves the userPrincipalName as it was.
      userNameAfterRename: (name) => `${name}@roster.test`,
      disabledStatus: 'disabled',
      // The in-chain rule (LDAP_MATCHING_RULE_IN_CHAIN), which Samba supports.
      lookupGroups: 'transitive',
      restoreWarning: /invocationId changed .*restored from backup.*full snapshot/,
    },
    async stop() {
      await proxy.close();
      await admin.unbind().catch(() => undefined);
      await dc.stop();
    },
  };
}
