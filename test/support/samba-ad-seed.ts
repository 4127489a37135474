/**
 * Seeding a Samba AD DC (test/support/samba-ad.ts) over LDAP as Administrator:
 * one LDAP write is milliseconds, where each `samba-tool` run starts Python
 * (~1 s). The entries are what AD itself makes: `user` and `group` objects
 * with a sAMAccountName; AD fills in objectGUID, objectSid and the USNs.
 */
import { Attribute, Change, type Client } from 'ldapts';
import pLimit from 'p-limit';

/** userAccountControl bits (MS-ADTS 2.2.16). */
export const UAC_ACCOUNTDISABLE = 0x2;
export const UAC_PASSWD_NOTREQD = 0x20;
export const UAC_NORMAL_ACCOUNT = 0x200;
/** A global security group (MS-ADTS 2.2.12): GROUP_TYPE_ACCOUNT_GROUP | GROUP_TYPE_SECURITY_ENABLED, as a signed int. */
export const GLOBAL_SECURITY_GROUP = -2147483646;

export interface SeedUser {
  /** The sAMAccountName and the CN. */
  name: string;
  /** Default CN=Users under the base. */
  parentDn?: string;
  givenName?: string;
  sn?: string;
  mail?: string;
  disabled?: boolean;
}

/** Escape a value for use in an RDN (RFC 4514 §2.4). */
export function rdnValue(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
}

/**
 * Create a user and return its DN. It has no password (PASSWD_NOTREQD), which
 * AD allows only with that bit; setting one needs LDAPS, and reading users never does.
 */
export async function createUser(client: Client, baseDn: string, user: SeedUser): Promise<string> {
  const dn = `CN=${rdnValue(user.name)},${user.parentDn ?? `CN=Users,${baseDn}`}`;
  const uac = UAC_NORMAL_ACCOUNT | UAC_PASSWD_NOTREQD | (user.disabled ? UAC_ACCOUNTDISABLE : 0);
  const realm = baseDn.replace(/(^|,)DC=/gi, '$1').replace(/,/g, '.').toLowerCase();
  await client.add(dn, {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    sAMAccountName: user.name,
    userPrincipalName: `${user.name}@${realm}`,
    userAccountControl: String(uac),
    ...(user.givenName ? { givenName: user.givenName } : {}),
    ...(user.sn ? { sn: user.sn } : {}),
    ...(user.mail ? { mail: user.mail } : {}),
  });
  return dn;
}

/** Create many users at once (a few requests in flight; Samba serialises them anyway). */
export async function createUsers(client: Client, baseDn: string, users: SeedUser[], concurrency = 8): Promise<string[]> {
  const limit = pLimit(concurrency);
  return Promise.all(users.map((user) => limit(() => createUser(client, baseDn, user))));
}

/** Read an entry's userAccountControl as a number. */
export async function readUserAccountControl(client: Client, dn: string): Promise<number> {
  const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['userAccountControl'] });
  return Number(searchEntries[0]?.userAccountControl);
}

/** Disable or enable an account by flipping ACCOUNTDISABLE, as ADUC does. */
export async function setDisabled(client: Client, dn: string, disabled: boolean): Promise<void> {
  const uac = await readUserAccountControl(client, dn);
  const next = disabled ? uac | UAC_ACCOUNTDISABLE : uac & ~UAC_ACCOUNTDISABLE;
  await client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(next)] }) }));
}

/** Delete an entry: AD turns it into a tombstone under CN=Deleted Objects. */
export async function deleteEntry(client: Client, dn: string): Promise<void> {
  await client.del(dn);
}

/** Rename (new CN) and/or move (new parent); returns the new DN. */
export async function renameEntry(client: Client, dn: string, to: { cn?: string; parentDn?: string }): Promise<string> {
  const [rdn, ...rest] = splitDn(dn);
  const newRdn = to.cn === undefined ? rdn! : `CN=${rdnValue(to.cn)}`;
  const newDn = `${newRdn},${to.parentDn ?? rest.join(',')}`;
  await client.modifyDN(dn, newDn);
  return newDn;
}

/** Split a DN at its unescaped commas. */
function splitDn(dn: string): string[] {
  return dn.split(/(?<!\\),/);
}

/** Create an organizational unit and return its DN. */
export async function createOu(client: Client, baseDn: string, name: string): Promise<string> {
  const dn = `OU=${rdnValue(name)},${baseDn}`;
  await client.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: name });
  return dn;
}

/** Create a global security group and return its DN. */
export async function createGroup(client: Client, baseDn: string, group: { name: string; parentDn?: string; description?: string }): Promise<string> {
  const dn = `CN=${rdnValue(group.name)},${group.parentDn ?? `CN=Users,${baseDn}`}`;
  await client.add(dn, {
    objectClass: ['top', 'group'],
    sAMAccountName: group.name,
    groupType: String(GLOBAL_SECURITY_GROUP),
    ...(group.description ? { description: group.description } : {}),
  });
  return dn;
}

/**
 * Add members (users or groups: a group member nests that group), `batchSize`
 * values per modify so 1,600 members are a few requests, not 1,600.
 */
export async function addMembers(client: Client, groupDn: string, memberDns: string[], batchSize = 500): Promise<void> {
  for (let i = 0; i < memberDns.length; i += batchSize) {
    const values = memberDns.slice(i, i + batchSize);
    await client.modify(groupDn, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values }) }));
  }
}

export async function removeMembers(client: Client, groupDn: string, memberDns: string[], batchSize = 500): Promise<void> {
  for (let i = 0; i < memberDns.length; i += batchSize) {
    const values = memberDns.slice(i, i + batchSize);
    await client.modify(groupDn, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values }) }));
  }
}

/** A group with `count` new users as members (names `${prefix}0001`...): the ranged-retrieval case. */
export async function createBigGroup(client: Client, baseDn: string, options: { name: string; count: number; prefix: string; parentDn?: string }): Promise<{ groupDn: string; memberDns: string[] }> {
  const users = Array.from({ length: options.count }, (_, i) => ({ name: `${options.prefix}${String(i + 1).padStart(4, '0')}`, parentDn: options.parentDn }));
  const memberDns = await createUsers(client, baseDn, users);
  const groupDn = await createGroup(client, baseDn, { name: options.name, parentDn: options.parentDn });
  await addMembers(client, groupDn, memberDns);
  return { groupDn, memberDns };
}
