/**
 * What only Active Directory does, against a real Samba AD DC
 * (test/support/samba-ad.ts): a user without a userPrincipalName, the
 * cursor's DC identity, accountExpires, a group join that leaves the user's
 * uSNChanged alone (memberOf is a back link), an empty delta, another DC
 * answering, lookups by sAMAccountName, the connection test's DC and
 * tombstone checks, a plain domain user as the bind account (no tombstones:
 * deltas run full), and a connection synced through the operations layer and
 * the reconciler. Needs root and Debian's samba-ad-dc; without them the file
 * fails saying so.
 *
 * The behaviours AD shares with OpenLDAP (joins, renames and moves under the
 * same id, disables, tombstone deletions, member changes, nesting, a
 * 1,600-member group, a listing that drops part way, a restored DC, the
 * lookup through nesting, a bad password or base DN) are the contract
 * suite's, run on both servers: ./contract.test.ts.
 */
import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatObjectGuid } from '../../../../src/pull/providers/ldap/active-directory/guid.js';
import type { AdCursor } from '../../../../src/pull/providers/ldap/index.js';
import type { SyncReport } from '../../../../src/pull/reconcile/report.js';
import { op, operationContext } from '../../../admin/operations/support.js';
import { createTestStore } from '../../../support/store.js';
import { startSambaAd, type SambaAd } from '../../../support/samba-ad.js';
import { addMembers, createGroup, createOu, createUser, deleteEntry, setDisabled } from '../../../support/samba-ad-seed.js';
import { buildProvider } from './contract/server.js';
import { drain, membersIn, usersIn } from './support.js';

let dc: SambaAd;
let admin: Client;
let base: string;
const fileStarted = Date.now();
const ids = new Map<string, string>();
const dns = new Map<string, string>();

function provider(extra: Record<string, unknown> = {}, bind?: { dn: string; password: string }) {
  const settings = { url: dc.url, bindDn: bind?.dn ?? dc.adminDn, baseDn: base, flavor: 'active-directory', startTls: false, ...extra };
  return buildProvider(settings, bind?.password ?? dc.adminPassword);
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

beforeAll(async () => {
  dc = await startSambaAd();
  admin = await dc.adminClient();
  // Under an OU: Samba's own accounts (Administrator, krbtgt...) stay out, and tombstones are matched to the base DN by lastKnownParent.
  base = await createOu(admin, dc.baseDn, 'Roster');
  for (const ou of ['People', 'Groups']) await createOu(admin, base, ou);
  await seedUser('alice', { givenName: 'Alice', sn: 'Liddell', mail: 'alice@roster.test' });
  await seedUser('carol');
  await seedUser('erin');
  // A user without a userPrincipalName is known by its sAMAccountName.
  await admin.modify(dns.get('erin')!, new Change({ operation: 'delete', modification: new Attribute({ type: 'userPrincipalName', values: [] }) }));
  await seedGroup('team', ['alice']);
}, 240_000);

afterAll(async () => {
  await admin?.unbind().catch(() => undefined);
  await dc?.stop();
  if (dc) process.stderr.write(`samba AD DC: started in ${dc.startMs} ms (provisioned in ${dc.provisionMs} ms); active-directory-flavor.test.ts took ${Date.now() - fileStarted} ms\n`);
});

describe('the active-directory flavor against a real Samba AD DC', () => {
  let cursor: AdCursor;

  it('knows a user without a userPrincipalName by sAMAccountName, and keeps the DC and its USN in the cursor', async () => {
    const run = await provider().provider.run({ cursor: null, full: true });
    expect(run.mode).toBe('full');
    const users = usersIn(await drain(run));
    expect(users.map((u) => u.externalId).sort()).toEqual(sorted([id('alice'), id('carol'), id('erin')]));
    expect(users.find((u) => u.externalId === id('erin'))?.userName).toBe('erin');
    const next = run.nextCursor() as AdCursor;
    expect(next).toMatchObject({ v: 1, flavor: 'active-directory', baseDn: base, dcDn: expect.stringMatching(/^CN=NTDS Settings,/) });
    expect(next.highestCommittedUsn).toBeGreaterThan(0);
    cursor = next;
  });

  it('a delta sees an expiry, not a user who only joined a group, and advances the USN on the same DC; then nothing changed is an empty delta', async () => {
    // accountExpires in the past (a FILETIME of 2001): expired, so inactive.
    await replace(dns.get('carol')!, 'accountExpires', ['126227808000000000']);
    await addMembers(admin, dns.get('team')!, [dns.get('erin')!]);
    const { provider: p, warnings } = provider();
    const run = await p.run({ cursor, full: false });
    expect(run.mode).toBe('delta');
    const events = await drain(run);
    expect(warnings).toEqual([]);
    // erin joined a group only: memberOf is a back link, so her uSNChanged stays and she is not read again.
    expect(usersIn(events)).toEqual([expect.objectContaining({ externalId: id('carol'), active: false, status: 'expired' })]);
    expect(sorted(membersIn(events, id('team'))?.userExternalIds)).toEqual(sorted([id('alice'), id('erin')]));
    const next = run.nextCursor() as AdCursor;
    expect(next.highestCommittedUsn).toBeGreaterThan(cursor.highestCommittedUsn);
    expect(next.invocationId).toBe(cursor.invocationId);

    const again = await provider().provider.run({ cursor: next, full: false });
    expect(await drain(again)).toEqual([]);
    cursor = next;
  });

  it('runs full, saying why, when another DC answers', async () => {
    const { provider: p, warnings } = provider();
    const run = await p.run({ cursor: { ...cursor, dcDn: 'CN=NTDS Settings,CN=OTHER,CN=Servers,CN=x' }, full: false });
    expect(run.mode).toBe('full');
    expect(usersIn(await drain(run))).toHaveLength(3);
    expect(warnings).toEqual([expect.stringMatching(/another domain controller answers/)]);
  });

  it('looks one user up by sAMAccountName too, and finds nobody for an id that is not a GUID', async () => {
    const { provider: p } = provider();
    const found = await p.fetchUser({ userName: 'alice' });
    expect(found?.user.externalId).toBe(id('alice'));
    expect(found?.groups.map((g) => g.displayName)).toEqual(['team']);
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
    // erin is gone from a full listing, which needs no tombstone.
    expect(usersIn(await drain(run)).map((u) => u.externalId).sort()).toEqual(sorted([id('alice'), id('carol')]));
  });

  it('syncs through the operations layer and the reconciler: full, then a delta with a disable and a deletion', async () => {
    await seedUser('gina');
    await seedUser('hank');
    const store = await createTestStore();
    try {
      const ctx = operationContext(store);
      await op(ctx, 'tenant.create', { slug: 'acme' });
      const settings = { url: dc.url, bindDn: dc.adminDn, bindPassword: dc.adminPassword, baseDn: base, flavor: 'active-directory', startTls: false };
      await op(ctx, 'connection.create', { tenant: 'acme', name: 'ad', kind: 'ldap', settings });
      // Two of four users go: the default threshold (10%) would hold the plan for an admin.
      await op(ctx, 'connection.update', { connection: 'acme/ad', deletionThreshold: 2 });
      expect(await op(ctx, 'connection.test', { connection: 'acme/ad' })).toMatchObject({ ok: true });
      const full = await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/ad' });
      expect(full).toMatchObject({ status: 'succeeded', mode: 'full' });
      // alice, carol, gina and hank (erin was deleted above).
      expect(full.counts.usersCreated).toBe(4);
      await setDisabled(admin, dns.get('gina')!, true);
      await deleteEntry(admin, dns.get('hank')!);
      const delta = await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/ad' });
      expect(delta).toMatchObject({ status: 'succeeded', mode: 'delta', counts: { usersDeactivated: 1, usersDeleted: 1, usersCreated: 0 } });
    } finally {
      await store.close();
    }
  });
});
