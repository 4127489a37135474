/**
 * /api/v1 tenants and connections over real HTTP (fastify inject) on a real
 * store: what each route answers, its status codes, and that a key
 * restricted to one tenant neither sees nor changes another's.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, schema } from '../../../src/core/store/index.js';
import { pullKindsInWords } from '../../../src/pull/providers/index.js';
import { op } from '../operations/support.js';
import { ADMIN_TOKEN, apiHarness, expectDocumented, type ApiHarness } from './support.js';

let h: ApiHarness;
let acmeKey: string;
let globexKey: string;
const ENTRA = { tenantId: 't', clientId: 'c', clientSecret: 'a-client-secret' };

beforeAll(async () => {
  h = await apiHarness();
  await op(h.ctx, 'tenant.create', { slug: 'acme', name: 'Acme Corp' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  acmeKey = (await h.key('admin', 'acme')).key;
  globexKey = (await h.key('admin', 'globex')).key;
});
afterAll(() => h.close());

const admin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, key = ADMIN_TOKEN) => h.send(method, `/api/v1${url}`, key, body);

describe('tenants', () => {
  it('lists every tenant to an unrestricted admin and only its own to a restricted key', async () => {
    const all = await admin('GET', '/tenants');
    expect(all.statusCode).toBe(200);
    expectDocumented('TenantList', all.json());
    expect(all.json().tenants.map((t: { slug: string }) => t.slug)).toEqual(['acme', 'globex']);
    const own = await admin('GET', '/tenants', undefined, globexKey);
    expect(own.json().tenants.map((t: { slug: string }) => t.slug)).toEqual(['globex']);
  });

  it('creates a tenant with 201, refuses a duplicate with 409 and a bad slug with 400 naming the field', async () => {
    const created = await admin('POST', '/tenants', { slug: 'initech', name: 'Initech' });
    expect(created.statusCode).toBe(201);
    expectDocumented('Tenant', created.json());
    expect(created.json()).toMatchObject({ slug: 'initech', name: 'Initech' });
    const again = await admin('POST', '/tenants', { slug: 'initech' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');
    const bad = await admin('POST', '/tenants', { slug: 'Not A Slug' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('"slug"');
    const unknown = await admin('POST', '/tenants', { slug: 'ok', colour: 'red' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('"colour"');
  });

  it('lets only an unrestricted admin create tenants', async () => {
    const res = await admin('POST', '/tenants', { slug: 'sneaky' }, acmeKey);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    expect(await queryRows(h.store.db, sql`select 1 from tenants where slug = 'sneaky'`)).toHaveLength(0);
  });

  it('shows a tenant by slug or id, and answers 404 for another tenant to a restricted key', async () => {
    const acme = (await admin('GET', '/tenants/acme')).json();
    expect(acme).toMatchObject({ slug: 'acme', name: 'Acme Corp' });
    expect((await admin('GET', `/tenants/${acme.id}`)).json().slug).toBe('acme');
    expect((await admin('GET', '/tenants/acme', undefined, acmeKey)).statusCode).toBe(200);
    for (const ref of ['acme', acme.id]) {
      const res = await admin('GET', `/tenants/${ref}`, undefined, globexKey);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.message).not.toContain('Acme Corp');
    }
  });

  it('needs the admin scope: a login-sync key gets 403', async () => {
    const { key } = await h.key('login-sync', 'acme');
    const res = await admin('GET', '/tenants', undefined, key);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toContain('needs admin');
  });
});

describe('connections', () => {
  let entraId: string;

  it('creates a connection with 201, secrets masked, and in the key\'s own tenant when none is named', async () => {
    const res = await admin('POST', '/connections', { tenant: 'acme', name: 'entra', kind: 'entra', settings: ENTRA, schedule: '*/15 * * * *' });
    expect(res.statusCode).toBe(201);
    expectDocumented('Connection', res.json());
    expect(res.json()).toMatchObject({ tenant: 'acme', name: 'entra', kind: 'entra', schedule: '*/15 * * * *', settings: { clientSecret: '(set)' } });
    expect(res.body).not.toContain('a-client-secret');
    entraId = res.json().id;
    // A pull connection's daily full sync, by default.
    expect(res.json().fullSchedule).toMatch(/^\d+ [234] \* \* \*$/);

    const own = await admin('POST', '/connections', { name: 'scim', kind: 'scim' }, globexKey);
    expect(own.statusCode).toBe(201);
    expect(own.json().tenant).toBe('globex');
    expect(own.json().fullSchedule).toBeNull();
    const audit = await queryRows<{ actor_id: string }>(h.store.db, sql`select actor_id from audit_events where action = 'connection.created' and entity_id = ${own.json().id}`);
    expect(audit.map((a) => a.actor_id)).toEqual(['api-key:admin key']);
  });

  it('refuses a create in another tenant, a duplicate, and bad input, naming the field', async () => {
    const elsewhere = await admin('POST', '/connections', { tenant: 'acme', name: 'x', kind: 'scim' }, globexKey);
    expect(elsewhere.statusCode).toBe(404);
    expect((await admin('POST', '/connections', { tenant: 'acme', name: 'entra', kind: 'scim' })).statusCode).toBe(409);
    const noTenant = await admin('POST', '/connections', { name: 'y', kind: 'scim' });
    expect(noTenant.statusCode).toBe(400);
    expect(noTenant.json().error.message).toContain('"tenant"');
    const badName = await admin('POST', '/connections', { tenant: 'acme', name: 'a/b', kind: 'scim' });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().error.message).toContain('"name"');
    const badSettings = await admin('POST', '/connections', { tenant: 'acme', name: 'okta', kind: 'okta', settings: { orgUrl: 'not a url' } });
    expect(badSettings.statusCode).toBe(400);
    const notJson = await h.app.inject({ method: 'POST', url: '/api/v1/connections', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, payload: '{' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('invalid_input');
  });

  it('lists connections with health at a glance, scoped to the key\'s tenant', async () => {
    await h.store.db.insert(schema.syncRuns).values({
      tenantId: (await op(h.ctx, 'tenant.list')).find((t: { slug: string }) => t.slug === 'acme').id,
      connectionId: entraId,
      trigger: 'manual',
      mode: 'full',
      status: 'failed',
      error: 'Graph answered 503',
      startedAt: new Date(Date.now() - 60_000),
      finishedAt: new Date(),
    });
    const all = await admin('GET', '/connections');
    expect(all.statusCode).toBe(200);
    expectDocumented('ConnectionList', all.json());
    expect(all.json().connections.map((c: { tenant: string; name: string }) => `${c.tenant}/${c.name}`)).toEqual(['acme/entra', 'globex/scim']);
    expect(all.json().connections[0]).toMatchObject({ health: 'degraded', status: 'failed', healthReason: expect.stringContaining('Graph answered 503'), usersSynced: 0 });
    expect(all.json().connections[1]).toMatchObject({ health: 'healthy', status: 'never' });

    const globex = await admin('GET', '/connections', undefined, globexKey);
    expect(globex.json().connections.map((c: { tenant: string }) => c.tenant)).toEqual(['globex']);
    expect((await admin('GET', '/connections?tenant=globex')).json().connections).toHaveLength(1);
    expect((await admin('GET', '/connections?tenant=acme', undefined, globexKey)).statusCode).toBe(404);
    expect((await admin('GET', '/connections?tenant=nope')).statusCode).toBe(404);
  });

  it('shows a connection with what it holds, and hides it from another tenant\'s key', async () => {
    const res = await admin('GET', `/connections/${entraId}`);
    expect(res.statusCode).toBe(200);
    expectDocumented('ConnectionDetail', res.json());
    expect(res.json()).toMatchObject({ id: entraId, users: 0, groups: 0 });
    expect((await admin('GET', `/connections/${entraId}`, undefined, acmeKey)).statusCode).toBe(200);
    expect((await admin('GET', `/connections/${entraId}`, undefined, globexKey)).statusCode).toBe(404);
    expect((await admin('GET', '/connections/not-a-uuid')).statusCode).toBe(404);
  });

  it('updates schedules, enabled, threshold, SCIM push and limits, and sync-on-login in one PATCH', async () => {
    const res = await admin('PATCH', `/connections/${entraId}`, {
      schedule: '0 * * * *',
      fullSchedule: '0 3 * * 0',
      enabled: false,
      deletionThreshold: '5%',
      scimPush: true,
      scimRatePerMinute: 120,
      scimBurst: 30,
      scimPushWindow: '6h',
      syncGroupsOnLogin: true,
      loginSyncTimeoutMs: 1500,
      settings: { ...ENTRA, clientSecret: 'rotated-secret' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expectDocumented('Connection', res.json());
    expect(res.json()).toMatchObject({
      schedule: '0 * * * *',
      fullSchedule: '0 3 * * 0',
      enabled: false,
      deletionThreshold: { count: null, percent: 5 },
      scimPush: true,
      scimRateLimit: { perMinute: 120, burst: 30 },
      scimPushWindowSeconds: 21_600,
      loginSync: { enabled: true, timeoutMs: 1500 },
      settings: { clientSecret: '(set)' },
    });
    expect(res.body).not.toContain('rotated-secret');
    const cleared = await admin('PATCH', `/connections/${entraId}`, { fullSchedule: null, enabled: true });
    expect(cleared.json()).toMatchObject({ fullSchedule: null, schedule: '0 * * * *', enabled: true });
  });

  it('refuses a bad update with 400 naming the field, and another tenant\'s key with 404, changing nothing', async () => {
    for (const [body, field] of [
      [{ schedule: 'every tuesday' }, 'schedule'],
      [{ loginSyncTimeoutMs: 5 }, 'loginSyncTimeoutMs'],
      [{ enabled: 'yes' }, 'enabled'],
      [{ connection: 'other' }, 'connection'],
    ] as const) {
      const res = await admin('PATCH', `/connections/${entraId}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message.toLowerCase()).toContain(field.toLowerCase());
    }
    const foreign = await admin('PATCH', `/connections/${entraId}`, { enabled: false }, globexKey);
    expect(foreign.statusCode).toBe(404);
    expect((await admin('GET', `/connections/${entraId}`)).json().enabled).toBe(true);
  });

  it('refuses a schedule that never fires (or that node-cron cannot arm) with 400 naming the field', async () => {
    for (const [body, field] of [
      [{ fullSchedule: '0 0 1 * 1#2' }, 'fullSchedule'],
      [{ fullSchedule: '0 0 31 2 *' }, 'fullSchedule'],
      [{ schedule: '0 0 1 * 1#2' }, 'schedule'],
    ] as const) {
      const res = await admin('PATCH', `/connections/${entraId}`, body, acmeKey);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message).toContain(`${field} "`);
    }
    const created = await admin('POST', '/connections', { tenant: 'acme', name: 'never', kind: 'entra', settings: ENTRA, fullSchedule: '0 0 1 * 1#2' });
    expect(created.statusCode).toBe(400);
    expect(created.json().error.message).toContain('fullSchedule "0 0 1 * 1#2"');
    expect((await admin('GET', `/connections/${entraId}`)).json().fullSchedule).not.toBe('0 0 1 * 1#2');
  });

  it('tests a connection: a scim connection cannot be tested (400), another tenant\'s is 404', async () => {
    const scim = (await admin('GET', '/connections', undefined, globexKey)).json().connections[0].id;
    const res = await admin('POST', `/connections/${scim}/test`, undefined, globexKey);
    expect(res.statusCode).toBe(400);
    // Every pull kind the registry has, in words (one registry line adds a kind).
    expect(res.json().error.message).toContain(`only ${pullKindsInWords()} connections can be tested`);
    expect((await admin('POST', `/connections/${entraId}/test`, undefined, globexKey)).statusCode).toBe(404);
  });

  it('deletes with 204; one holding users needs force=true (409 without); another tenant\'s key gets 404', async () => {
    const made = (await admin('POST', '/connections', { tenant: 'acme', name: 'doomed', kind: 'scim' })).json();
    const acmeId = made.tenantId;
    await h.store.db.insert(schema.users).values({ tenantId: acmeId, connectionId: made.id, userName: 'left@acme.test' });
    expect((await admin('DELETE', `/connections/${made.id}`, undefined, globexKey)).statusCode).toBe(404);
    const refused = await admin('DELETE', `/connections/${made.id}`);
    expect(refused.statusCode).toBe(409);
    expect((await admin('DELETE', `/connections/${made.id}?force=maybe`)).statusCode).toBe(400);
    const deleted = await admin('DELETE', `/connections/${made.id}?force=true`, undefined, acmeKey);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await admin('GET', `/connections/${made.id}`)).statusCode).toBe(404);
    expect(await queryRows(h.store.db, sql`select 1 from users where user_name = 'left@acme.test'`)).toHaveLength(0);
  });
});
