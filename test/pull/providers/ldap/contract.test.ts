/**
 * The ldap provider's contract: one list of behaviours, asserted on what the
 * provider returns (DirectoryProvider, src/pull/providers/types.ts), run
 * against both real servers the provider is built for: OpenLDAP (slapd, the
 * openldap flavor) and Active Directory (a Samba AD DC, the active-directory
 * flavor). Each server (./contract/slapd.ts, ./contract/samba.ts) is started
 * once and seeded once; each case adds the entries it changes, so the cases
 * do not lean on one another. What differs between the servers (AD's login,
 * the disabled status, lookups through nesting, what a restore looks like)
 * is said by the server, never skipped.
 *
 * Server-specific behaviour stays next to this file: the generic flavor,
 * TLS, failover, size limits and filters in ../ldap.test.ts; tombstone rights,
 * expiry and the reconciler on AD in ./active-directory-flavor.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError, type DirectoryEvent } from '../../../../src/pull/providers/types.js';
import type { LdapServer } from './contract/server.js';
import { contractPerson } from './contract/server.js';
import { startSambaServer } from './contract/samba.js';
import { startSlapdServer } from './contract/slapd.js';
import { drain, membersIn, usersIn } from './support.js';

const SERVERS = [
  { name: 'OpenLDAP (slapd)', start: startSlapdServer },
  { name: 'Active Directory (Samba AD DC)', start: startSambaServer },
];

const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();
const removals = (events: DirectoryEvent[]) => events.filter((e) => e.type === 'user.removed' || e.type === 'group.removed');

describe.each(SERVERS)('the ldap provider against $name', ({ start }) => {
  let server: LdapServer;
  const id: Record<string, string> = {};

  beforeAll(async () => {
    const started = Date.now();
    server = await start();
    for (const name of ['alice', 'bob', 'carol']) id[name] = await server.addUser(name);
    id.team = await server.addGroup('team', [id.alice!, id.bob!]);
    id.outer = await server.addGroup('outer', [id.team!, id.carol!]);
    process.stderr.write(`ldap contract: ${server.flavor} server started and seeded in ${Date.now() - started} ms\n`);
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
  });

  /** A cursor from a full run of the contract OU as it is now. */
  async function cursorNow(): Promise<unknown> {
    const run = await server.connect().provider.run({ cursor: null });
    await drain(run);
    const cursor = run.nextCursor();
    expect(cursor).not.toBeNull();
    return cursor;
  }

  async function delta(cursor: unknown): Promise<{ events: DirectoryEvent[]; cursor: unknown }> {
    const run = await server.connect().provider.run({ cursor });
    expect(run.mode).toBe('delta');
    const events = await drain(run);
    return { events, cursor: run.nextCursor() };
  }

  it('lists, in a full run, every user by its stable id with the mapped fields, and every group with its direct members, a nested group as a group member', async () => {
    const run = await server.connect().provider.run({ cursor: null });
    expect(run.mode).toBe('full');
    const events = await drain(run);
    expect(usersIn(events).find((u) => u.externalId === id.alice)).toEqual({ externalId: id.alice, userName: server.expected.userName('alice'), ...contractPerson('alice'), active: true });
    expect(events.filter((e) => e.type === 'group').map((e) => e.type === 'group' && e.group.displayName)).toEqual(expect.arrayContaining(['team', 'outer']));
    expect(membersIn(events, id.team!)).toMatchObject({ mode: 'set', groupExternalIds: [] });
    expect(sorted(membersIn(events, id.team!)?.userExternalIds)).toEqual(sorted([id.alice!, id.bob!]));
    expect(membersIn(events, id.outer!)).toMatchObject({ mode: 'set', userExternalIds: [id.carol], groupExternalIds: [id.team] });
    expect(removals(events)).toEqual([]);
    expect(run.nextCursor()).not.toBeNull();
  });

  it('reports a join in a delta, with the mapped fields, and not the users that did not change', async () => {
    const cursor = await cursorNow();
    const dan = await server.addUser('dan');
    const { events } = await delta(cursor);
    expect(usersIn(events)).toContainEqual({ externalId: dan, userName: server.expected.userName('dan'), ...contractPerson('dan'), active: true });
    expect(usersIn(events).map((u) => u.externalId)).not.toContain(id.alice);
    expect(removals(events)).toEqual([]);
  });

  it('reports a rename (a new DN) as an update of the same id, never a leave and a join', async () => {
    const rn = await server.addUser('rn');
    const cursor = await cursorNow();
    await server.rename(rn, 'rn2');
    const { events } = await delta(cursor);
    expect(usersIn(events).filter((u) => u.externalId === rn)).toEqual([
      { externalId: rn, userName: server.expected.userNameAfterRename('rn', 'rn2'), ...contractPerson('rn'), displayName: 'rn2 Person', active: true },
    ]);
    expect(removals(events)).toEqual([]);
  });

  it('reports a move to another OU as an update of the same id, and the moved user stays a member of its groups', async () => {
    const mv = await server.addUser('mv');
    const mvg = await server.addGroup('mvg', [mv]);
    const cursor = await cursorNow();
    await server.move(mv);
    const { events } = await delta(cursor);
    expect(usersIn(events).filter((u) => u.externalId === mv)).toEqual([expect.objectContaining({ userName: server.expected.userName('mv'), active: true })]);
    expect(removals(events)).toEqual([]);
    const full = await drain(await server.connect().provider.run({ cursor: null }));
    expect(usersIn(full).filter((u) => u.externalId === mv)).toHaveLength(1);
    // slapd's refint overlay rewrites the group's member DN in the background, a few ms after the move
    // (AD's linked attributes follow at once): until then the old DN names nobody. Ids, not DNs, leave the group unchanged.
    await expect.poll(async () => membersIn(await drain(await server.connect().provider.run({ cursor: null })), mvg)?.userExternalIds).toEqual([mv]);
  });

  it('reports a disabled user as inactive with the server’s status, and enabled again as active', async () => {
    const dis = await server.addUser('dis');
    const cursor = await cursorNow();
    await server.disable(dis);
    const disabled = await delta(cursor);
    expect(usersIn(disabled.events).find((u) => u.externalId === dis)).toMatchObject({ active: false, status: server.expected.disabledStatus });
    await server.enable(dis);
    const enabled = await delta(disabled.cursor);
    const user = usersIn(enabled.events).find((u) => u.externalId === dis);
    expect(user).toMatchObject({ active: true });
    expect(user).not.toHaveProperty('status');
    expect(removals([...disabled.events, ...enabled.events])).toEqual([]);
  });

  it('reports, in a delta, a deleted user and a deleted group as removals, last, and a full run no longer lists them', async () => {
    const del = await server.addUser('del');
    const delg = await server.addGroup('delg', [del]);
    const cursor = await cursorNow();
    await server.remove(delg);
    await server.remove(del);
    const { events } = await delta(cursor);
    expect(removals(events)).toEqual(expect.arrayContaining([
      { type: 'user.removed', externalId: del, reason: 'deleted' },
      { type: 'group.removed', externalId: delg },
    ]));
    expect(removals(events)).toHaveLength(2);
    expect(events.slice(-2)).toEqual(removals(events));
    const full = await drain(await server.connect().provider.run({ cursor: null }));
    expect(usersIn(full).map((u) => u.externalId)).not.toContain(del);
    expect(membersIn(full, delg)).toBeUndefined();
  });

  it('reports a member added, a member removed and a group nested, each as the group’s whole member set', async () => {
    const [gm1, gm2] = [await server.addUser('gm1'), await server.addUser('gm2')];
    const gm = await server.addGroup('gm', [gm1]);
    // A group of this case's own: nesting one the other cases look up (team) would change their transitive groups.
    const sub = await server.addGroup('gmsub', [gm1]);
    const cursor = await cursorNow();
    await server.addMember(gm, gm2);
    const added = await delta(cursor);
    expect(membersIn(added.events, gm)).toMatchObject({ mode: 'set', groupExternalIds: [] });
    expect(sorted(membersIn(added.events, gm)?.userExternalIds)).toEqual(sorted([gm1, gm2]));
    await server.removeMember(gm, gm1);
    await server.addMember(gm, sub);
    const changed = await delta(added.cursor);
    expect(membersIn(changed.events, gm)).toEqual({ type: 'members', groupExternalId: gm, mode: 'set', userExternalIds: [gm2], groupExternalIds: [sub] });
    // A member leaving is a member change, not a removal of anyone.
    expect(removals([...added.events, ...changed.events])).toEqual([]);
  });

  it('reads a group of more than 1,500 members (AD’s MaxValRange) whole', async () => {
    const events = await drain(await server.connect({ scope: 'big' }).provider.run({ cursor: null }));
    const users = usersIn(events).map((u) => u.externalId);
    expect(users).toHaveLength(server.bigGroup.size);
    const members = membersIn(events, server.bigGroup.id);
    expect(members?.userExternalIds).toHaveLength(server.bigGroup.size);
    expect(sorted(members?.userExternalIds)).toEqual(sorted(users));
  }, 60_000);

  it('fails a full run whose listing drops part way: the pages read so far, then a network error, and no cursor', async () => {
    await server.addUser('pf1');
    const { provider } = server.connect({ throughProxy: true, settings: { pageSize: 2 } });
    server.dropUserListingAt(2);
    const run = await provider.run({ cursor: null });
    const seen: DirectoryEvent[] = [];
    const reading = (async () => {
      for await (const page of run.pages) seen.push(...page);
    })();
    await expect(reading).rejects.toBeInstanceOf(ProviderError);
    await expect(reading).rejects.toMatchObject({ kind: 'network' });
    // The first page of two users, then the second page's request dropped.
    expect(usersIn(seen)).toHaveLength(2);
    expect(seen.some((e) => e.type !== 'user')).toBe(false);
    expect(run.nextCursor()).toBeNull();
  });

  it('removes nobody in a delta whose listing drops part way, and has no cursor; the next delta from the same cursor sees the deletion', async () => {
    const gone = await server.addUser('gone');
    const cursor = await cursorNow();
    await server.remove(gone);
    // Joins after the cursor: a delta's user listing spans pages on every server.
    for (const name of ['pj1', 'pj2', 'pj3']) await server.addUser(name);
    const { provider } = server.connect({ throughProxy: true, settings: { pageSize: 2 } });
    server.dropUserListingAt(2);
    const run = await provider.run({ cursor });
    expect(run.mode).toBe('delta');
    const seen: DirectoryEvent[] = [];
    await expect((async () => {
      for await (const page of run.pages) seen.push(...page);
    })()).rejects.toMatchObject({ kind: 'network' });
    expect(removals(seen)).toEqual([]);
    expect(run.nextCursor()).toBeNull();
    const { events } = await delta(cursor);
    expect(removals(events)).toEqual([{ type: 'user.removed', externalId: gone, reason: 'deleted' }]);
  });

  it('runs a full snapshot, saying why, from a cursor the server was restored behind, and from a cursor for another base DN', async () => {
    const cursor = await cursorNow();
    const restored = server.connect();
    const run = await restored.provider.run({ cursor: server.restored(cursor) });
    expect(run.mode).toBe('full');
    expect(usersIn(await drain(run)).map((u) => u.externalId)).toContain(id.alice);
    expect(run.nextCursor()).not.toBeNull();
    expect(restored.warnings).toEqual([expect.stringMatching(server.expected.restoreWarning)]);

    const elsewhere = server.connect({ settings: { baseDn: `OU=People,${server.baseDn}` } });
    const other = await elsewhere.provider.run({ cursor });
    expect(other.mode).toBe('full');
    expect(usersIn(await drain(other)).map((u) => u.externalId)).toContain(id.alice);
    expect(elsewhere.warnings).toEqual([expect.stringMatching(/cursor not usable .*another base DN.*full snapshot/)]);
  });

  it('looks one user up live, by login, email or id, with their groups', async () => {
    const { provider } = server.connect();
    const groups = server.expected.lookupGroups === 'direct' ? ['team'] : ['outer', 'team'];
    for (const lookup of [{ userName: server.expected.userName('alice') }, { email: 'alice@roster.test' }, { externalId: id.alice! }]) {
      const found = await provider.fetchUser(lookup);
      expect(found?.user).toEqual({ externalId: id.alice, userName: server.expected.userName('alice'), ...contractPerson('alice'), active: true });
      expect(found?.groups.map((g) => g.displayName).sort()).toEqual(groups);
    }
    expect(await provider.fetchUser({ userName: 'nobody' })).toBeNull();
    // A value is escaped in the filter, not read as filter syntax.
    expect(await provider.fetchUser({ userName: '*' })).toBeNull();
  });

  it('tests the connection, naming a bad password and a base DN that does not exist', async () => {
    expect(await server.connect().provider.test()).toMatchObject({ ok: true });
    const badPassword = await server.connect({ password: 'wrong-password' }).provider.test();
    expect(badPassword.ok).toBe(false);
    expect(badPassword.checks.filter((c) => !c.ok)).toEqual([expect.objectContaining({ name: expect.stringMatching(/^bind as /), detail: expect.stringMatching(/bad credentials \(LDAP result 49\)/) })]);
    const noBase = await server.connect({ settings: { baseDn: `OU=Nowhere,${server.baseDn}` } }).provider.test();
    expect(noBase.ok).toBe(false);
    expect(noBase.checks.filter((c) => !c.ok)).toEqual([{ name: `base DN OU=Nowhere,${server.baseDn}`, ok: false, detail: 'not found (LDAP result 32)' }]);
  });
});
