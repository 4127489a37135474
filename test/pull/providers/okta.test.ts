/**
 * The Okta provider through the real SDK against the fake org: what is
 * Okta's own (profile extras, the Everyone group, the search and filter
 * expressions of a delta). What every provider does is in ./contract.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOktaProvider } from '../../../src/pull/providers/okta/index.js';
import type { DirectoryProvider } from '../../../src/pull/providers/types.js';
import {
  collect, fakeOktaContext, groupsOf, membersOf, startFakeOkta, usersOf,
  type FakeOkta, type OktaUserStatus,
} from '../../fakes/okta/index.js';

const DAY = 86_400_000;
let fake: FakeOkta;

beforeEach(async () => {
  fake = await startFakeOkta();
});
afterEach(async () => {
  await fake.close();
});

/** Seeds users whose last change was yesterday, so a delta after a snapshot sees only what a test changes. */
function seedUsers(n: number, status: (i: number) => OktaUserStatus = () => 'ACTIVE') {
  const at = Date.now() - DAY;
  return Array.from({ length: n }, (_, i) =>
    fake.directory.addUser({ status: status(i), lastUpdated: at, profile: { login: `u${i}@example.com`, firstName: `F${i}`, lastName: `L${i}` } }),
  );
}

function provider(options: Parameters<typeof fakeOktaContext>[1] = {}): { p: DirectoryProvider; ctx: ReturnType<typeof fakeOktaContext> } {
  const ctx = fakeOktaContext(fake, options);
  return { p: createOktaProvider(ctx), ctx };
}

describe('full snapshot', () => {
  it('maps names, email and SCIM-shaped profile extras', async () => {
    fake.directory.addUser({
      profile: { login: 'ada@example.com', email: 'ada@work.example', firstName: 'Ada', lastName: 'Lovelace', title: 'Countess', department: 'Math', employeeNumber: '42', mobilePhone: '+44 1' },
    });
    fake.directory.addUser({ profile: { login: 'alan@example.com', firstName: 'Alan', lastName: 'Turing', displayName: 'A. M. Turing' } });
    const users = usersOf((await collect(await provider().p.run({ cursor: null }))).events);
    expect(users[0]).toMatchObject({
      userName: 'ada@example.com', email: 'ada@work.example', displayName: 'Ada Lovelace', givenName: 'Ada', familyName: 'Lovelace', active: true,
      profile: {
        title: 'Countess',
        phoneNumbers: [{ value: '+44 1', type: 'mobile' }],
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Math', employeeNumber: '42' },
      },
    });
    expect(users[1]!.displayName).toBe('A. M. Turing');
  });

  it('lists members as a set page then add pages, skips Everyone, and lists empty groups as an empty set', async () => {
    const users = seedUsers(2500);
    const big = fake.directory.addGroup({ name: 'Big' });
    const empty = fake.directory.addGroup({ name: 'Empty', type: 'APP_GROUP' });
    for (const u of users) fake.directory.addMember(big.id, u.id);
    const { events } = await collect(await provider().p.run({ cursor: null }));

    expect(groupsOf(events).map((g) => g.displayName)).toEqual(['Big', 'Empty']);
    const pages = membersOf(events, big.id);
    // The group's last page says so: the reconciler may write a whole list while the listing goes on.
    expect(pages.map((e) => [e.mode, e.userExternalIds.length, e.last ?? false])).toEqual([['set', 1000, false], ['add', 1000, false], ['add', 500, true]]);
    expect(new Set(pages.flatMap((e) => e.userExternalIds))).toEqual(new Set(users.map((u) => u.id)));
    expect(membersOf(events, empty.id)).toEqual([{ type: 'members', groupExternalId: empty.id, mode: 'set', userExternalIds: [], groupExternalIds: [], last: true }]);
    // The Everyone group is neither reported nor listed (it would cost users/1000 requests).
    expect(membersOf(events, fake.directory.everyone.id)).toEqual([]);
    expect(fake.requestsTo('groupMembers').some((r) => r.path.includes(fake.directory.everyone.id))).toBe(false);
  });
});

describe('delta', () => {
  it('returns only what changed since the cursor and re-lists members only of groups whose membership moved', async () => {
    const at = Date.now() - DAY;
    const users = seedUsers(300);
    const groups = ['Eng', 'Sales', 'Ops'].map((name) => fake.directory.addGroup({ name, lastUpdated: at }));
    for (const g of groups) fake.directory.addMember(g.id, users[0]!.id, at);
    const { p } = provider();
    const first = await p.run({ cursor: null });
    await collect(first);
    const cursor = first.nextCursor() as { users: string; groups: string };
    expect(Date.parse(cursor.users)).toBeGreaterThan(at - DAY);
    expect(Date.parse(cursor.users)).toBeLessThan(Date.now());

    const [a, b, c, d] = [users[1]!, users[2]!, users[3]!, users[4]!];
    fake.directory.updateUser(a.id, { title: 'Director' });
    fake.directory.suspend(b.id);
    fake.directory.deactivate(c.id);
    fake.directory.deactivate(d.id);
    fake.directory.deleteUser(d.id); // DEPROVISIONED, then deleted for good: no listing shows it, the System Log does
    fake.directory.addMember(groups[0]!.id, users[5]!.id);
    fake.directory.updateGroup(groups[1]!.id, { name: 'Sales EMEA' });
    fake.requests.length = 0;

    const delta = await p.run({ cursor });
    expect(delta.mode).toBe('delta');
    const { events } = await collect(delta);
    const changed = usersOf(events);
    expect(changed.map((u) => u.externalId).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(changed.find((u) => u.externalId === c.id)).toMatchObject({ active: false, status: 'DEPROVISIONED' });
    expect(changed.find((u) => u.externalId === b.id)).toMatchObject({ active: false, status: 'SUSPENDED' });
    expect(events.filter((e) => e.type === 'user.removed')).toEqual([{ type: 'user.removed', externalId: d.id, reason: 'deleted' }]);
    expect(groupsOf(events).map((g) => g.displayName).sort()).toEqual(['Eng', 'Sales EMEA']);
    // Membership moved for Eng only (Sales changed its name): one member listing, a full `set`.
    expect(fake.requestsTo('groupMembers').map((r) => r.path)).toEqual([`/api/v1/groups/${groups[0]!.id}/users`]);
    expect(membersOf(events, groups[0]!.id)).toMatchObject([{ mode: 'set', userExternalIds: [users[0]!.id, users[5]!.id] }]);
    expect(fake.requestsTo('groups')[0]!.query.filter).toBe(`lastUpdated gt "${cursor.groups}" or lastMembershipUpdated gt "${cursor.groups}"`);
    expect(fake.requestsTo('users')[0]!.query.search).toBe(`lastUpdated gt "${cursor.users}"`);

    // A full run no longer lists the deleted user.
    const full = usersOf((await collect(await p.run({ cursor: delta.nextCursor(), full: true }))).events);
    expect(full.some((u) => u.externalId === d.id)).toBe(false);
    expect(full).toHaveLength(299);
  });
});
