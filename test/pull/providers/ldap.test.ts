/**
 * What only OpenLDAP and the other non-AD servers do, against a real slapd
 * (test/support/slapd.ts): the group flavours (groupOfUniqueNames, posixGroup
 * memberUid) and what a paged full run costs, the generic flavor's
 * modifyTimestamp deltas, a user leaving the filter, a foreign cursor, the
 * connection test's filter and reachability checks, failover, the outbound
 * URL policy, StartTLS, the size limit and a listing that drops or stalls.
 *
 * The behaviours both servers share (joins, renames, moves, disables,
 * deletions, member changes, nesting, big groups, a listing that drops part
 * way, restores, the one-user lookup, a bad password or base DN) are the
 * contract suite's, run on slapd and Samba AD: ./ldap/contract.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('lists groupOfUniqueNames and posixGroup members (memberUid by uid) over pages, at a known number of requests', async () => {
    const { provider, stats } = connect(slapd, { pageSize: 2 });
    const run = await provider.run({ cursor: null });
    expect(run.mode).toBe('full');
    const events = await drain(run);
    expect(usersIn(events)).toHaveLength(5);
    expect(membersIn(events, id.ops!)).toMatchObject({ userExternalIds: [id.di] });
    // posixGroup memberUid maps through uid; an unknown uid is left out.
    expect(membersIn(events, id.staff!)).toMatchObject({ userExternalIds: [id.ed], groupExternalIds: [] });
    // 5 users at 2 a page = 3 pages; 4 groups = 2 pages of ids and 2 of groups; the bind and contextCSN.
    expect(stats.apiRequests).toBe(1 + 1 + 3 + 2 + 2);
    const cursor = run.nextCursor() as LdapCursor;
    expect(cursor).toMatchObject({ v: 1, watermark: { attribute: 'entryCSN' } });
    expect(cursor.users).toHaveLength(5);
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

  it('tests the connection, naming a filter that matches no user and a server it cannot reach', async () => {
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
});
