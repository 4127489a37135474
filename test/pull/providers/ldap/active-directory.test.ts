/**
 * The Active Directory reading functions (src/pull/providers/ldap/active-directory/)
 * against a real Samba AD DC (test/support/samba-ad.ts): GUIDs as AD tools
 * print them, the disabled bit, a 1,600-member group through ranged
 * retrieval, tombstones, uSNChanged deltas and the DC's identity. Needs root
 * and Debian's samba-ad-dc; without them the file fails saying so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import type { Client, Entry } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hasExpired, isAccountDisabled } from '../../../../src/pull/providers/ldap/active-directory/account.js';
import { searchChangedSince, searchTombstones } from '../../../../src/pull/providers/ldap/active-directory/changes.js';
import { readDcState } from '../../../../src/pull/providers/ldap/active-directory/dc-state.js';
import { formatObjectGuid } from '../../../../src/pull/providers/ldap/active-directory/guid.js';
import { readMembers } from '../../../../src/pull/providers/ldap/active-directory/members.js';
import { lockHost, SAMBA_LOCK_FILE, startSambaAd, type SambaAd } from '../../../support/samba-ad.js';
import {
  addMembers,
  createBigGroup,
  createGroup,
  createOu,
  createUser,
  deleteEntry,
  readUserAccountControl,
  removeMembers,
  renameEntry,
  setDisabled,
} from '../../../support/samba-ad-seed.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PEOPLE = '(&(objectClass=user)(objectCategory=person))';

let dc: SambaAd;
let client: Client;
const fileStarted = Date.now();

async function guidOf(dn: string): Promise<string> {
  const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
  return formatObjectGuid(searchEntries[0]!.objectGUID as Buffer);
}

async function changedSince(usn: number, filter = PEOPLE, pageSize = 100): Promise<{ pages: number; entries: Entry[] }> {
  let pages = 0;
  const entries: Entry[] = [];
  for await (const page of searchChangedSince(client, dc.baseDn, filter, usn, pageSize)) {
    pages++;
    entries.push(...page);
  }
  return { pages, entries };
}

beforeAll(async () => {
  // A lock left by a process that is gone (a worker killed mid-test) must not block the DC.
  if (!existsSync(SAMBA_LOCK_FILE)) {
    const gone = spawnSync('true').pid;
    try {
      writeFileSync(SAMBA_LOCK_FILE, String(gone), { flag: 'wx' });
    } catch {
      // Another worker holds it now; its lock is a live one.
    }
  }
  dc = await startSambaAd();
  client = await dc.adminClient();
}, 240_000);

afterAll(async () => {
  await client?.unbind().catch(() => undefined);
  await dc?.stop();
  if (dc) process.stderr.write(`samba AD DC: provisioned in ${dc.provisionMs} ms, started (copy + LDAP-ready) in ${dc.startMs} ms; active-directory.test.ts took ${Date.now() - fileStarted} ms\n`);
});

describe('a real Samba AD DC', () => {
  it('is one per host: while it runs, another start waits for the lock and gives up saying who holds it', async () => {
    expect(existsSync(SAMBA_LOCK_FILE)).toBe(true);
    await expect(lockHost(300)).rejects.toThrow(`held by pid ${process.pid}`);
  });
});

describe('objectGUID', () => {
  it('formats a user\'s objectGUID as samba-tool user show prints it', async () => {
    const dn = await createUser(client, dc.baseDn, { name: 'alice', givenName: 'Alice', sn: 'Liddell', mail: 'alice@roster.test' });
    const shown = /^objectGUID: (\S+)$/m.exec(dc.sambaTool(['user', 'show', 'alice', '--attributes=objectGUID']))?.[1];
    expect(shown).toMatch(GUID);
    expect(await guidOf(dn)).toBe(shown);
  });
});

describe('userAccountControl', () => {
  it('has the ACCOUNTDISABLE bit after a disable and not after an enable', async () => {
    const dn = await createUser(client, dc.baseDn, { name: 'dave' });
    expect(isAccountDisabled(String(await readUserAccountControl(client, dn)))).toBe(false);
    await setDisabled(client, dn, true);
    const disabled = await readUserAccountControl(client, dn);
    expect(isAccountDisabled(String(disabled))).toBe(true);
    await setDisabled(client, dn, false);
    expect(isAccountDisabled(String(await readUserAccountControl(client, dn)))).toBe(false);
    // A new user never expires: Samba writes the largest int64 into accountExpires.
    const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['accountExpires'] });
    expect(hasExpired(searchEntries[0]!.accountExpires as string, new Date())).toBe(false);
  });
});

describe('readMembers', () => {
  it('reads all 1,600 members of a group through ranged retrieval (member;range=0-1499, then 1500-*)', async () => {
    const seeded = Date.now();
    const { groupDn, memberDns } = await createBigGroup(client, dc.baseDn, { name: 'everyone', count: 1600, prefix: 'm' });
    process.stderr.write(`samba AD DC: 1,600 users and their group seeded in ${Date.now() - seeded} ms\n`);

    // Samba 4.17 returns every value to a plain `member` read, where AD stops at 1,500:
    // readMembers asks for ranges itself, so the ranged path runs here too.
    const plain = await client.search(groupDn, { scope: 'base', attributes: ['member'] });
    expect((plain.searchEntries[0]!.member as string[]).length).toBe(1600);

    const search = vi.spyOn(client, 'search');
    try {
      const members = await readMembers(client, groupDn);
      expect(members).toHaveLength(1600);
      expect(new Set(members.map((m) => m.toLowerCase()))).toEqual(new Set(memberDns.map((m) => m.toLowerCase())));
      expect(search.mock.calls.map(([, options]) => options?.attributes)).toEqual([['member;range=0-1499'], ['member;range=1500-*']]);
    } finally {
      search.mockRestore();
    }
    // Smaller windows: the loop follows each answered range to the `*` one.
    expect(await readMembers(client, groupDn, 700)).toHaveLength(1600);
  }, 120_000);

  it('lists a nested group as a member, reads an empty group as none, and sees removals', async () => {
    const ann = await createUser(client, dc.baseDn, { name: 'ann' });
    const bo = await createUser(client, dc.baseDn, { name: 'bo' });
    const inner = await createGroup(client, dc.baseDn, { name: 'inner' });
    const outer = await createGroup(client, dc.baseDn, { name: 'outer' });
    await addMembers(client, inner, [ann]);
    await addMembers(client, outer, [inner, bo]);
    expect((await readMembers(client, outer)).sort()).toEqual([bo, inner].sort());
    await removeMembers(client, outer, [bo]);
    expect(await readMembers(client, outer)).toEqual([inner]);
    expect(await readMembers(client, await createGroup(client, dc.baseDn, { name: 'empty' }))).toEqual([]);
  });
});

describe('readDcState', () => {
  it('names the DC, its invocationId as a GUID (the same on every read) and a highestCommittedUSN that grows', async () => {
    const first = await readDcState(client);
    expect(first.invocationId).toMatch(GUID);
    expect(first.dcDn).toMatch(/^CN=NTDS Settings,CN=[^,]+,CN=Servers,/);
    await createUser(client, dc.baseDn, { name: 'erin' });
    const second = await readDcState(client);
    expect(second.invocationId).toBe(first.invocationId);
    expect(second.dcDn).toBe(first.dcDn);
    expect(second.highestCommittedUsn).toBeGreaterThan(first.highestCommittedUsn);
  });
});

describe('searchTombstones', () => {
  it('finds a user and a group deleted after a USN, with the GUIDs they had and the USN of the deletion', async () => {
    const early = await createUser(client, dc.baseDn, { name: 'early' });
    await deleteEntry(client, early);
    const bob = await createUser(client, dc.baseDn, { name: 'bob' });
    const team = await createGroup(client, dc.baseDn, { name: 'team' });
    const [bobGuid, teamGuid] = [await guidOf(bob), await guidOf(team)];
    const before = (await readDcState(client)).highestCommittedUsn;
    await deleteEntry(client, bob);
    await deleteEntry(client, team);

    const tombstones = await searchTombstones(client, dc.baseDn, before);
    expect(tombstones.map((t) => t.objectGuid).sort()).toEqual([bobGuid, teamGuid].sort());
    const bobStone = tombstones.find((t) => t.objectGuid === bobGuid)!;
    expect(bobStone).toMatchObject({ kind: 'user', lastKnownParent: `CN=Users,${dc.baseDn}` });
    expect(bobStone.usnChanged).toBeGreaterThan(before);
    expect(tombstones.find((t) => t.objectGuid === teamGuid)?.kind).toBe('group');
    // Without Show Deleted nothing of them is left, and the uSNChanged delta does not see them.
    expect((await changedSince(before)).entries.map((e) => e.dn)).toEqual([]);
    // The user deleted before the cursor is a tombstone too, just not a new one.
    expect((await searchTombstones(client, dc.baseDn, 0)).map((t) => t.objectGuid)).toContain(bobGuid);
    expect((await searchTombstones(client, dc.baseDn, 0)).length).toBeGreaterThan(tombstones.length);
  });
});

describe('searchChangedSince', () => {
  it('finds a user renamed and moved after a USN under its new DN and the same GUID, and nothing unchanged', async () => {
    const carol = await createUser(client, dc.baseDn, { name: 'carol' });
    const carolGuid = await guidOf(carol);
    const ou = await createOu(client, dc.baseDn, 'Staff');
    const before = (await readDcState(client)).highestCommittedUsn;
    const moved = await renameEntry(client, carol, { cn: 'Carol Jones', parentDn: ou });

    const { entries } = await changedSince(before);
    expect(entries.map((e) => e.dn)).toEqual([moved]);
    expect(formatObjectGuid(entries[0]!.objectGUID as Buffer)).toBe(carolGuid);
    expect(Number(entries[0]!.uSNChanged)).toBeGreaterThan(before);
    expect((await changedSince((await readDcState(client)).highestCommittedUsn)).entries).toEqual([]);
  });

  it('pages through a large delta (every user since USN 0, 500 a page)', async () => {
    const { pages, entries } = await changedSince(0, PEOPLE, 500);
    expect(entries.length).toBeGreaterThan(1600);
    expect(pages).toBe(Math.ceil(entries.length / 500));
    expect(new Set(entries.map((e) => e.dn)).size).toBe(entries.length);
  });
});
