import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges } from '../../../src/core/lifecycle/index.js';
import { schema } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { groupCreate, userCreate } from '../../support/factories.js';
import { ADMIN_TOKEN, apiHarness, type ApiHarness } from './support.js';

let h: ApiHarness;
let acme: { id: string };
let entra: { id: string };
let scim: { id: string };
let globexScim: { id: string };
const ENTRA = { tenantId: 't', clientId: 'c', clientSecret: 's' };

beforeAll(async () => {
  h = await apiHarness();
  acme = await op(h.ctx, 'tenant.create', { slug: 'acme' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  entra = await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: ENTRA });
  scim = await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'scim', kind: 'scim' });
  globexScim = await op(h.ctx, 'connection.create', { tenant: 'globex', name: 'scim', kind: 'scim' });
});
afterAll(() => h.close());

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
/** An ISO timestamp within five seconds of `date`. */
const near = (iso: string, date: Date) => iso === new Date(iso).toISOString() && Math.abs(new Date(iso).getTime() - date.getTime()) < 5000;

async function run(connectionId: string, values: Partial<typeof schema.syncRuns.$inferInsert> & { startedAt: Date }) {
  await h.store.db.insert(schema.syncRuns).values({ tenantId: acme.id, connectionId, trigger: 'schedule', mode: 'delta', status: 'succeeded', ...values });
}

async function feed(query: string, key = ADMIN_TOKEN) {
  const res = await h.get(`/api/v1/events${query}`, key);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('GET /api/v1/events', () => {
  it('returns lifecycle events in id order with a next cursor, across tenants for an unrestricted admin', async () => {
    const start = (await feed('?limit=1000')).next;
    const users = [userCreate(entra.id, 1), userCreate(entra.id, 2)];
    await applyChanges(h.store.db, { tenantId: acme.id, actor: { type: 'sync', id: 'test' } }, [...users, groupCreate(entra.id, 'Engineering')]);
    await op(h.ctx, 'token.create', { connection: 'globex/scim', name: 'Okta' });

    const first = await feed(`?after=${start}&limit=2`);
    expect(first.events.map((e: { action: string }) => e.action)).toEqual(['user.created', 'user.created']);
    expect(first.events.map((e: { entityId: string }) => e.entityId)).toEqual(users.map((u) => u.id));
    expect(first.events[0]).toMatchObject({ tenant: 'acme', connectionId: entra.id, actor: { type: 'sync', id: 'test' } });
    expect(first.more).toBe(true);
    expect(first.next).toBe(first.events[1].id);
    const rest = await feed(`?after=${first.next}`);
    expect(rest.events.map((e: { action: string; tenant: string }) => `${e.tenant}:${e.action}`)).toEqual(['acme:group.created', 'globex:scim_token.created']);
    expect(rest.events[0].id).toBeGreaterThan(first.next);
    expect(rest.more).toBe(false);
    // An admin may narrow to one tenant.
    const globex = await feed(`?after=${start}&tenant=globex`);
    expect(globex.events.map((e: { action: string }) => e.action)).toEqual(['scim_token.created']);
  });

  it('shows a tenant-restricted key its own tenant only, whatever it asks for', async () => {
    const { key } = await h.key('admin', 'globex');
    const own = await feed('?after=0', key);
    expect(own.events.length).toBeGreaterThan(0);
    expect(new Set(own.events.map((e: { tenant: string }) => e.tenant))).toEqual(new Set(['globex']));
  });

  it('rejects bad parameters with a 400 that names them', async () => {
    for (const [query, field] of [
      ['?after=-1', 'after'],
      ['?after=abc', 'after'],
      ['?limit=0', 'limit'],
      ['?limit=5000', 'limit'],
      ['?since=3', 'since'],
    ]) {
      const res = await h.get(`/api/v1/events${query}`, ADMIN_TOKEN);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining(`"${field}"`) });
    }
    const missing = await h.get('/api/v1/events?tenant=nope', ADMIN_TOKEN);
    expect(missing.statusCode).toBe(404);
  });
});

describe('GET /api/v1/connections/{id}/report', () => {
  it('reports users and groups synced, last sync, last success, status, health and recent runs', async () => {
    await run(entra.id, { startedAt: minutesAgo(40), finishedAt: minutesAgo(39), usersSynced: 2, groupsSynced: 1, counts: { usersCreated: 2 }, apiRequests: 3 });
    await run(entra.id, { startedAt: minutesAgo(10), finishedAt: minutesAgo(9.5), status: 'failed', error: 'Graph answered 503', apiRequests: 1 });
    // A dry run changes nothing: it is listed, but neither status nor health follows it.
    await run(entra.id, { startedAt: minutesAgo(5), finishedAt: minutesAgo(5), mode: 'dry-run' });

    const res = await h.get(`/api/v1/connections/${entra.id}/report?runs=2`, ADMIN_TOKEN);
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({
      connection: 'acme/entra',
      connectionId: entra.id,
      kind: 'entra',
      usersSynced: 2,
      groupsSynced: 1,
      status: 'failed',
      health: 'degraded',
      healthReason: expect.stringContaining('was failed: Graph answered 503'),
      syncIntervalSeconds: 3600,
      lastPushAt: null,
      scimPushWindowSeconds: null,
    });
    expect(near(report.lastSyncAt, minutesAgo(9.5))).toBe(true);
    expect(near(report.lastSuccessAt, minutesAgo(39))).toBe(true);
    expect(report.recentRuns.map((r: { mode: string; status: string }) => `${r.mode}:${r.status}`)).toEqual(['dry-run:succeeded', 'delta:failed']);
    expect(report.recentRuns[1]).toMatchObject({ error: 'Graph answered 503', apiRequests: 1, durationMs: 30_000 });
  });

  it('is stalled when no run succeeded within twice the connection\'s interval', async () => {
    await h.store.db.update(schema.connections).set({ syncIntervalSeconds: 600 }).where(eq(schema.connections.id, entra.id));
    const report = (await h.get(`/api/v1/connections/${entra.id}/report`, ADMIN_TOKEN)).json();
    expect(report).toMatchObject({ health: 'stalled', syncIntervalSeconds: 600, healthReason: expect.stringContaining('expected every 10m') });
    expect(report.recentRuns).toHaveLength(3);
  });

  it('judges a SCIM connection by its tokens\' last use', async () => {
    const fresh = (await h.get(`/api/v1/connections/${scim.id}/report`, ADMIN_TOKEN)).json();
    expect(fresh).toMatchObject({ kind: 'scim', status: 'never', health: 'healthy', lastPushAt: null, scimPushWindowSeconds: 86_400, recentRuns: [] });
    const token = await op(h.ctx, 'token.create', { connection: 'acme/scim', name: 'Okta' });
    await h.store.db.update(schema.scimTokens).set({ lastUsedAt: minutesAgo(180) }).where(eq(schema.scimTokens.id, token.id));
    await h.store.db.update(schema.connections).set({ scimPushWindowSeconds: 3600 }).where(eq(schema.connections.id, scim.id));
    const stale = (await h.get(`/api/v1/connections/${scim.id}/report`, ADMIN_TOKEN)).json();
    expect(stale).toMatchObject({ health: 'stalled', scimPushWindowSeconds: 3600 });
    expect(near(stale.lastPushAt, minutesAgo(180))).toBe(true);
  });

  it('answers 404 for an unknown id, and for another tenant\'s connection to a restricted key', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
      const res = await h.get(`/api/v1/connections/${id}/report`, ADMIN_TOKEN);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    const { key } = await h.key('admin', 'acme');
    expect((await h.get(`/api/v1/connections/${globexScim.id}/report`, key)).statusCode).toBe(404);
    expect((await h.get(`/api/v1/connections/${scim.id}/report`, key)).statusCode).toBe(200);
    expect((await h.get(`/api/v1/connections/${scim.id}/report?runs=500`, key)).statusCode).toBe(400);
  });
});
