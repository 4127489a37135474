/**
 * OpenLDAP for the ldap contract suite: a real slapd (test/support/slapd.ts,
 * syncprov for contextCSN, ppolicy for the lock, refint so a renamed or moved
 * member's DN follows in its groups), changed the way an administrator does
 * it: modifyDN for renames and moves, ppolicy's pwdAccountLockedTime for a
 * disabled account (000001010000Z locks until removed), groupOfNames members.
 */
import pLimit from 'p-limit';
import { startCuttingProxy } from '../../../../support/cutting-proxy.js';
import { startSlapd } from '../../../../support/slapd.js';
import { buildProvider, contractPerson, type LdapServer } from './server.js';

/** groupOfNames must have a member (RFC 4519 §3.5): every group also names this entry, which is nobody. */
const placeholder = (base: string) => `cn=placeholder,${base}`;

export async function startSlapdServer(): Promise<LdapServer> {
  const slapd = await startSlapd();
  const proxy = await startCuttingProxy(slapd.port);
  const base = `ou=contract,${slapd.baseDn}`;
  const bigBase = `ou=big,${slapd.baseDn}`;
  const dns = new Map<string, string>();
  const dnOf = (id: string) => {
    const dn = dns.get(id);
    if (!dn) throw new Error(`no entry with id ${id} in the contract`);
    return dn;
  };
  const added = async (dn: string, attributes: Record<string, string | string[]>) => {
    await slapd.add(dn, attributes);
    const id = await slapd.uuidOf(dn);
    dns.set(id, dn);
    return id;
  };
  const moveTo = async (id: string, newDn: string) => {
    await slapd.moveTo(dnOf(id), newDn);
    dns.set(id, newDn);
  };
  const person = (name: string) => {
    const p = contractPerson(name);
    return { objectClass: 'inetOrgPerson', uid: name, cn: p.displayName!, sn: p.familyName!, givenName: p.givenName!, mail: p.email! };
  };

  for (const dn of [base, bigBase, `ou=people,${base}`, `ou=staff,${base}`, `ou=groups,${base}`]) {
    await slapd.add(dn, { objectClass: 'organizationalUnit', ou: /^ou=([^,]+)/.exec(dn)![1]! });
  }
  // The big group: 1,600 members, a few adds in flight (slapd takes each in about a millisecond).
  const size = 1600;
  const limit = pLimit(8);
  const memberDns = await Promise.all(Array.from({ length: size }, (_, i) => limit(async () => {
    const dn = `uid=m${String(i + 1).padStart(4, '0')},${bigBase}`;
    await slapd.add(dn, person(`m${String(i + 1).padStart(4, '0')}`));
    return dn;
  })));
  const bigId = await added(`cn=everyone,${bigBase}`, { objectClass: 'groupOfNames', cn: 'everyone', member: memberDns });

  return {
    flavor: 'openldap',
    baseDn: base,
    connect: ({ scope = 'contract', throughProxy = false, settings = {}, password = slapd.rootPw } = {}) =>
      buildProvider({
        // 127.0.0.1 is trusted in the test config, and this slapd has no TLS.
        url: throughProxy ? `ldap://127.0.0.1:${proxy.port}/` : slapd.url,
        bindDn: slapd.rootDn,
        baseDn: scope === 'big' ? bigBase : base,
        startTls: false,
        inactiveAttribute: 'pwdAccountLockedTime',
        ...settings,
      }, password),
    addUser: (name) => added(`uid=${name},ou=people,${base}`, person(name)),
    addGroup: (name, memberIds) => added(`cn=${name},ou=groups,${base}`, { objectClass: 'groupOfNames', cn: name, member: [placeholder(base), ...memberIds.map(dnOf)] }),
    async rename(id, newName) {
      const [, ...parent] = dnOf(id).split(',');
      await moveTo(id, [`uid=${newName}`, ...parent].join(','));
      await slapd.modify(dnOf(id), [{ op: 'replace', attr: 'cn', values: [contractPerson(newName).displayName!] }]);
    },
    async move(id) {
      const [rdn] = dnOf(id).split(',');
      await moveTo(id, `${rdn},ou=staff,${base}`);
    },
    disable: (id) => slapd.modify(dnOf(id), [{ op: 'replace', attr: 'pwdAccountLockedTime', values: ['000001010000Z'] }]),
    enable: (id) => slapd.modify(dnOf(id), [{ op: 'delete', attr: 'pwdAccountLockedTime', values: [] }]),
    async remove(id) {
      await slapd.del(dnOf(id));
      dns.delete(id);
    },
    addMember: (groupId, memberId) => slapd.modify(dnOf(groupId), [{ op: 'add', attr: 'member', values: [dnOf(memberId)] }]),
    removeMember: (groupId, memberId) => slapd.modify(dnOf(groupId), [{ op: 'delete', attr: 'member', values: [dnOf(memberId)] }]),
    bigGroup: { id: bigId, size },
    // The user filter, (objectClass=inetOrgPerson), is in every page request of a user listing and in no other.
    dropUserListingAt: (nth) => proxy.dropAt('inetOrgPerson', nth),
    // A server restored from a backup taken before the cursor: its contextCSN is behind the cursor's.
    // A cursor from the far future stands for it (CSNs are timestamps, compared as strings).
    restored: (cursor) => ({ ...(cursor as object), watermark: { attribute: 'entryCSN', value: '29991231235959.999999Z#000000#000#000000' } }),
    expected: {
      userName: (name) => name,
      // The uid is the RDN: modifyDN replaces it.
      userNameAfterRename: (_name, newName) => newName,
      disabledStatus: 'pwdAccountLockedTime',
      lookupGroups: 'direct',
      restoreWarning: /contextCSN .* is behind the cursor's .*restored from a backup.*full snapshot/,
    },
    async stop() {
      await proxy.close();
      await slapd.stop();
    },
  };
}
