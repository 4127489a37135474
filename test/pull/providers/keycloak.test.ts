/**
 * What is Keycloak's own in its runs, through the real admin client against
 * the fake: the group tree read either way (`/children` since Keycloak 23,
 * `subGroups` inline before), the requests' exact shape, and deltas from
 * admin events, with their fallback to full runs when the realm does not
 * save them or the service account may not read them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeycloakProvider } from '../../../src/pull/providers/keycloak/index.js';
import type { DirectoryEvent } from '../../../src/pull/providers/types.js';
import { drain, fakeKeycloakContext, recordingLogger, startFakeKeycloak, type FakeKeycloak, type FakeKeycloakOptions } from '../../fakes/keycloak/index.js';
import { foldMembers } from './contract/fixtures.js';

let fake: FakeKeycloak;
const start = async (options: FakeKeycloakOptions = {}) => {
  fake = await startFakeKeycloak(options);
};
afterEach(async () => {
  await fake.close();
});

const groupIds = (events: DirectoryEvent[]) => events.flatMap((e) => (e.type === 'group' ? [e.group.externalId] : []));
const userIds = (events: DirectoryEvent[]) => events.flatMap((e) => (e.type === 'user' ? [e.user.externalId] : []));
const provider = (settings: Record<string, unknown> = {}, logger?: ReturnType<typeof recordingLogger>['logger']) => {
  const context = fakeKeycloakContext(fake, { settings, ...(logger ? { logger } : {}) });
  return { provider: createKeycloakProvider(context), stats: context.stats };
};

/** Engineering ⊃ Platform ⊃ {Core, Edge}; Sales; one user in each of the deepest groups. */
function seedTree() {
  const r = fake.realm;
  const [ann, bo, cy] = ['ann', 'bo', 'cy'].map((n) => r.addUser({ username: n, email: `${n}@example.com` }).id) as [string, string, string];
  const eng = r.addGroup('Engineering');
  const plat = r.addGroup('Platform', eng.id);
  const core = r.addGroup('Core', plat.id);
  const edge = r.addGroup('Edge', plat.id);
  const sales = r.addGroup('Sales');
  r.addMember(eng.id, ann);
  r.addMember(core.id, bo);
  r.addMember(edge.id, cy);
  return { ann, bo, cy, eng: eng.id, plat: plat.id, core: core.id, edge: edge.id, sales: sales.id };
}

describe.each([
  ['Keycloak 23 and later: subgroups from /groups/{id}/children', false],
  ['before Keycloak 23: the tree inline in subGroups', true],
])('the group tree, %s', (_name, legacyGroups) => {
  beforeEach(() => start({ legacyGroups }));

  it('reports every group once, each subgroup as a direct member of its parent, users under their own group only', async () => {
    const t = seedTree();
    const { events, error } = await drain(await provider().provider.run({ cursor: null }));
    expect(error).toBeNull();
    expect(groupIds(events).sort()).toEqual([t.eng, t.plat, t.core, t.edge, t.sales].sort());
    const members = foldMembers(events);
    expect(members.get(t.eng)).toEqual({ users: new Set([t.ann]), groups: new Set([t.plat]) });
    expect(members.get(t.plat)).toEqual({ users: new Set(), groups: new Set([t.core, t.edge]) });
    expect(members.get(t.core)).toEqual({ users: new Set([t.bo]), groups: new Set() });
    expect(members.get(t.sales)).toEqual({ users: new Set(), groups: new Set() });
    expect(events.find((e) => e.type === 'group' && e.group.externalId === t.core)).toMatchObject({ group: { displayName: 'Core', profile: { path: '/Engineering/Platform/Core' } } });
    // Before 23 there is no /children to ask; since 23, only groups that say they have subgroups are asked.
    expect(fake.requestsTo('groupChildren').map((r) => r.path)).toEqual(legacyGroups ? [] : [`/admin/realms/acme/groups/${t.eng}/children`, `/admin/realms/acme/groups/${t.plat}/children`]);
  });

  it('a delta after a subgroup is created reports it and its parent\'s new member list', async () => {
    const t = seedTree();
    const p = provider().provider;
    const full = await drain(await p.run({ cursor: null }));
    const ops = fake.realm.addGroup('Ops', t.plat);
    const delta = await drain(await p.run({ cursor: full.cursor }));
    expect(delta.error).toBeNull();
    expect(groupIds(delta.events)).toContain(ops.id);
    expect(foldMembers(delta.events, foldMembers(full.events)).get(t.plat)!.groups).toEqual(new Set([t.core, t.edge, ops.id]));
  });
});

describe('requests as the admin client sends them', () => {
  beforeEach(() => start());

  it('lists with first/max until a short page, on the client\'s trailing-slash paths, counting every request', async () => {
    for (let i = 0; i < 10; i++) fake.realm.addUser({ username: `u${i}` });
    for (let i = 0; i < 4; i++) fake.realm.addGroup(`G${i}`);
    const { provider: p, stats } = provider({ pageSize: 5 });
    const { events, error } = await drain(await p.run({ cursor: null }));
    expect(error).toBeNull();
    expect(userIds(events)).toHaveLength(10);
    // 10 users at 5 a page: two full pages, then the short (empty) one that ends the listing.
    expect(fake.requestsTo('users').map((r) => [r.path, r.query.get('first'), r.query.get('max')])).toEqual([
      ['/admin/realms/acme/users/', '0', '5'], ['/admin/realms/acme/users/', '5', '5'], ['/admin/realms/acme/users/', '10', '5'],
    ]);
    expect(fake.requestsTo('groups').map((r) => r.path)).toEqual(['/admin/realms/acme/groups/']);
    expect(stats.apiRequests).toBe(fake.requests.length);
  });

  it('asks the full representation only when the mapping reads an attribute other than the default displayName', async () => {
    fake.realm.addUser({ username: 'u', attributes: { employeeNumber: ['E-1'] } });
    await drain(await provider().provider.run({ cursor: null }));
    await drain(await provider({ attributeMapping: { userName: 'attributes.employeeNumber' } }).provider.run({ cursor: null }));
    expect(fake.requestsTo('users').map((r) => r.query.get('briefRepresentation'))).toEqual(['false', 'false']);
  });

  it('reads admin events from the cursor\'s millisecond, for users, groups and memberships only', async () => {
    fake.realm.addUser({ username: 'u' });
    const p = provider().provider;
    const full = await drain(await p.run({ cursor: null }));
    await drain(await p.run({ cursor: full.cursor }));
    const read = fake.requestsTo('adminEvents').at(-1)!;
    expect(read.path).toBe('/admin/realms/acme/admin-events');
    expect(read.query.getAll('resourceTypes')).toEqual(['USER', 'GROUP', 'GROUP_MEMBERSHIP']);
    expect(read.query.get('dateFrom')).toBe(String((full.cursor as { since: number }).since));
  });
});

describe('deltas from admin events', () => {
  beforeEach(() => start());

  it('reads only what the events name: the changed user, the group whose members changed, the deleted ones', async () => {
    const t = seedTree();
    const p = provider().provider;
    const full = await drain(await p.run({ cursor: null }));
    fake.realm.updateUser(t.bo, { firstName: 'Bob' });
    fake.realm.removeMember(t.edge, t.cy);
    fake.realm.deleteUser(t.ann);
    fake.realm.deleteGroup(t.sales);
    fake.requests.splice(0);
    const delta = await drain(await p.run({ cursor: full.cursor }));
    expect(delta.error).toBeNull();
    expect(delta.events).toEqual([
      { type: 'user', user: expect.objectContaining({ externalId: t.bo, givenName: 'Bob' }) },
      { type: 'group', group: expect.objectContaining({ externalId: t.edge }) },
      { type: 'members', groupExternalId: t.edge, mode: 'set', userExternalIds: [], groupExternalIds: [] },
      { type: 'user.removed', externalId: t.ann, reason: 'deleted' },
      { type: 'group.removed', externalId: t.sales },
    ]);
    expect(fake.requestsTo('users')).toEqual([]); // no listing: one read per named user
  });

  it('reads the user listing instead of one user at a time when a bulk change makes that cheaper', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => fake.realm.addUser({ username: `u${i}` }).id);
    const p = provider({ pageSize: 5 }).provider;
    const full = await drain(await p.run({ cursor: null }));
    for (const id of ids) fake.realm.updateUser(id, { lastName: 'Renamed' });
    fake.requests.splice(0);
    const delta = await drain(await p.run({ cursor: full.cursor }));
    expect(userIds(delta.events).sort()).toEqual([...ids].sort());
    expect(fake.requestsTo('usersCount')).toHaveLength(1);
    expect(fake.requestsTo('users')).toHaveLength(3);
    expect(fake.requestsTo('user')).toEqual([]);
  });

  it('neither loses nor repeats events that share the cursor\'s millisecond', async () => {
    const [a, b] = [fake.realm.addUser({ username: 'a' }).id, fake.realm.addUser({ username: 'b' }).id];
    const p = provider().provider;
    const full = await drain(await p.run({ cursor: null }));
    const since = (full.cursor as { since: number }).since;
    // Written in the same millisecond as the newest event the full run saw, but after it.
    fake.realm.events.push({ ...fake.realm.events.at(-1)!, id: 'late', resourcePath: `users/${b}`, operationType: 'UPDATE', time: since });
    const delta = await drain(await p.run({ cursor: full.cursor }));
    expect(userIds(delta.events)).toEqual([b]);
    const again = await drain(await p.run({ cursor: delta.cursor }));
    expect(again.events).toEqual([]);
    expect(a).toBeTruthy();
  });

  it('asks for the day where the server takes no milliseconds (older Keycloak), and keeps only the events since the cursor', async () => {
    await fake.close();
    await start({ dateFromDaysOnly: true });
    const [a, b] = [fake.realm.addUser({ username: 'a' }).id, fake.realm.addUser({ username: 'b' }).id];
    const p = provider().provider;
    const full = await drain(await p.run({ cursor: null }));
    fake.realm.updateUser(b, { firstName: 'Bee' });
    const delta = await drain(await p.run({ cursor: full.cursor }));
    expect(delta.error).toBeNull();
    expect(userIds(delta.events)).toEqual([b]);
    expect(fake.requestsTo('adminEvents').at(-1)!.query.get('dateFrom')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(a).not.toBe(b);
  });

  it.each([
    ['the realm does not save admin events', () => void (fake.realm.adminEventsEnabled = false), /does not save admin events/],
    ['the service account lacks view-events', () => void fake.client.roles.delete('view-events'), /view-events/],
  ])('runs a delta as a full listing when %s, says so in the run\'s log, and hands out no cursor', async (_why, deny, reason) => {
    const t = seedTree();
    const { logger, lines } = recordingLogger();
    const p = provider({}, logger).provider;
    const full = await drain(await p.run({ cursor: null }));
    deny();
    fake.realm.deleteUser(t.ann);
    const run = await p.run({ cursor: full.cursor });
    expect(run.mode).toBe('full');
    const after = await drain(run);
    expect(after.error).toBeNull();
    expect(after.cursor).toBeNull();
    expect(userIds(after.events).sort()).toEqual([t.bo, t.cy].sort()); // a complete listing: ann's absence tells the reconciler
    expect(lines.some((l) => l.level === 'warn' && reason.test(l.message) && /this delta runs as a full listing/.test(l.message))).toBe(true);
  });
});
