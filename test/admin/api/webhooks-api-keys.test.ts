/**
 * Webhooks and API keys over /api/v1, and a connection's next run times:
 * secrets shown once, lists without them, and tenant isolation — a tenant's
 * key never reads, deletes or revokes another tenant's webhook or key, and
 * never mints a key that reaches every tenant.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { ADMIN_TOKEN, apiHarness, expectDocumented, type ApiHarness } from './support.js';

let h: ApiHarness;
let acmeKey: { id: string; key: string };
let globexKey: { id: string; key: string };
let operatorKey: { id: string; key: string };

beforeAll(async () => {
  h = await apiHarness();
  await op(h.ctx, 'tenant.create', { slug: 'acme' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  acmeKey = await h.key('admin', 'acme', 'acme admin');
  globexKey = await h.key('admin', 'globex', 'globex admin');
  operatorKey = await h.key('admin', undefined, 'operator');
});
afterAll(() => h.close());

const hooks = (tenant: string) => `/api/v1/tenants/${tenant}/webhooks`;

describe('webhooks', () => {
  let created: { id: string; secret: string };

  it('creates a webhook with 201 and shows its signing secret in that answer only', async () => {
    const res = await h.send('POST', hooks('acme'), acmeKey.key, { url: 'https://hooks.example.com/roster', description: 'SIEM' });
    expect(res.statusCode).toBe(201);
    expectDocumented('WebhookCreated', res.json());
    created = res.json();
    expect(created).toMatchObject({ tenant: 'acme', url: 'https://hooks.example.com/roster', description: 'SIEM', enabled: true });
    expect(created.secret).toMatch(/^whsec_/);
    const list = await h.get(hooks('acme'), acmeKey.key);
    expect(list.statusCode).toBe(200);
    expectDocumented('WebhookList', list.json());
    expect(list.json().webhooks.map((w: { id: string }) => w.id)).toEqual([created.id]);
    expect(list.body).not.toContain(created.secret);
    const [row] = await queryRows<Record<string, unknown>>(h.store.db, sql`select * from webhooks where id = ${created.id}::uuid`);
    expect(JSON.stringify(row)).not.toContain(created.secret);
  });

  it('refuses a URL the outbound policy forbids, naming the field', async () => {
    const res = await h.send('POST', hooks('acme'), acmeKey.key, { url: 'http://hooks.example.com/x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_input' });
    expect(res.json().error.message).toMatch(/https/);
  });

  it('keeps another tenant\'s key out: its list, create and delete answer 404', async () => {
    expect((await h.get(hooks('acme'), globexKey.key)).statusCode).toBe(404);
    expect((await h.send('POST', hooks('acme'), globexKey.key, { url: 'https://evil.example.com/' })).statusCode).toBe(404);
    expect((await h.send('DELETE', `${hooks('acme')}/${created.id}`, globexKey.key)).statusCode).toBe(404);
    // Through its own tenant's path, the other tenant's webhook is not found either.
    expect((await h.send('DELETE', `${hooks('globex')}/${created.id}`, globexKey.key)).statusCode).toBe(404);
    expect((await h.get(hooks('globex'), globexKey.key)).json().webhooks).toEqual([]);
    expect((await h.get(hooks('acme'), ADMIN_TOKEN)).json().webhooks).toHaveLength(1);
  });

  it('deletes a webhook with 204, audited; a second delete is 404', async () => {
    expect((await h.send('DELETE', `${hooks('acme')}/${created.id}`, acmeKey.key)).statusCode).toBe(204);
    expect((await h.get(hooks('acme'), acmeKey.key)).json().webhooks).toEqual([]);
    expect((await h.send('DELETE', `${hooks('acme')}/${created.id}`, acmeKey.key)).statusCode).toBe(404);
    expect((await h.send('DELETE', `${hooks('acme')}/not-a-uuid`, acmeKey.key)).statusCode).toBe(404);
    const actions = await queryRows<{ action: string; actor_id: string }>(h.store.db, sql`select action, actor_id from audit_events where entity_id = ${created.id} order by id`);
    expect(actions).toEqual([{ action: 'webhook.created', actor_id: 'api-key:acme admin' }, { action: 'webhook.deleted', actor_id: 'api-key:acme admin' }]);
  });
});

describe('API keys', () => {
  it('creates a key with 201, shown in that answer only, which then works', async () => {
    const res = await h.send('POST', '/api/v1/api-keys', operatorKey.key, { name: 'ci', scope: 'admin', tenant: 'globex' });
    expect(res.statusCode).toBe(201);
    expectDocumented('ApiKeyCreated', res.json());
    const created = res.json();
    expect(created).toMatchObject({ name: 'ci', scope: 'admin', tenant: 'globex', status: 'active', prefix: created.key.slice(0, created.prefix.length) });
    expect((await h.get('/api/v1/tenants', created.key)).json().tenants.map((t: { slug: string }) => t.slug)).toEqual(['globex']);
    const list = await h.get('/api/v1/api-keys', operatorKey.key);
    expectDocumented('ApiKeyList', list.json());
    expect(list.body).not.toContain(created.key);
  });

  it('an unrestricted key sees every key; a tenant key only its own tenant\'s', async () => {
    const all = (await h.get('/api/v1/api-keys', operatorKey.key)).json().keys.map((k: { name: string }) => k.name);
    expect(all).toEqual(expect.arrayContaining(['acme admin', 'globex admin', 'operator', 'ci']));
    const acme = (await h.get('/api/v1/api-keys', acmeKey.key)).json().keys;
    expect(acme.map((k: { name: string }) => k.name)).toEqual(['acme admin']);
    expect(acme.every((k: { tenant: string }) => k.tenant === 'acme')).toBe(true);
    expect((await h.get('/api/v1/api-keys?tenant=globex', acmeKey.key)).statusCode).toBe(404);
    const globexOnly = (await h.get('/api/v1/api-keys?tenant=globex', operatorKey.key)).json().keys.map((k: { name: string }) => k.name);
    expect(globexOnly).toEqual(['globex admin', 'ci']);
  });

  it('a tenant key creates only keys of its own tenant: never an unrestricted key, never another tenant\'s', async () => {
    const res = await h.send('POST', '/api/v1/api-keys', acmeKey.key, { name: 'login service', scope: 'login-sync' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ tenant: 'acme', scope: 'login-sync' });
    const other = await h.send('POST', '/api/v1/api-keys', acmeKey.key, { name: 'sneaky', scope: 'admin', tenant: 'globex' });
    expect(other.statusCode).toBe(404);
    const [{ n }] = (await queryRows<{ n: number }>(h.store.db, sql`select count(*)::int as n from api_keys where tenant_id is null`)) as [{ n: number }];
    expect(n).toBe(1);
    const unrestricted = await h.send('POST', '/api/v1/api-keys', operatorKey.key, { name: 'second operator', scope: 'admin' });
    expect(unrestricted.json()).toMatchObject({ tenant: null, tenantId: null });
  });

  it('refuses a bad scope, naming the field', async () => {
    const res = await h.send('POST', '/api/v1/api-keys', operatorKey.key, { name: 'x', scope: 'root' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/scope/);
  });

  it('revokes with 204 (refused from the next request on); another tenant\'s key is 404', async () => {
    const victim = await h.key('admin', 'globex', 'victim');
    expect((await h.send('DELETE', `/api/v1/api-keys/${victim.id}`, acmeKey.key)).statusCode).toBe(404);
    expect((await h.send('DELETE', `/api/v1/api-keys/${operatorKey.id}`, acmeKey.key)).statusCode).toBe(404);
    expect((await h.get('/api/v1/tenants', victim.key)).statusCode).toBe(200);
    expect((await h.send('DELETE', `/api/v1/api-keys/${victim.id}`, globexKey.key)).statusCode).toBe(204);
    expect((await h.get('/api/v1/tenants', victim.key)).statusCode).toBe(401);
    expect((await h.send('DELETE', `/api/v1/api-keys/${victim.id}`, operatorKey.key)).statusCode).toBe(204);
    expect((await h.send('DELETE', '/api/v1/api-keys/nope', operatorKey.key)).statusCode).toBe(404);
  });

  it('needs the admin scope', async () => {
    const login = await h.key('login-sync', 'acme');
    expect((await h.get('/api/v1/api-keys', login.key)).statusCode).toBe(403);
  });
});

describe('connections', () => {
  it('GET carries the next run times of its schedule and full schedule', async () => {
    const id = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: { tenantId: 't', clientId: 'c', clientSecret: 's' }, schedule: '*/15 * * * *', fullSchedule: '30 2 * * *' })).id;
    const res = await h.get(`/api/v1/connections/${id}`, acmeKey.key);
    expectDocumented('ConnectionDetail', res.json());
    const { sync, full } = res.json().nextRuns;
    expect(new Date(sync).getUTCMinutes() % 15).toBe(0);
    expect(new Date(sync).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect([new Date(full).getUTCHours(), new Date(full).getUTCMinutes()]).toEqual([2, 30]);
    await op(h.ctx, 'connection.update', { connection: id, schedule: null, fullSchedule: null });
    expect((await h.get(`/api/v1/connections/${id}`, acmeKey.key)).json().nextRuns).toEqual({ sync: null, full: null });
  });

  it('the kinds list their settings as JSON Schema with the secret fields', async () => {
    const res = await h.get('/api/v1/connection-kinds', acmeKey.key);
    expectDocumented('ConnectionKindList', res.json());
    const entra = res.json().kinds.find((k: { kind: string }) => k.kind === 'entra');
    expect(entra).toMatchObject({ direction: 'pull', secretFields: ['clientSecret'] });
    expect(Object.keys(entra.settings.properties)).toEqual(expect.arrayContaining(['tenantId', 'clientId', 'clientSecret', 'scope']));
    expect(res.json().kinds.find((k: { kind: string }) => k.kind === 'scim')).toMatchObject({ direction: 'push' });
  });
});
