/**
 * The ldap provider's active-directory flavor against a real Samba AD DC
 * (test/support/samba-ad.ts): a full run (GUIDs as ids, the disabled bit and
 * accountExpires, nested groups, a 1,600-member group read whole through
 * ranged retrieval), a uSNChanged delta (disable, expiry, rename and OU move
 * under the same id, membership changes, a new group, deletions from
 * tombstones), a DC restore (another invocationId: a full run), the one-user
 * lookup with transitive groups, the connection test, a plain domain user
 * as the bind account (no tombstones: deltas run full), and a connection
 * synced through the operations layer and the reconciler. Needs root and
 * Debian's samba-ad-dc; without them the file fails saying so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../../src/core/logging/index.js';
import { formatObjectGuid } from '../../../../src/pull/providers/ldap/active-directory/guid.js';
import { createLdapProvider, type AdCursor } from '../../../../src/pull/providers/ldap/index.js';
import type { DirectoryEvent, DirectoryProvider, ProviderStats } from '../../../../src/pull/providers/types.js';
import type { SyncReport } from '../../../../src/pull/reconcile/report.js';
import { op, operationContext } from '../../../admin/operations/support.js';
import { createTestStore } from '../../../support/store.js';
import { SAMBA_LOCK_FILE, startSambaAd, type SambaAd } from '../../../support/samba-ad.js';
import { addMembers, createBigGroup, createGroup, createOu, createUser, deleteEntry, removeMembers, renameEntry, setDisabled } from '../../../support/samba-ad-seed.js';
import { drain, membersIn, usersIn } from './support.js';

let dc: SambaAd;
let admin: Client;
let base: string;
const fileStarted = Date.now();
const ids = new Map<string, string>();
const dns = new Map<string, string>();

function provider(extra: Record<string, unknown> = {}, bind?: { dn: string; password: string }): { provider: DirectoryProvider; stats: ProviderStats; warnings: string[] } {
  const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
  const warnings: string[] = [];
  const logger = silentLogger();
  vi.spyOn(logger, 'warn').mockImplementation((message: unknown) => {
    warnings.push(String(message));
    return logger;
  });
  const settings = { url: dc.url, bindDn: bind?.dn ?? dc.adminDn, baseDn: base, flavor: 'active-directory', startTls: false, ...extra };
  return { provider: createLdapProvider({ settings, secrets: { bindPassword: bind?.password ?? dc.adminPassword }, logger, stats, concurrency: 4 }), stats, warnings };
}

async function guidOf(dn: string): Promise<string> {
  const { searchEntries } = await admin.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
  return formatObjectGuid(searchEntries[0]!.objectGUID as Buffer);
}

async function seedUser(name: string, extra: { parentDn?: string; givenName?: string; sn?: string; mail?: string } = {}): Promise<void> {
  const dn = await createUser(admin, dc.baseDn, { name, parentDn: extra.parentDn ?? `OU=People,${base}`, ...extra });
  dns.set(name, dn);
  ids.set(name, await guidOf(dn));
}

async function seedGroup(name: string, members: string[]): Promise<void> {
  const dn = await createGroup(admin, dc.baseDn, { name, parentDn: `OU=Groups,${base}` });
  if (members.length) await addMembers(admin, dn, members.map((m) => dns.get(m)!));
  dns.set(name, dn);
  ids.set(name, await guidOf(dn));
}

const replace = (dn: string, type: string, values: string[]) => admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type, values }) }));
const id = (name: string) => ids.get(name)!;
const sorted = (values: string[] | undefined) => [...(values ?? [])].sort();
const removals = (events: DirectoryEvent[]) => events.filter((e) => e.type === 'user.removed' || e.type === 'group.removed');

beforeAll(async () => {
  // A lock left by a process that is gone (a worker killed mid-test) must not block the DC.
  if (!existsSync(SAMBA_LOCK_FILE)) {
    try {
      writeFileSync(SAMBA_LOCK_FILE, String(spawnSync('true').pid), { flag: 'wx' });
    } catch {
      // Another worker holds it now; its lock is a live one.
    }
  }
  dc = await startSambaAd();
  admin = await dc.adminClient();
  // Under an OU: Samba's own accounts (Administrator, krbtgt...) stay out, and tombstones are matched to the base DN by lastKnownParent.
  base = await createOu(admin, dc.baseDn, 'Roster');
  for (const ou of ['People', 'Groups', 'Staff']) await createOu(admin, base, ou);
  const seeded = Date.now();
  // The seed helpers take the domain's DN (the UPN suffix comes from it) and a parent under the OU.
  const big = await createBigGroup(admin, dc.baseDn, { name: 'everyone', count: 1600, prefix: 'm', parentDn: `OU=People,${base}` });
  dns.set('everyone', big.groupDn);
  ids.set('everyone', await guidOf(big.groupDn));
  process.stderr.write(`samba AD DC: 1,600 users and their group seeded in ${Date.now() - seeded} ms\n`);
  await seedUser('alice', { givenName: 'Alice', sn: 'Liddell', mail: 'alice@roster.test' });
  await seedUser('bob');
  await seedUser('carol');
  await seedUser('dave');
  await seedUser('erin');
  // A user without a userPrincipalName is known by its sAMAccountName.
  await admin.modify(dns.get('erin')!, new Change({ operation: 'delete', modification: new Attribute({ type: 'userPrincipalName', values: [] }) }));
  await seedGroup('team', ['alice', 'bob', 'dave']);
  await seedGroup('outer', ['team', 'carol']);
  await seedGroup('old', ['bob']);
}, 240_000);

afterAll(async () => {
  await admin?.unbind().catch(() => undefined);
  await dc?.stop();
  if (dc) process.stderr.write(`samba AD DC: started in ${dc.startMs} ms (provisioned in ${dc.provisionMs} ms); active-directory-flavor.test.ts took ${Date.now() - fileStarted} ms\n`);
});

describe('the active-directory flavor against a real Samba AD DC', () => {
  let cursor: AdCursor;

  it('lists users by objectGUID, nested groups as groups, and a 1,600-member group whole', async () => {
    const { provider: p } = provider();
    const run = await p.run({ cursor: null, full: true });
    expect(run.mode).toBe('full');
    const events = await drain(run);
    const users = usersIn(events);
    expect(users).toHaveLength(1605);
    expect(users.find((u) => u.externalId === id('alice'))).toMatchObject({ userName: 'alice@roster.test', email: 'alice@roster.test', givenName: 'Alice', familyName: 'Liddell', active: true });
    expect(users.find((u) => u.externalId === id('erin'))?.userName).toBe('erin');
    expect(sorted(membersIn(events, id('team'))?.userExternalIds)).toEqual(sorted([id('alice'), id('bob'), id('dave')]));
    expect(membersIn(events, id('outer'))).toMatchObject({ mode: 'set', userExternalIds: [id('carol')], groupExternalIds: [id('team')] });
    expect(membersIn(events, id('everyone'))?.userExternalIds).toHaveLength(1600);
    expect(events.filter((e) => e.type === 'group').map((e) => e.type === 'group' && e.group.displayName).sort()).toEqual(['everyone', 'old', 'outer', 'team']);
    const next = run.nextCursor() as AdCursor;
    expect(next).toMatchObject({ v: 1, flavor: 'active-directory', baseDn: base, dcDn: expect.stringMatching(/^CN=NTDS Settings,/) });
    expect(next.highestCommittedUsn).toBeGreaterThan(0);
    cursor = next;
  }, 60_000);

  it('a delta sees a disable, an expiry, a rename with an OU move (same id), membership changes, a new group and deletions (tombstones)', async () => {
    await setDisabled(admin, dns.get('bob')!, true);
    // accountExpires in the past (a FILETIME of 2001): expired, so inactive.
    await replace(dns.get('carol')!, 'accountExpires', ['126227808000000000']);
    const moved = await renameEntry(admin, dns.get('alice')!, { cn: 'Alice Jones', parentDn: `OU=Staff,${base}` });
    await replace(moved, 'displayName', ['Alice Jones']);
    await deleteEntry(admin, dns.get('dave')!);
    await removeMembers(admin, dns.get('team')!, [dns.get('bob')!]);
    await addMembers(admin, dns.get('team')!, [dns.get('erin')!]);
    await deleteEntry(admin, dns.get('old')!);
    await seedGroup('new', ['carol']);

    const { provider: p, warnings } = provider();
    const run = await p.run({ cursor, full: false });
    expect(run.mode).toBe('delta');
    const events = await drain(run);
    expect(warnings).toEqual([]);
    const users = usersIn(events);
    // The 1,600 unchanged members are not read again, nor erin, who only joined a group (memberOf is a back link: her uSNChanged stays).
    expect(users.map((u) => u.externalId).sort()).toEqual(sorted([id('alice'), id('bob'), id('carol')]));
    expect(users.find((u) => u.externalId === id('alice'))).toMatchObject({ displayName: 'Alice Jones', active: true });
    expect(users.find((u) => u.externalId === id('bob'))).toMatchObject({ active: false, status: 'disabled' });
    expect(users.find((u) => u.externalId === id('carol'))).toMatchObject({ active: false, status: 'expired' });
    // alice's member DN changed with her move: still alice; dave left with his deletion.
    expect(sorted(membersIn(events, id('team'))?.userExternalIds)).toEqual(sorted([id('alice'), id('erin')]));
    expect(membersIn(events, id('new'))?.userExternalIds).toEqual([id('carol')]);
    expect(membersIn(events, id('everyone'))).toBeUndefined();
    // Removals come last, after every listing.
    expect(removals(events)).toEqual(expect.arrayContaining([
      { type: 'user.removed', externalId: id('dave'), reason: 'deleted' },
      { type: 'group.removed', externalId: id('old') },
    ]));
    expect(removals(events)).toHaveLength(2);
    expect(events.slice(-2)).toEqual(removals(events));
    const next = run.nextCursor() as AdCursor;
    expect(next.highestCommittedUsn).toBeGreaterThan(cursor.highestCommittedUsn);
    expect(next.invocationId).toBe(cursor.invocationId);

    // Nothing changed since: an empty delta.
    const again = await provider().provider.run({ cursor: next, full: false });
    expect(await drain(again)).toEqual([]);
    cursor = next;
  }, 60_000);

  it('runs full, saying why, when the DC was restored (another invocationId) or another DC answers', async () => {
    for (const stale of [{ ...cursor, invocationId: '00000000-0000-0000-0000-000000000001' }, { ...cursor, dcDn: 'CN=NTDS Settings,CN=OTHER,CN=Servers,CN=x' }]) {
      const { provider: p, warnings } = provider();
      const run = await p.run({ cursor: stale, full: false });
      expect(run.mode).toBe('full');
      expect(usersIn(await drain(run)).length).toBeGreaterThan(1600);
      expect(warnings[0]).toMatch(stale.dcDn === cursor.dcDn ? /invocationId changed .* restored from backup\); running a full snapshot/ : /another domain controller answers/);
    }
  }, 60_000);

  it('looks one user up by userPrincipalName, sAMAccountName, mail or id, with groups through nesting', async () => {
    const { provider: p } = provider();
    for (const lookup of [{ userName: 'alice@roster.test' }, { userName: 'alice' }, { email: 'alice@roster.test' }, { externalId: id('alice') }]) {
      const found = await p.fetchUser(lookup);
      expect(found?.user.externalId).toBe(id('alice'));
      // team directly, outer through team (the in-chain rule, LDAP_MATCHING_RULE_IN_CHAIN, which Samba 4.17 supports).
      expect(found?.groups.map((g) => g.displayName).sort()).toEqual(['outer', 'team']);
    }
    expect(await p.fetchUser({ userName: 'nobody' })).toBeNull();
    expect(await p.fetchUser({ externalId: 'not-a-guid' })).toBeNull();
  });

  it('the connection test reads the DC invocationId and the tombstones', async () => {
    const result = await provider().provider.test();
    expect(result.checks.map((c) => [c.name.replace(/\(CN=Deleted Objects,.*\)/, '(…)'), c.ok])).toEqual([
      [`reach ${dc.url}`, true],
      [`bind as ${dc.adminDn}`, true],
      [`base DN ${base}`, true],
      ['users filter (&(objectCategory=person)(objectClass=user))', true],
      ['groups filter (objectClass=group)', true],
      ['DC invocationId (deltas are per DC and per restore)', true],
      ['tombstones readable (…)', true],
    ]);
    expect(result.ok).toBe(true);
  });

  it('a plain domain user reads users and groups but no tombstones: the connection test says so and a delta runs full', async () => {
    dc.sambaTool(['user', 'create', 'svc-roster', 'Roster-Svc-1!']);
    const bind = { dn: `CN=svc-roster,CN=Users,${dc.baseDn}`, password: 'Roster-Svc-1!' };
    const result = await provider({}, bind).provider.test();
    expect(result.ok).toBe(false);
    expect(result.checks.at(-1)).toMatchObject({ ok: false, detail: expect.stringMatching(/cannot read deleted objects, so a delta cannot see deletions.*LCRP/) });
    // Samba gives it the container's DN and nothing under it, without an error: a delta would miss deletions, so it runs full.
    await deleteEntry(admin, dns.get('erin')!);
    const { provider: p, warnings } = provider({}, bind);
    const run = await p.run({ cursor, full: false });
    expect(run.mode).toBe('full');
    expect(warnings).toEqual([expect.stringMatching(/svc-roster.* cannot read tombstones .*running a full snapshot/)]);
    const users = usersIn(await drain(run));
    expect(users.length).toBeGreaterThan(1600);
    expect(users.map((u) => u.externalId)).not.toContain(id('erin'));
  }, 60_000);

  it('syncs through the operations layer and the reconciler: full, then a delta with a disable and a deletion', async () => {
    await seedUser('gina');
    await seedUser('hank');
    const store = await createTestStore();
    try {
      const ctx = operationContext(store);
      await op(ctx, 'tenant.create', { slug: 'acme' });
      const settings = { url: dc.url, bindDn: dc.adminDn, bindPassword: dc.adminPassword, baseDn: base, flavor: 'active-directory', startTls: false };
      await op(ctx, 'connection.create', { tenant: 'acme', name: 'ad', kind: 'ldap', settings });
      expect(await op(ctx, 'connection.test', { connection: 'acme/ad' })).toMatchObject({ ok: true });
      const full = await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/ad' });
      expect(full).toMatchObject({ status: 'succeeded', mode: 'full' });
      expect(full.counts.usersCreated).toBeGreaterThan(1600);
      await setDisabled(admin, dns.get('gina')!, true);
      await deleteEntry(admin, dns.get('hank')!);
      const delta = await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/ad' });
      expect(delta).toMatchObject({ status: 'succeeded', mode: 'delta', counts: { usersDeactivated: 1, usersDeleted: 1, usersCreated: 0 } });
    } finally {
      await store.close();
    }
  }, 60_000);
});
