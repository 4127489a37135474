/**
 * Roles, group-to-role mappings and users over /api/v1, on a directory put
 * in place through the lifecycle layer (as a sync would): mapped roles
 * follow the mapping, manual grants are the admin's, and a key restricted
 * to one tenant reaches none of another's.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges } from '../../../src/core/lifecycle/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { groupCreate, userCreate } from '../../support/factories.js';
import { ADMIN_TOKEN, apiHarness, expectDocumented, type ApiHarness } from './support.js';

let h: ApiHarness;
let acmeKey: string;
let globexKey: string;
let scimId: string;
let ann: string;
const people = ['ann', 'anna', 'bob', 'carl_x', 'carlax'];

beforeAll(async () => {
  h = await apiHarness();
  const acme = await op(h.ctx, 'tenant.create', { slug: 'acme' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  scimId = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'scim', kind: 'scim' })).id;
  const users = people.map((name, n) =>
    userCreate(scimId, n, { attributes: { userName: `${name}@acme.test`, email: `${name}.mail@corp.test`, displayName: name, givenName: name, familyName: 'X' } }),
  );
  const engineering = groupCreate(scimId, 'Engineering');
  await applyChanges(h.store.db, { tenantId: acme.id, actor: { type: 'sync', id: 'test' } }, [
    ...users,
    engineering,
    { kind: 'membership.add', groupId: engineering.id!, userId: users[0]!.id! },
  ]);
  ann = users[0]!.id!;
  acmeKey = (await h.key('admin', 'acme')).key;
  globexKey = (await h.key('admin', 'globex')).key;
});
afterAll(() => h.close());

const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, key = ADMIN_TOKEN, body?: unknown) => h.send(method, `/api/v1${url}`, key, body);

describe('roles and mappings', () => {
  let mappingId: string;

  it('creates roles with 201 and lists them', async () => {
    const res = await api('POST', '/tenants/acme/roles', acmeKey, { name: 'developer', description: 'Writes code' });
    expect(res.statusCode).toBe(201);
    expectDocumented('Role', res.json());
    await api('POST', '/tenants/acme/roles', acmeKey, { name: 'auditor' });
    expect((await api('POST', '/tenants/acme/roles', acmeKey, { name: 'developer' })).statusCode).toBe(409);
    const bad = await api('POST', '/tenants/acme/roles', acmeKey, { name: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('"name"');
    const list = await api('GET', '/tenants/acme/roles', acmeKey);
    expectDocumented('RoleList', list.json());
    expect(list.json().roles.map((r: { name: string }) => r.name)).toEqual(['auditor', 'developer']);
  });

  it('maps a group to a role with 201: its members get the role at once', async () => {
    const res = await api('POST', '/tenants/acme/mappings', acmeKey, { group: 'engineering', role: 'developer', connection: 'scim' });
    expect(res.statusCode).toBe(201);
    expectDocumented('Mapping', res.json());
    expect(res.json()).toMatchObject({ role: 'developer', group: 'engineering', matchBy: 'display_name', connectionId: scimId });
    mappingId = res.json().id;
    const shown = (await api('GET', `/tenants/acme/users/${ann}`)).json();
    expect(shown.roles).toEqual([expect.objectContaining({ name: 'developer', source: 'idp' })]);
    const list = await api('GET', '/tenants/acme/mappings');
    expectDocumented('MappingList', list.json());
    expect(list.json().mappings.map((m: { id: string }) => m.id)).toEqual([mappingId]);
    expect(list.json().mappings[0]).toMatchObject({ connection: 'scim', tenantWide: false });
  });

  it('adds an explicitly tenant-wide mapping, listed as such', async () => {
    const res = await api('POST', '/tenants/acme/mappings', acmeKey, { group: 'Everyone', role: 'auditor', tenantWide: true });
    expect(res.statusCode).toBe(201);
    expectDocumented('Mapping', res.json());
    expect(res.json()).toMatchObject({ connection: null, connectionId: null, tenantWide: true });
    expect((await api('GET', '/tenants/acme/mappings')).json().mappings).toContainEqual(expect.objectContaining({ group: 'Everyone', tenantWide: true }));
    expect((await api('DELETE', `/tenants/acme/mappings/${res.json().id}`, acmeKey)).statusCode).toBe(204);
  });

  it('refuses a mapping naming both or neither group form, an unknown role, or another tenant\'s connection', async () => {
    const both = await api('POST', '/tenants/acme/mappings', ADMIN_TOKEN, { group: 'a', groupId: 'b', role: 'developer' });
    expect(both.statusCode).toBe(400);
    expect((await api('POST', '/tenants/acme/mappings', ADMIN_TOKEN, { group: 'a', role: 'nope', connection: 'scim' })).statusCode).toBe(404);
    // A mapping names its connection or says tenantWide: true; never a silent "every connection".
    const unscoped = await api('POST', '/tenants/acme/mappings', acmeKey, { group: 'Admins', role: 'developer' });
    expect(unscoped.statusCode).toBe(400);
    expect(unscoped.json().error.message).toMatch(/needs its connection .*"tenantWide": true/);
    expect((await api('POST', '/tenants/acme/mappings', acmeKey, { group: 'Admins', role: 'developer', connection: 'scim', tenantWide: true })).statusCode).toBe(400);
    expect((await api('POST', '/tenants/acme/mappings', acmeKey, { group: 'Admins', role: 'developer', tenantWide: 'yes' })).statusCode).toBe(400);
    const globexScim = (await op(h.ctx, 'connection.create', { tenant: 'globex', name: 'scim', kind: 'scim' })).id;
    expect((await api('POST', '/tenants/acme/mappings', ADMIN_TOKEN, { group: 'a', role: 'developer', connection: globexScim })).statusCode).toBe(404);
  });

  it('keeps another tenant\'s key away from roles and mappings', async () => {
    expect((await api('GET', '/tenants/acme/roles', globexKey)).statusCode).toBe(404);
    expect((await api('POST', '/tenants/acme/roles', globexKey, { name: 'intruder' })).statusCode).toBe(404);
    expect((await api('GET', '/tenants/acme/mappings', globexKey)).statusCode).toBe(404);
    expect((await api('POST', '/tenants/acme/mappings', globexKey, { group: 'x', role: 'developer' })).statusCode).toBe(404);
    // Its own tenant in the path does not reach acme's mapping either.
    expect((await api('DELETE', `/tenants/globex/mappings/${mappingId}`, globexKey)).statusCode).toBe(404);
    expect((await api('DELETE', `/tenants/acme/mappings/${mappingId}`, globexKey)).statusCode).toBe(404);
    expect(await queryRows(h.store.db, sql`select 1 from roles where name = 'intruder'`)).toHaveLength(0);
    expect((await api('GET', '/tenants/acme/mappings')).json().mappings).toHaveLength(1);
  });

  it('removes a mapping with 204, and the role it gave goes with it', async () => {
    const res = await api('DELETE', `/tenants/acme/mappings/${mappingId}`, acmeKey);
    expect(res.statusCode).toBe(204);
    expect((await api('GET', `/tenants/acme/users/${ann}`)).json().roles).toEqual([]);
    expect((await api('DELETE', `/tenants/acme/mappings/${mappingId}`, acmeKey)).statusCode).toBe(404);
    // Put it back for the grant tests below.
    await api('POST', '/tenants/acme/mappings', acmeKey, { group: 'Engineering', role: 'developer', connection: 'scim' });
  });
});

describe('users', () => {
  const names = (res: { json(): { users: Array<{ userName: string }> } }) => res.json().users.map((u) => u.userName.split('@')[0]);

  it('searches by userName or email prefix, case-insensitively, with % and _ taken literally', async () => {
    const res = await api('GET', '/tenants/acme/users?q=ANN');
    expect(res.statusCode).toBe(200);
    expectDocumented('UserPage', res.json());
    expect(names(res)).toEqual(['ann', 'anna']);
    expect(names(await api('GET', '/tenants/acme/users?q=bob.mail@'))).toEqual(['bob']);
    expect(names(await api('GET', '/tenants/acme/users?q=carl_'))).toEqual(['carl_x']);
    expect(names(await api('GET', '/tenants/acme/users?q=%25'))).toEqual([]);
    expect(names(await api('GET', '/tenants/acme/users'))).toEqual(['ann', 'anna', 'bob', 'carl_x', 'carlax']);
  });

  it('pages with limit and offset and says whether more follow', async () => {
    const first = (await api('GET', '/tenants/acme/users?limit=2')).json();
    expect(first).toMatchObject({ limit: 2, offset: 0, more: true });
    const last = (await api('GET', '/tenants/acme/users?limit=2&offset=4')).json();
    expect(last.users.map((u: { userName: string }) => u.userName)).toEqual(['carlax@acme.test']);
    expect(last.more).toBe(false);
    for (const [query, field] of [['limit=0', 'limit'], ['limit=abc', 'limit'], ['offset=-1', 'offset'], ['page=2', 'page']]) {
      const res = await api('GET', `/tenants/acme/users?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.message).toContain(`"${field}"`);
    }
  });

  it('shows a user by id or userName with groups and roles with their source', async () => {
    await op(h.ctx, 'role.grant', { user: ann, role: 'auditor', tenant: 'acme' });
    const res = await api('GET', '/tenants/acme/users/ann@acme.test', acmeKey);
    expect(res.statusCode).toBe(200);
    expectDocumented('UserDetail', res.json());
    expect(res.json()).toMatchObject({ id: ann, userName: 'ann@acme.test', active: true, tenant: 'acme' });
    expect(res.json().groups.map((g: { displayName: string }) => g.displayName)).toEqual(['Engineering']);
    expect(res.json().roles.map((r: { name: string; source: string }) => `${r.name}:${r.source}`)).toEqual(['auditor:manual', 'developer:idp']);
    expect((await api('GET', `/tenants/acme/users/${ann}`)).json().userName).toBe('ann@acme.test');
    expect((await api('GET', '/tenants/acme/users/nobody')).statusCode).toBe(404);
  });

  it('grants a manual role (200, changed) and revokes it (204), leaving the mapped role alone', async () => {
    const [{ last }] = await queryRows<{ last: number }>(h.store.db, sql`select coalesce(max(id), 0)::int as last from audit_events`) as [{ last: number }];
    const grant = await api('PUT', `/tenants/acme/users/${ann}/roles/developer`, acmeKey);
    expect(grant.statusCode).toBe(200);
    expectDocumented('GrantResult', grant.json());
    expect(grant.json()).toMatchObject({ changed: true, role: { name: 'developer' }, user: { id: ann } });
    expect((await api('PUT', `/tenants/acme/users/${ann}/roles/developer`, acmeKey)).json().changed).toBe(false);
    let roles = (await api('GET', `/tenants/acme/users/${ann}`)).json().roles.map((r: { name: string; source: string }) => `${r.name}:${r.source}`);
    expect(roles).toEqual(['auditor:manual', 'developer:idp', 'developer:manual']);

    expect((await api('DELETE', `/tenants/acme/users/${ann}/roles/developer`, acmeKey)).statusCode).toBe(204);
    roles = (await api('GET', `/tenants/acme/users/${ann}`)).json().roles.map((r: { name: string; source: string }) => `${r.name}:${r.source}`);
    expect(roles).toEqual(['auditor:manual', 'developer:idp']);
    const audit = await queryRows<{ action: string; actor_id: string }>(h.store.db, sql`select action, actor_id from audit_events where id > ${last} order by id`);
    expect(audit).toEqual([
      { action: 'role.granted', actor_id: 'api-key:admin key' },
      { action: 'role.revoked', actor_id: 'api-key:admin key' },
    ]);
    expect((await api('PUT', `/tenants/acme/users/${ann}/roles/nope`)).statusCode).toBe(404);
  });

  it('keeps another tenant\'s key away from acme\'s users: no search, no show, no grant, no revoke', async () => {
    expect((await api('GET', '/tenants/acme/users?q=ann', globexKey)).statusCode).toBe(404);
    expect((await api('GET', `/tenants/acme/users/${ann}`, globexKey)).statusCode).toBe(404);
    // Naming its own tenant does not find acme's user by id.
    expect((await api('GET', `/tenants/globex/users/${ann}`, globexKey)).statusCode).toBe(404);
    expect((await api('PUT', `/tenants/acme/users/${ann}/roles/auditor`, globexKey)).statusCode).toBe(404);
    expect((await api('DELETE', `/tenants/acme/users/${ann}/roles/auditor`, globexKey)).statusCode).toBe(404);
    const roles = (await api('GET', `/tenants/acme/users/${ann}`)).json().roles.map((r: { name: string }) => r.name);
    expect(roles).toContain('auditor');
  });
});
