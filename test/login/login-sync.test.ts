/**
 * POST /api/v1/login-sync against the Entra fake through the Graph SDK: a new
 * hire gets in with their mapped roles before any sync, a user the IdP just
 * disabled is denied, group changes move roles at login, a slow IdP is waited
 * for within the budget and a hanging one is not, concurrent logins share one
 * fetch, and the key, tenant and body are checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeEntra } from '../fakes/entra/index.js';
import { COMPONENT_SCHEMAS } from '../../src/admin/api/openapi/schemas.js';
import { apiHarness, type ApiHarness } from '../admin/api/support.js';
import { op } from '../admin/operations/support.js';

let h: ApiHarness;
let fake: FakeEntra;
let loginKey: string;
let connectionId: string;
let adminsGroup: string;

beforeAll(async () => {
  h = await apiHarness();
  fake = await FakeEntra.start();
  await op(h.ctx, 'tenant.create', { slug: 'acme' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  const conn = fake.connection();
  connectionId = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: { ...conn.settings, ...conn.secrets } })).id;
  await op(h.ctx, 'role.create', { tenant: 'acme', name: 'admin' });
  await op(h.ctx, 'mapping.add', { tenant: 'acme', group: 'Admins', role: 'admin', connection: connectionId });
  adminsGroup = fake.directory.addGroup({ displayName: 'Admins' }).id;
  loginKey = (await h.key('login-sync', 'acme', 'login service')).key;
});
afterAll(async () => {
  await h.close();
  await fake.close();
});

let n = 0;
const newUser = (admin = false) => {
  const login = `user${++n}`;
  const id = fake.directory.addUser({ userPrincipalName: `${login}@contoso.test`, mail: `${login}@contoso.test`, displayName: login }).id;
  if (admin) fake.directory.addMember(adminsGroup, id);
  return { id, userName: `${login}@contoso.test` };
};

const login = async (body: Record<string, unknown>, key = loginKey) => {
  const res = await h.app.inject({ method: 'POST', url: '/api/v1/login-sync', headers: { authorization: `Bearer ${key}` }, payload: body });
  // Every answer is what the OpenAPI document promises.
  if (res.statusCode === 200) COMPONENT_SCHEMAS.LoginSyncResponse.parse(res.json());
  return { status: res.statusCode, body: res.json() };
};

describe('sync on login', () => {
  it('lets a new hire in before any sync, with the groups and the roles their groups map to', async () => {
    const ann = newUser(true);
    const { status, body } = await login({ tenant: 'acme', userName: ann.userName });
    expect(status).toBe(200);
    expect(body).toMatchObject({ allowed: true, source: 'live', user: { userName: ann.userName, externalId: ann.id, active: true, connection: 'entra' } });
    expect(body.groups.map((g: { displayName: string }) => g.displayName)).toEqual(['Admins']);
    expect(body.roles).toMatchObject([{ name: 'admin', source: 'idp' }]);
    expect(Date.now() - Date.parse(body.syncedAt)).toBeLessThan(10_000);
  });

  it('denies a user the IdP just disabled, though the last sync saw them active, and drops their mapped role', async () => {
    const bob = newUser(true);
    await op(h.ctx, 'sync.run', { connection: connectionId });
    expect((await login({ tenant: 'acme', userName: bob.userName })).body.allowed).toBe(true);
    fake.directory.disableUser(bob.id);
    const { body } = await login({ tenant: 'acme', userName: bob.userName });
    expect(body).toMatchObject({ allowed: false, source: 'live', user: { active: false } });
    expect(body.reason).toMatch(/disabled in the IdP/);
    expect(body.roles).toEqual([]);
  });

  it('takes a role away at login when the IdP removed the user from the mapped group', async () => {
    const cy = newUser(true);
    expect((await login({ tenant: 'acme', email: cy.userName })).body.roles).toMatchObject([{ name: 'admin', source: 'idp' }]);
    fake.directory.removeMember(adminsGroup, cy.id);
    const { body } = await login({ tenant: 'acme', externalId: cy.id });
    expect(body).toMatchObject({ allowed: true, source: 'live', groups: [], roles: [] });
  });

  it('denies a user the IdP deleted, and an unknown user, without inventing one', async () => {
    const dee = newUser();
    expect((await login({ tenant: 'acme', userName: dee.userName })).body.allowed).toBe(true);
    fake.directory.hardDeleteUser(dee.id);
    expect((await login({ tenant: 'acme', userName: dee.userName })).body).toMatchObject({ allowed: false, source: 'live', reason: expect.stringMatching(/not found in the IdP/) });
    expect((await login({ tenant: 'acme', userName: 'nobody@contoso.test' })).body).toMatchObject({ allowed: false, user: null, source: 'live' });
  });

  it('waits for a slow IdP within the budget, and answers from the store when the IdP hangs', async () => {
    const eve = newUser(true);
    await login({ tenant: 'acme', userName: eve.userName });
    fake.setLatency(50);
    expect((await login({ tenant: 'acme', userName: eve.userName })).body).toMatchObject({ allowed: true, source: 'live' });
    fake.setLatency(0);

    await op(h.ctx, 'connection.update', { connection: connectionId, loginSyncTimeoutMs: 400 });
    fake.hang({ match: /\/v1\.0\/users\// });
    const started = Date.now();
    const { status, body } = await login({ tenant: 'acme', userName: eve.userName });
    const elapsed = Date.now() - started;
    expect(status).toBe(200);
    expect(body).toMatchObject({ allowed: true, source: 'stored', reason: 'the IdP did not answer within 400 ms' });
    expect(body.roles).toMatchObject([{ name: 'admin', source: 'idp' }]);
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(3000);
    fake.clearFaults();
    await op(h.ctx, 'connection.update', { connection: connectionId, loginSyncTimeoutMs: 2000 });
  });
});

describe('sync on login, shared and switched off', () => {
  it('shares one live fetch among concurrent logins of the same user', async () => {
    const fay = newUser();
    await login({ tenant: 'acme', userName: fay.userName });
    const lookups = () => fake.requests.filter((r) => r.path === `/v1.0/users/${fay.id}`).length;
    const before = lookups();
    // A slow IdP, so that the one fetch is still out when the last of the ten logins reaches it.
    fake.setLatency(600);
    const answers = await Promise.all(Array.from({ length: 10 }, () => login({ tenant: 'acme', userName: fay.userName })));
    fake.setLatency(0);
    expect(answers.every((a) => a.body.allowed && a.body.source === 'live')).toBe(true);
    expect(lookups() - before).toBe(1);
  });

  it('answers from the store, saying so, when the connection does not sync on login', async () => {
    const gus = newUser();
    await login({ tenant: 'acme', userName: gus.userName });
    await op(h.ctx, 'connection.update', { connection: connectionId, syncGroupsOnLogin: false });
    fake.directory.disableUser(gus.id);
    const { body } = await login({ tenant: 'acme', userName: gus.userName });
    expect(body).toMatchObject({ allowed: true, source: 'stored', reason: expect.stringMatching(/sync on login is off/) });
    await op(h.ctx, 'connection.update', { connection: connectionId, syncGroupsOnLogin: true });
  });

  it('wants a login-sync key for its own tenant and exactly one identifier', async () => {
    const unauthenticated = await h.app.inject({ method: 'POST', url: '/api/v1/login-sync', payload: { tenant: 'acme', userName: 'x' } });
    expect(unauthenticated.statusCode).toBe(401);
    const admin = (await h.key('admin', 'acme')).key;
    expect((await login({ tenant: 'acme', userName: 'x' }, admin)).status).toBe(403);
    const foreign = (await h.key('login-sync', 'globex')).key;
    expect((await login({ tenant: 'acme', userName: 'x' }, foreign)).status).toBe(403);
    const none = await login({ tenant: 'acme' });
    expect(none.status).toBe(400);
    expect(JSON.stringify(none.body)).toMatch(/exactly one of userName, email or externalId/);
    expect((await login({ tenant: 'acme', userName: 'a', email: 'b' })).status).toBe(400);
    expect((await login({ tenant: 'acme', userName: 'a', password: 'b' })).status).toBe(400);
  });
});
