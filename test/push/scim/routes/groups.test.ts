/** SCIM /Groups over HTTP: members in the shapes Entra, Okta and JumpCloud send. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../../../src/core/store/index.js';
import { op } from '../../../admin/operations/support.js';
import { scimHarness, userBody, type ScimHarness } from './support.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
let h: ScimHarness;
let users: string[] = [];
let n = 0;

beforeAll(async () => {
  h = await scimHarness();
  for (let i = 0; i < 4; i++) users.push((await h.request('POST', '/scim/v2/Users', userBody(`member${i}@acme.test`))).body.id);
});
afterAll(() => h.close());

const createGroup = async (members: string[] = []) => {
  const res = await h.request('POST', '/scim/v2/Groups', { schemas: [GROUP], displayName: `Group ${++n}`, members: members.map((value) => ({ value })) });
  expect(res.status).toBe(201);
  return res.body as { id: string; members?: Array<{ value: string }>; meta: { version: string } };
};
const patch = (id: string, Operations: unknown[]) => h.request('PATCH', `/scim/v2/Groups/${id}`, { schemas: [PATCH_OP], Operations });
const memberIds = async (groupId: string) =>
  (await queryRows<{ user_id: string }>(h.store.db, sql`select user_id from group_memberships where group_id = ${groupId}::uuid order by user_id`)).map((r) => r.user_id);
const sorted = (ids: string[]) => [...ids].sort();

describe('SCIM groups', () => {
  it('creates a group with members and skips a member id that is not a user of this connection', async () => {
    const res = await h.request('POST', '/scim/v2/Groups', {
      schemas: [GROUP],
      displayName: 'Engineering',
      externalId: 'okta-00g1',
      members: [{ value: users[0] }, { value: '00000000-0000-4000-8000-000000000000' }],
    });
    expect(res.status).toBe(201);
    expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([users[0]]);
    expect(res.body.members[0]).toMatchObject({ display: 'member0@acme.test', type: 'User' });
  });

  it('adds members in bulk (Entra), removes by value array (Entra) and by filter (Okta)', async () => {
    const g = await createGroup();
    await patch(g.id, [{ op: 'Add', path: 'members', value: users.slice(0, 3).map((value) => ({ value })) }]);
    expect(await memberIds(g.id)).toEqual(sorted(users.slice(0, 3)));
    await patch(g.id, [{ op: 'Remove', path: 'members', value: [{ value: users[0] }] }]);
    await patch(g.id, [{ op: 'remove', path: `members[value eq "${users[1]}"]` }]);
    expect(await memberIds(g.id)).toEqual([users[2]]);
  });

  it('replaces members wholesale, and with [] empties the group', async () => {
    const g = await createGroup(users.slice(0, 2));
    await patch(g.id, [{ op: 'replace', path: 'members', value: [{ value: users[2] }, { value: users[3] }] }]);
    expect(await memberIds(g.id)).toEqual(sorted(users.slice(2, 4)));
    await patch(g.id, [{ op: 'replace', path: 'members', value: [] }]);
    expect(await memberIds(g.id)).toEqual([]);
  });

  it('removes all members when Remove has no value (Microsoft reference collection)', async () => {
    const g = await createGroup(users.slice(0, 2));
    await patch(g.id, [{ op: 'remove', path: 'members' }]);
    expect(await memberIds(g.id)).toEqual([]);
  });

  it('renames with Okta’s no-path replace carrying the group id, and answers 200 with the group', async () => {
    const g = await createGroup();
    const res = await patch(g.id, [{ op: 'replace', value: { id: g.id, displayName: 'Renamed by Okta' } }]);
    expect(res.status).toBe(200);
    expect(res.body.displayName).toBe('Renamed by Okta');
  });

  it('does not fail a whole PATCH for one unknown member id (a bare string, as Microsoft sends)', async () => {
    const g = await createGroup();
    const res = await patch(g.id, [{ op: 'add', path: 'members', value: 'string id 1' }, { op: 'add', path: 'members', value: [{ value: users[3] }] }]);
    expect(res.status).toBe(200);
    expect(await memberIds(g.id)).toEqual([users[3]]);
  });

  it('honours excludedAttributes=members on get and list, and filters by member (Entra)', async () => {
    const g = await createGroup([users[0]!]);
    const got = await h.request('GET', `/scim/v2/Groups/${g.id}?excludedAttributes=members`);
    expect(got.body.members).toBeUndefined();
    expect(got.body.displayName).toBe(`Group ${n}`);
    const listed = await h.request('GET', '/scim/v2/Groups?excludedAttributes=members');
    expect(listed.body.Resources.every((r: Record<string, unknown>) => !('members' in r))).toBe(true);
    const filter = encodeURIComponent(`id eq "${g.id}" and members[value eq "${users[0]}"]`);
    expect((await h.request('GET', `/scim/v2/Groups?filter=${filter}`)).body.totalResults).toBe(1);
  });

  it('shows a member with the display the IdP sent, else the user’s own name', async () => {
    const g = await createGroup([users[0]!]);
    const res = await patch(g.id, [{ op: 'add', path: 'members', value: [{ value: users[1], displayName: 'new User' }] }]);
    const displays = Object.fromEntries(res.body.members.map((m: { value: string; display: string }) => [m.value, m.display]));
    expect(displays).toEqual({ [users[0]!]: 'member0@acme.test', [users[1]!]: 'new User' });
  });

  it('moves the group’s version when its members change', async () => {
    const g = await createGroup();
    const res = await patch(g.id, [{ op: 'add', path: 'members', value: [{ value: users[1] }] }]);
    expect(res.body.meta.version).not.toBe(g.meta.version);
    expect(res.headers.etag).toBe(res.body.meta.version);
  });

  it('grants the mapped role through group membership pushed over SCIM', async () => {
    await op(h.ctx, 'role.create', { tenant: 'acme', name: 'engineer' });
    await op(h.ctx, 'mapping.add', { tenant: 'acme', group: 'Platform', role: 'engineer', connection: h.connectionId });
    const res = await h.request('POST', '/scim/v2/Groups', { schemas: [GROUP], displayName: 'Platform', members: [{ value: users[2] }] });
    expect(res.status).toBe(201);
    const roles = await queryRows<{ source: string }>(h.store.db, sql`select source from user_roles where user_id = ${users[2]!}::uuid`);
    expect(roles).toEqual([{ source: 'idp' }]);
  });

  it('replaces a group on PUT and deletes it on DELETE', async () => {
    const g = await createGroup([users[0]!]);
    const put = await h.request('PUT', `/scim/v2/Groups/${g.id}`, { schemas: [GROUP], id: g.id, displayName: 'putName', members: [{ value: users[1] }] });
    expect(put.body).toMatchObject({ displayName: 'putName', members: [{ value: users[1] }] });
    expect((await h.request('DELETE', `/scim/v2/Groups/${g.id}`)).status).toBe(204);
    expect((await h.request('GET', `/scim/v2/Groups/${g.id}`)).status).toBe(404);
  });
});
