/**
 * Three gaps of the active-directory flavor, closed and checked against one
 * real Samba AD DC (test/support/samba-ad.ts): group members read inline in
 * the group listing (no read per group), the primary group (primaryGroupID)
 * included by `includePrimaryGroup` in full runs, deltas and the one-user
 * lookup (a group under the base DN made primary with samba-tool, and Domain
 * Users with the domain as the base DN), and a domain-root base DN whose
 * continuation references to AD's own partitions do not fail a run. Needs root and Debian's samba-ad-dc;
 * without them the file fails saying so.
 */
import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/core/logging/index.js';
import { formatObjectGuid } from '../../../../src/pull/providers/ldap/active-directory/guid.js';
import { createLdapProvider, type AdCursor } from '../../../../src/pull/providers/ldap/index.js';
import type { DirectoryEvent, ProviderStats } from '../../../../src/pull/providers/types.js';
import { startSambaAd, type SambaAd } from '../../../support/samba-ad.js';
import { addMembers, createGroup, createOu, createUser, createUsers } from '../../../support/samba-ad-seed.js';
import { drain, membersIn, usersIn } from './support.js';

let dc: SambaAd;
let admin: Client;
let base: string;
const fileStarted = Date.now();
const ids = new Map<string, string>();
const dns = new Map<string, string>();
const id = (name: string) => ids.get(name)!;

function provider(extra: Record<string, unknown> = {}) {
  const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
  const settings = { url: dc.url, bindDn: dc.adminDn, baseDn: base, flavor: 'active-directory', startTls: false, ...extra };
  return { provider: createLdapProvider({ settings, secrets: { bindPassword: dc.adminPassword }, logger: silentLogger(), stats, concurrency: 4 }), stats };
}

async function remember(name: string, dn: string): Promise<void> {
  const { searchEntries } = await admin.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
  dns.set(name, dn);
  ids.set(name, formatObjectGuid(searchEntries[0]!.objectGUID as Buffer));
}

async function memberDns(dn: string): Promise<string[]> {
  const { searchEntries } = await admin.search(dn, { scope: 'base', attributes: ['member'] });
  const member = searchEntries[0]!.member ?? [];
  return (Array.isArray(member) ? member : [member]).map(String);
}

/** Group id → its user ids, as the reconciler would hold them after these events (set replaces, add and remove edit). */
function applyMembers(events: DirectoryEvent[], state = new Map<string, Set<string>>()): Map<string, Set<string>> {
  for (const e of events) {
    if (e.type !== 'members') continue;
    const users = e.mode === 'set' ? new Set<string>() : new Set(state.get(e.groupExternalId) ?? []);
    for (const u of e.userExternalIds) (e.mode === 'remove' ? users.delete(u) : users.add(u));
    state.set(e.groupExternalId, users);
  }
  return state;
}

const asSorted = (state: Map<string, Set<string>>) => new Map([...state].map(([g, users]) => [g, [...users].sort()]));

beforeAll(async () => {
  dc = await startSambaAd();
  admin = await dc.adminClient();
  const seeded = Date.now();
  base = await createOu(admin, dc.baseDn, 'Roster');
  for (const ou of ['People', 'Groups']) await createOu(admin, base, ou);
  // 50 groups of 3 of 20 users: the N+1 case.
  const users = await createUsers(admin, dc.baseDn, Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, parentDn: `OU=People,${base}` })));
  for (let g = 0; g < 50; g++) {
    const dn = await createGroup(admin, dc.baseDn, { name: `g${g}`, parentDn: `OU=Groups,${base}` });
    await addMembers(admin, dn, users.slice(g % 17, (g % 17) + 3));
  }
  for (const name of ['pia', 'pete']) await remember(name, await createUser(admin, dc.baseDn, { name, parentDn: `OU=People,${base}` }));
  for (const name of ['staff', 'admins', 'outer']) await remember(name, await createGroup(admin, dc.baseDn, { name, parentDn: `OU=Groups,${base}` }));
  await addMembers(admin, dns.get('staff')!, [dns.get('pete')!]);
  await addMembers(admin, dns.get('outer')!, [dns.get('admins')!]);
  // As an administrator would: pia joins staff, then staff becomes her primary group (AD then drops her from staff's `member`).
  dc.sambaTool(['group', 'addmembers', 'staff', 'pia']);
  dc.sambaTool(['user', 'setprimarygroup', 'pia', 'staff']);
  process.stderr.write(`samba AD DC: provisioned in ${dc.provisionMs} ms, started in ${dc.startMs} ms, seeded in ${Date.now() - seeded} ms\n`);
}, 240_000);

afterAll(async () => {
  await admin?.unbind().catch(() => undefined);
  await dc?.stop();
  if (dc) process.stderr.write(`active-directory-gaps.test.ts took ${Date.now() - fileStarted} ms\n`);
});

describe('group members inline in the group listing', () => {
  it('a full run over 50 groups reads their members without a read per group', async () => {
    const { provider: p, stats } = provider();
    const started = Date.now();
    const events = await drain(await p.run({ cursor: null, full: true }));
    process.stderr.write(`samba AD DC: full run of 22 users and 53 groups: ${stats.apiRequests} LDAP requests in ${Date.now() - started} ms\n`);
    const groups = events.filter((e) => e.type === 'group');
    expect(groups).toHaveLength(53);
    expect(membersIn(events, id('staff'))?.userExternalIds).toEqual([id('pete')]);
    expect(events.filter((e) => e.type === 'members' && e.userExternalIds.length === 3)).toHaveLength(50);
    // The bind, the DC state (rootDSE and NTDS Settings), the naming contexts, one page each of users, group ids and groups.
    expect(stats.apiRequests).toBe(7);
  }, 60_000);
});

describe('the primary group (primaryGroupID)', () => {
  let cursor: AdCursor;
  let state: Map<string, Set<string>>;

  it('is left out by default: AD does not list a user in the member of their primary group', async () => {
    expect((await memberDns(dns.get('staff')!)).map((m) => m.toLowerCase())).toEqual([dns.get('pete')!.toLowerCase()]);
    const events = await drain(await provider().provider.run({ cursor: null, full: true }));
    expect(membersIn(events, id('staff'))?.userExternalIds).toEqual([id('pete')]);
    expect((await provider().provider.fetchUser({ userName: 'pia' }))?.groups).toEqual([]);
  }, 60_000);

  it('with includePrimaryGroup, a full run adds each user to the group whose RID is their primaryGroupID', async () => {
    const run = await provider({ includePrimaryGroup: true }).provider.run({ cursor: null, full: true });
    const events = await drain(run);
    expect(membersIn(events, id('staff'))?.userExternalIds.sort()).toEqual([id('pete'), id('pia')].sort());
    // The other users' primary group is Domain Users, outside the base DN: no group to add them to.
    expect(membersIn(events, id('admins'))?.userExternalIds).toEqual([]);
    state = applyMembers(events);
    cursor = run.nextCursor() as AdCursor;
  }, 60_000);

  it('a delta sees a changed primary group and a new user\'s primary group, and ends where a full run does', async () => {
    dc.sambaTool(['group', 'addmembers', 'admins', 'pia']);
    dc.sambaTool(['user', 'setprimarygroup', 'pia', 'admins']);
    // A new user whose primary group is staff, set over LDAP (AD allows it once the user is a member).
    await remember('quin', await createUser(admin, dc.baseDn, { name: 'quin', parentDn: `OU=People,${base}` }));
    await addMembers(admin, dns.get('staff')!, [dns.get('quin')!]);
    const { searchEntries } = await admin.search(dns.get('staff')!, { scope: 'base', attributes: ['primaryGroupToken'] });
    await admin.modify(dns.get('quin')!, new Change({ operation: 'replace', modification: new Attribute({ type: 'primaryGroupID', values: [String(searchEntries[0]!.primaryGroupToken)] }) }));

    const run = await provider({ includePrimaryGroup: true }).provider.run({ cursor, full: false });
    expect(run.mode).toBe('delta');
    const events = await drain(run);
    expect(usersIn(events).map((u) => u.externalId).sort()).toEqual([id('pia'), id('quin')].sort());
    const afterDelta = asSorted(applyMembers(events, state));
    expect(afterDelta.get(id('admins'))).toEqual([id('pia')]);
    // AD (and Samba) put pia back in staff's `member` when her primary group moved: staff changed too, and keeps her.
    expect((await memberDns(dns.get('staff')!)).map((m) => m.toLowerCase())).toContain(dns.get('pia')!.toLowerCase());
    expect(afterDelta.get(id('staff'))).toEqual([id('pete'), id('pia'), id('quin')].sort());
    const full = asSorted(applyMembers(await drain(await provider({ includePrimaryGroup: true }).provider.run({ cursor: null, full: true }))));
    expect(afterDelta).toEqual(full);
  }, 60_000);

  it('the one-user lookup includes the primary group and the groups it is nested in', async () => {
    const found = await provider({ includePrimaryGroup: true }).provider.fetchUser({ userName: 'pia' });
    expect(found?.user.externalId).toBe(id('pia'));
    // admins is her primary group now, outer holds admins; staff kept her as a plain member when her primary group moved.
    expect(found?.groups.map((g) => g.displayName).sort()).toEqual(['admins', 'outer', 'staff']);
    expect((await provider().provider.fetchUser({ userName: 'pia' }))?.groups.map((g) => g.displayName)).not.toContain('admins');
  }, 60_000);
});

describe('Domain Users as the primary group, with the domain as the base DN', () => {
  it('holds every user; a new user joins it in a delta although its member does not change', async () => {
    const domain = { baseDn: dc.baseDn, includePrimaryGroup: true };
    const first = await provider(domain).provider.run({ cursor: null, full: true });
    const events = await drain(first);
    const domainUsers = events.find((e) => e.type === 'group' && e.group.displayName === 'Domain Users');
    const domainUsersId = domainUsers?.type === 'group' ? domainUsers.group.externalId : '';
    const everyone = usersIn(events).filter((u) => u.userName !== 'Guest' && u.userName !== 'krbtgt').length;
    expect(membersIn(events, domainUsersId)?.userExternalIds.length).toBeGreaterThanOrEqual(everyone);
    const state = applyMembers(events);

    await remember('rae', await createUser(admin, dc.baseDn, { name: 'rae', parentDn: `OU=People,${base}` }));
    const run = await provider(domain).provider.run({ cursor: first.nextCursor(), full: false });
    expect(run.mode).toBe('delta');
    const delta = await drain(run);
    expect(delta).toContainEqual({ type: 'members', groupExternalId: domainUsersId, mode: 'add', userExternalIds: [id('rae')], groupExternalIds: [] });
    const full = asSorted(applyMembers(await drain(await provider(domain).provider.run({ cursor: null, full: true }))));
    expect(asSorted(applyMembers(delta, state))).toEqual(full);
  }, 60_000);
});

describe('referrals', () => {
  it('a run based at the domain root is not failed by references to AD\'s own partitions', async () => {
    const { searchReferences } = await admin.search(dc.baseDn, { scope: 'sub', filter: '(objectClass=group)', attributes: ['1.1'] });
    process.stderr.write(`samba AD DC: a domain-root subtree search returns these references: ${JSON.stringify(searchReferences)}\n`);
    const { provider: p } = provider({ baseDn: dc.baseDn });
    const events = await drain(await p.run({ cursor: null, full: true }));
    expect(usersIn(events).map((u) => u.userName)).toContain('Administrator');
  }, 60_000);
});
