/**
 * The ldap provider against a real OpenLDAP (test/support/slapd.ts): full
 * listings over paged searches, deltas from entryCSN with deletions found by
 * the id listing, group flavours and nesting, the one-user lookup, the
 * connection test's named failures, failover, and a server that dies mid-listing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/pull/providers/types.js';
import type { LdapCursor } from '../../../src/pull/providers/ldap/index.js';
import { person, startSlapd, type Slapd } from '../../support/slapd.js';
import { connect, drain, membersIn, usersIn } from './ldap/support.js';

const PEOPLE = 'ou=people,dc=roster,dc=test';
const GROUPS = 'ou=groups,dc=roster,dc=test';
const dn = (uid: string, ou = PEOPLE) => `uid=${uid},${ou}`;

describe('the ldap provider against OpenLDAP', () => {
  let slapd: Slapd;
  const id: Record<string, string> = {};

  beforeAll(async () => {
    slapd = await startSlapd();
    for (const uid of ['ann', 'bo', 'cy', 'di', 'ed']) {
      await slapd.add(dn(uid), person(uid, { uidNumber: '1000', gidNumber: '1000', homeDirectory: `/home/${uid}`, objectClass: ['inetOrgPerson', 'posixAccount'] }));
      id[uid] = await slapd.uuidOf(dn(uid));
    }
    await slapd.add(`cn=eng,${GROUPS}`, { objectClass: 'groupOfNames', cn: 'eng', member: [dn('ann'), dn('bo')], description: 'Engineering' });
    await slapd.add(`cn=all,${GROUPS}`, { objectClass: 'groupOfNames', cn: 'all', member: [`cn=eng,${GROUPS}`, dn('cy')] });
    await slapd.add(`cn=ops,${GROUPS}`, { objectClass: 'groupOfUniqueNames', cn: 'ops', uniqueMember: [dn('di')] });
    await slapd.add(`cn=staff,${GROUPS}`, { objectClass: 'posixGroup', cn: 'staff', gidNumber: '2000', memberUid: ['ed', 'nobody'] });
    for (const g of ['eng', 'all', 'ops', 'staff']) id[g] = await slapd.uuidOf(`cn=${g},${GROUPS}`);
  });

  afterAll(async () => {
    await slapd?.stop();
  });

  it('lists every user by entryUUID and every group with its direct members, nested groups as groups, over pages', async () => {
    const { provider, stats } = connect(slapd, { pageSize: 2 });
    const run = await provider.run({ cursor: null });
    expect(run.mode).toBe('full');
    const events = await drain(run);
    const users = usersIn(events);
    expect(users.map((u) => u.userName).sort()).toEqual(['ann', 'bo', 'cy', 'di', 'ed']);
    expect(users.find((u) => u.userName === 'ann')).toMatchObject({
      externalId: id.ann, email: 'ann@roster.test', displayName: 'ann Person', givenName: 'ann', familyName: 'Person', active: true,
    });
    expect(events.filter((e) => e.type === 'group').map((e) => e.type === 'group' && e.group.displayName).sort()).toEqual(['all', 'eng', 'ops', 'staff']);
    expect(membersIn(events, id.eng!)).toMatchObject({ mode: 'set', groupExternalIds: [] });
    expect(membersIn(events, id.eng!)?.userExternalIds.sort()).toEqual([id.ann, id.bo].sort());
    expect(membersIn(events, id.all!)).toMatchObject({ userExternalIds: [id.cy], groupExternalIds: [id.eng] });
    expect(membersIn(events, id.ops!)).toMatchObject({ userExternalIds: [id.di] });
    // posixGroup memberUid maps through uid; an unknown uid is left out.
    expect(membersIn(events, id.staff!)).toMatchObject({ userExternalIds: [id.ed], groupExternalIds: [] });
    // 5 users at 2 a page = 3 pages; 4 groups = 2 pages of ids and 2 of groups; the bind and contextCSN.
    expect(stats.apiRequests).toBe(1 + 1 + 3 + 2 + 2);
    const cursor = run.nextCursor() as LdapCursor;
    expect(cursor).toMatchObject({ v: 1, watermark: { attribute: 'entryCSN' } });
    expect(cursor.users).toHaveLength(5);
  });

  it('reports, in a delta, joins, renames and moves as updates of the same id, disables, enables, member changes and deletions, and nothing else', async () => {
    const { provider } = connect(slapd);
    const first = await provider.run({ cursor: null });
    await drain(first);
    const cursor = first.nextCursor();

    await slapd.add(dn('fay'), person('fay'));
    const fay = await slapd.uuidOf(dn('fay'));
    await slapd.moveTo(dn('ann'), dn('anna')); // a rename: the RDN changes, entryUUID stays
    await slapd.add(`ou=sales,dc=roster,dc=test`, { objectClass: 'organizationalUnit', ou: 'sales' });
    await slapd.moveTo(dn('bo'), dn('bo', 'ou=sales,dc=roster,dc=test')); // a move to another OU
    await slapd.modify(dn('cy'), [{ op: 'add', attr: 'pwdAccountLockedTime', values: ['000001010000Z'] }]);
    await slapd.modify(`cn=ops,${GROUPS}`, [{ op: 'add', attr: 'uniqueMember', values: [dn('fay')] }]);
    await slapd.del(dn('ed'));
    await slapd.del(`cn=staff,${GROUPS}`);

    const delta = await provider.run({ cursor });
    expect(delta.mode).toBe('delta');
    const events = await drain(delta);
    const users = usersIn(events);
    expect(users.map((u) => [u.userName, u.externalId, u.active]).sort()).toEqual([
      ['anna', id.ann, true], ['bo', id.bo, true], ['cy', id.cy, false], ['fay', fay, true],
    ].sort());
    expect(users.find((u) => u.userName === 'cy')).toMatchObject({ status: 'pwdAccountLockedTime' });
    expect(events).toContainEqual({ type: 'user.removed', externalId: id.ed, reason: 'deleted' });
    expect(events).toContainEqual({ type: 'group.removed', externalId: id.staff });
    // refint rewrites eng's member DNs after the rename and the move, without a new entryCSN: members
    // are ids, which did not change, so the delta rightly says nothing of eng; a full listing agrees.
    expect(membersIn(events, id.eng!)).toBeUndefined();
    await expect.poll(async () => membersIn(await drain(await provider.run({ cursor: null })), id.eng!)?.userExternalIds.sort()).toEqual([id.ann, id.bo].sort());
    expect(membersIn(events, id.ops!)?.userExternalIds.sort()).toEqual([id.di, fay].sort());
    expect(events.some((e) => e.type === 'user' && e.user.userName === 'di')).toBe(false);

    // Enabling again and removing a member, from the delta's own cursor.
    await slapd.modify(dn('cy'), [{ op: 'delete', attr: 'pwdAccountLockedTime', values: [] }]);
    await slapd.modify(`cn=ops,${GROUPS}`, [{ op: 'delete', attr: 'uniqueMember', values: [dn('fay')] }]);
    const next = await drain(await provider.run({ cursor: delta.nextCursor() }));
    expect(usersIn(next).map((u) => [u.userName, u.active])).toEqual([['cy', true]]);
    expect(membersIn(next, id.ops!)).toMatchObject({ mode: 'set', userExternalIds: [id.di] });
    expect(next.some((e) => e.type === 'user.removed' || e.type === 'group.removed')).toBe(false);
  });

  it('in the generic flavor, takes changes by modifyTimestamp, from the newest one seen less an overlap', async () => {
    const { provider } = connect(slapd, { flavor: 'generic' });
    const first = await provider.run({ cursor: null });
    await drain(first);
    const cursor = first.nextCursor() as LdapCursor;
    expect(cursor.watermark.attribute).toBe('modifyTimestamp');
    await slapd.modify(dn('di'), [{ op: 'replace', attr: 'cn', values: ['Di Renamed'] }]);
    const events = await drain(await provider.run({ cursor }));
    // The 5-minute overlap (server clocks step by the second) re-reads recent entries too: harmless, hashes match.
    expect(usersIn(events).find((u) => u.externalId === id.di)).toMatchObject({ displayName: 'Di Renamed' });
  });

  it('tells, in a delta, a user who left the filter (deactivated) from one deleted', async () => {
    const { provider } = connect(slapd, { userFilter: '(&(objectClass=inetOrgPerson)(!(employeeType=external)))' });
    await slapd.add(dn('gil'), person('gil'));
    await slapd.add(dn('hu'), person('hu'));
    const [gil, hu] = [await slapd.uuidOf(dn('gil')), await slapd.uuidOf(dn('hu'))];
    const first = await provider.run({ cursor: null });
    await drain(first);
    await slapd.modify(dn('gil'), [{ op: 'add', attr: 'employeeType', values: ['external'] }]);
    await slapd.del(dn('hu'));
    const events = await drain(await provider.run({ cursor: first.nextCursor() }));
    const removed = events.filter((e) => e.type === 'user.removed');
    expect(removed).toHaveLength(2);
    expect(removed).toEqual(expect.arrayContaining([
      { type: 'user.removed', externalId: gil, reason: 'soft-deleted' },
      { type: 'user.removed', externalId: hu, reason: 'deleted' },
    ]));
  });

  it('runs a full snapshot when the cursor is not its own', async () => {
    const { provider } = connect(slapd);
    const run = await provider.run({ cursor: { deltaLink: 'https://graph.microsoft.com/v1.0/users/delta' } });
    expect(run.mode).toBe('full');
    await drain(run);
  });

  it('looks one user up live, by userName, email or id, with the groups that name them directly', async () => {
    const { provider } = connect(slapd);
    const byName = await provider.fetchUser({ userName: 'di' });
    expect(byName?.user).toMatchObject({ externalId: id.di, userName: 'di' });
    expect(byName?.groups.map((g) => g.displayName)).toEqual(['ops']);
    expect((await provider.fetchUser({ email: 'di@roster.test' }))?.user.externalId).toBe(id.di);
    expect((await provider.fetchUser({ externalId: id.di! }))?.user.userName).toBe('di');
    expect(await provider.fetchUser({ userName: 'nobody' })).toBeNull();
    // A value is escaped in the filter, not read as filter syntax.
    expect(await provider.fetchUser({ userName: '*' })).toBeNull();
  });

  it('tests the connection, naming what is wrong', async () => {
    expect(await connect(slapd).provider.test()).toMatchObject({ ok: true });
    const badPassword = await connect(slapd, {}, 'wrong').provider.test();
    expect(badPassword.ok).toBe(false);
    expect(badPassword.checks.find((c) => !c.ok)?.detail).toMatch(/bad credentials \(LDAP result 49\)/);
    const noBase = await connect(slapd, { baseDn: 'ou=nowhere,dc=roster,dc=test' }).provider.test();
    expect(noBase.checks.find((c) => !c.ok)?.detail).toMatch(/not found \(LDAP result 32\)/);
    const noUsers = await connect(slapd, { userFilter: '(objectClass=device)' }).provider.test();
    expect(noUsers.checks.find((c) => !c.ok)?.detail).toMatch(/no users matched the filter/);
    const unreachable = await connect(slapd, { url: 'ldap://127.0.0.1:1/' }).provider.test();
    expect(unreachable.checks.find((c) => !c.ok)?.detail).toMatch(/unreachable/);
  });

  it('fails over to the next URL when the first cannot be reached', async () => {
    const { provider } = connect(slapd, { url: undefined, urls: ['ldap://127.0.0.1:1/', slapd.url] });
    expect(await provider.test()).toMatchObject({ ok: true });
    expect(usersIn(await drain(await provider.run({ cursor: null })))).not.toHaveLength(0);
  });

  it('refuses, before any packet, a server the outbound URL policy refuses, by address or by what a name resolves to', async () => {
    const trusted = process.env.ROSTER_TRUSTED_HOSTS;
    process.env.ROSTER_TRUSTED_HOSTS = '';
    try {
      for (const url of [slapd.url, slapd.url.replace('127.0.0.1', 'localhost')]) {
        await expect(connect(slapd, { url }).provider.run({ cursor: null })).rejects.toMatchObject({ kind: 'permission', message: expect.stringMatching(/refused by the outbound URL policy/) });
      }
    } finally {
      process.env.ROSTER_TRUSTED_HOSTS = trusted;
    }
  });

  it('refuses a bad password as an auth error, and asks for StartTLS on ldap:// by default', async () => {
    await expect(connect(slapd, {}, 'wrong').provider.run({ cursor: null })).rejects.toMatchObject({ kind: 'auth', status: 49 });
    // This slapd has no TLS: StartTLS is refused, which is a network-kind failure naming TLS.
    await expect(connect(slapd, { startTls: true }).provider.run({ cursor: null })).rejects.toThrow(/StartTLS/);
  });
});

describe('an OpenLDAP listing that fails part way', () => {
  it('throws from the page it was reading: the run is incomplete and has no cursor', async () => {
    const slapd = await startSlapd();
    try {
      for (const uid of ['a1', 'a2', 'a3', 'a4']) await slapd.add(dn(uid), person(uid));
      const { provider } = connect(slapd, { pageSize: 1 });
      const run = await provider.run({ cursor: null });
      const seen: string[] = [];
      const reading = (async () => {
        for await (const page of run.pages) {
          seen.push(...usersIn(page).map((u) => u.userName));
          if (seen.length === 2) await slapd.kill();
        }
      })();
      await expect(reading).rejects.toBeInstanceOf(ProviderError);
      await expect(reading).rejects.toMatchObject({ kind: 'network' });
      expect(seen).toHaveLength(2);
      expect(run.nextCursor()).toBeNull();
    } finally {
      await slapd.stop();
    }
  });

  it('stops at the server size limit with sizeLimitExceeded, never a short listing that looks complete', async () => {
    // The root DN is never limited: a reader bound as itself is (slapd.conf(5) sizelimit size.prtotal).
    const slapd = await startSlapd({ sizeLimit: 'size.prtotal=3' });
    try {
      for (const uid of ['c1', 'c2', 'c3', 'c4', 'c5']) await slapd.add(dn(uid), person(uid));
      await slapd.add(`cn=reader,${slapd.baseDn}`, { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'reader', userPassword: 'reader-pw' });
      const { provider } = connect(slapd, { bindDn: `cn=reader,${slapd.baseDn}`, pageSize: 1 }, 'reader-pw');
      const run = await provider.run({ cursor: null });
      await expect(drain(run)).rejects.toMatchObject({ kind: 'bad-response', status: 4, message: expect.stringMatching(/sizeLimitExceeded/) });
      expect(run.nextCursor()).toBeNull();
    } finally {
      await slapd.stop();
    }
  });

  it.each(['drop', 'stall'] as const)('fails the run when the group listing %ss part way (dropped connection, timeout)', async (fault) => {
    const slapd = await startSlapd();
    try {
      await slapd.add(dn('d1'), person('d1'));
      await slapd.add(`cn=g,${GROUPS}`, { objectClass: 'groupOfNames', cn: 'g', member: dn('d1') });
      const { provider } = connect(slapd, { url: slapd.faultyUrl, timeoutMs: 300 });
      const run = await provider.run({ cursor: null });
      slapd.failRequestsContaining('groupOfNames', fault);
      const types: string[] = [];
      await expect((async () => {
        for await (const page of run.pages) types.push(...page.map((e) => e.type));
      })()).rejects.toMatchObject({ kind: 'network', message: expect.stringMatching(fault === 'stall' ? /timed out/ : /closed|Socket/) });
      expect(types).toEqual(['user']);
      expect(run.nextCursor()).toBeNull();
    } finally {
      await slapd.stop();
    }
  });

  it('in a delta, removes nobody when the id listing fails', async () => {
    const slapd = await startSlapd();
    try {
      for (const uid of ['b1', 'b2', 'b3']) await slapd.add(dn(uid), person(uid));
      const { provider } = connect(slapd, { pageSize: 1 });
      const first = await provider.run({ cursor: null });
      await drain(first);
      const run = await provider.run({ cursor: first.nextCursor() });
      await slapd.kill();
      const events: string[] = [];
      await expect((async () => {
        for await (const page of run.pages) events.push(...page.map((e) => e.type));
      })()).rejects.toMatchObject({ kind: 'network' });
      expect(events).not.toContain('user.removed');
      expect(run.nextCursor()).toBeNull();
    } finally {
      await slapd.stop();
    }
  });
});
