/**
 * How the Zitadel provider reads role members: one listing of each project's
 * active grants (a grant carries every role key its user holds there), not a
 * listing per role, in full runs and in the delta after a grant change; and
 * the large fake's index answering that listing as the plain fake does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createZitadelProvider } from '../../../src/pull/providers/zitadel/index.js';
import { fakeZitadelContext, generateInstance, startFakeZitadel, startLargeFakeZitadel, type FakeZitadel } from '../../fakes/zitadel/index.js';
import { cursorOf, foldMembers, list, memberEvents } from './contract/fixtures.js';

let fake: FakeZitadel;
let app: string;
let ops: string;
let users: string[];

beforeEach(async () => {
  fake = await startFakeZitadel();
  const d = fake.directory;
  app = d.addProject('App').id;
  ops = d.addProject('Ops').id;
  for (const key of ['admin', 'editor', 'viewer', 'nobody']) d.addRole(app, key);
  d.addRole(ops, 'oncall');
  users = ['ann', 'bo', 'cy'].map((n) => d.addUser({ username: `${n}@acme.test` }).userId);
  d.grantRole(users[0]!, app, 'admin');
  d.grantRole(users[0]!, app, 'editor');
  d.grantRole(users[1]!, app, 'editor');
  d.grantRole(users[1]!, app, 'viewer');
  d.grantRole(users[2]!, ops, 'oncall');
  d.advance(10 * 60_000);
});
afterEach(() => fake.close());

const grantListings = () => fake.requests.filter((r) => r.route === 'authorizations');

describe('role members from each project\'s grants', () => {
  it('lists each project\'s active grants once, filtered by project and state only, and derives every role\'s complete member set', async () => {
    const run = await list({ provider: createZitadelProvider(fakeZitadelContext(fake)) });
    expect(run.error).toBeUndefined();
    // Projects are read up to the concurrency at once: their requests may arrive in either order.
    expect(grantListings().map((r) => r.body.filters)).toHaveLength(2);
    expect(grantListings().map((r) => r.body.filters)).toEqual(expect.arrayContaining([app, ops].map((id) => [{ projectId: { id } }, { state: { state: 'STATE_ACTIVE' } }])));
    const members = foldMembers(run.events);
    expect(members.get(`${app}:admin`)!.users).toEqual(new Set([users[0]]));
    expect(members.get(`${app}:editor`)!.users).toEqual(new Set([users[0], users[1]]));
    expect(members.get(`${app}:viewer`)!.users).toEqual(new Set([users[1]]));
    expect(members.get(`${ops}:oncall`)!.users).toEqual(new Set([users[2]]));
    // A role nobody holds still gets its complete, empty list.
    expect(memberEvents(run.events, `${app}:nobody`)).toEqual([{ type: 'members', groupExternalId: `${app}:nobody`, mode: 'set', userExternalIds: [], groupExternalIds: [] }]);
    // One `set` per role: every list is complete when it is streamed.
    for (const g of ['admin', 'editor', 'viewer', 'nobody']) expect(memberEvents(run.events, `${app}:${g}`).map((e) => e.mode)).toEqual(['set']);
  });

  it('splits a role held by more users than a page into a `set` and `add`s, from pages of the project\'s grants', async () => {
    const many = Array.from({ length: 1500 }, (_, i) => fake.directory.addUser({ username: `m${i}@acme.test` }).userId);
    for (const id of many) fake.directory.grantRole(id, app, 'viewer');
    const run = await list({ provider: createZitadelProvider(fakeZitadelContext(fake)) });
    expect(run.error).toBeUndefined();
    // 1,502 grants in App (two pages), 1 in Ops.
    const pagesOf = (id: string) => grantListings().filter((r) => JSON.stringify(r.body.filters).includes(id)).map((r) => r.page);
    expect([pagesOf(app), pagesOf(ops)]).toEqual([[1, 2], [1]]);
    const viewer = memberEvents(run.events, `${app}:viewer`);
    expect(viewer.map((e) => [e.mode, e.userExternalIds.length])).toEqual([['set', 1000], ['add', 501]]);
    expect(foldMembers(run.events).get(`${app}:viewer`)!.users).toEqual(new Set([users[1], ...many]));
  });

  it('after a grant change, the delta lists each project\'s grants once again (not each role)', async () => {
    const provider = createZitadelProvider(fakeZitadelContext(fake));
    const cursor = cursorOf(await list({ provider }));
    fake.requests.splice(0);
    fake.directory.revokeRole(users[0]!, app, 'editor');
    const delta = await list({ provider }, { cursor });
    expect(delta.mode).toBe('delta');
    expect(grantListings()).toHaveLength(2);
    expect(foldMembers(delta.events).get(`${app}:editor`)!.users).toEqual(new Set([users[1]]));
  });
});

describe('the large fake', () => {
  it('answers a project\'s grant listing from its index exactly as the plain fake does, and sees later changes', async () => {
    const large = await startLargeFakeZitadel();
    const plain = await startFakeZitadel();
    try {
      const options = { users: 300, groups: 20, memberships: 900, seed: 3 };
      const { project, users: generated } = generateInstance(options, large.directory);
      generateInstance(options, plain.directory);
      const ask = async (f: FakeZitadel, filters: unknown[], offset: number) => {
        const res = await fetch(`${f.url}/zitadel.authorization.v2beta.AuthorizationService/ListAuthorizations`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-pat' },
          body: JSON.stringify({ pagination: { offset: String(offset), limit: 120 }, filters }),
        });
        return res.json();
      };
      const byProject = [{ projectId: { id: project.id } }, { state: { state: 'STATE_ACTIVE' } }];
      const byRole = [{ projectId: { id: project.id } }, { roleKey: { key: 'group00003' } }];
      for (const filters of [byProject, byRole]) {
        for (const offset of [0, 120, 240, 290]) expect(await ask(large, filters, offset)).toEqual(await ask(plain, filters, offset));
      }
      for (const f of [large, plain]) f.directory.removeUser(generated[0]!.userId);
      expect(await ask(large, byProject, 0)).toEqual(await ask(plain, byProject, 0));
      expect((await ask(large, byProject, 0) as { pagination: { totalResult: string } }).pagination.totalResult).toBe('299');
    } finally {
      await large.close();
      await plain.close();
    }
  });
});
