/**
 * GET /metrics in Prometheus text format: the directory's state per
 * connection (read from the database), sync runs by status with their
 * durations and API requests (a real sync of the Okta fake), SCIM requests by
 * route and status, and requests refused by the rate limit.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/server/index.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { oktaAdapter } from '../../pull/providers/contract/adapters.js';
import { startScenario, type ScenarioIdp } from '../../pull/providers/contract/scenario.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let app: FastifyInstance;
let idp: ScenarioIdp;
let token: string;
let ctx: ReturnType<typeof operationContext>;

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  idp = await startScenario(oktaAdapter);
  await op(ctx, 'tenant.create', { slug: 'metrix' });
  await op(ctx, 'connection.create', { tenant: 'metrix', name: 'okta', kind: 'okta', settings: idp.settings });
  const scim = await op(ctx, 'connection.create', { tenant: 'metrix', name: 'push', kind: 'scim' });
  await op(ctx, 'connection.update', { connection: scim.id, scimRatePerMinute: 1, scimBurst: 2 });
  token = (await op(ctx, 'token.create', { connection: scim.id, name: 'metrics' })).token;
  app = buildServer(ctx, {});
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await idp.close();
  await store.close();
});

const scrape = async () => {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
};
/** The value of one series, or undefined when it is absent. */
const value = (text: string, name: string, labels: Record<string, string>) => {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('GET /metrics', () => {
  it('reports users, groups and sync times per connection, and runs by status with durations and API requests', async () => {
    const before = await scrape();
    expect(value(before, 'roster_connection_users', { tenant: 'metrix', connection: 'okta' })).toBe(0);
    expect(value(before, 'roster_connection_last_sync_timestamp_seconds', { connection: 'okta' })).toBeUndefined();
    const runsBefore = 0; // no okta run has finished in this process yet

    const g = idp.addGroup('Staff');
    idp.addMember(g, idp.addUser('ann'));
    idp.addMember(g, idp.addUser('bob'));
    const report = await op(ctx, 'sync.run', { connection: 'metrix/okta' });
    expect(report.status).toBe('succeeded');

    const after = await scrape();
    expect(value(after, 'roster_connection_users', { tenant: 'metrix', connection: 'okta', kind: 'okta' })).toBe(2);
    expect(value(after, 'roster_connection_groups', { connection: 'okta' })).toBe(1);
    const lastSync = value(after, 'roster_connection_last_success_timestamp_seconds', { connection: 'okta' })!;
    expect(Math.abs(lastSync - Date.now() / 1000)).toBeLessThan(60);
    expect(value(after, 'roster_sync_runs_total', { kind: 'okta', status: 'succeeded', mode: report.mode, trigger: 'manual' })).toBe(runsBefore + 1);
    expect(value(after, 'roster_sync_run_duration_seconds_count', { kind: 'okta' })).toBeGreaterThanOrEqual(1);
    expect(value(after, 'roster_provider_api_requests_total', { kind: 'okta' })).toBeGreaterThanOrEqual(report.apiRequests);
  });

  it('counts SCIM requests by route and status, and requests refused by the rate limit', async () => {
    const get = () => app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: `Bearer ${token}` } });
    const statuses = [(await get()).statusCode, (await get()).statusCode, (await get()).statusCode];
    expect(statuses).toEqual([200, 200, 429]);
    const text = await scrape();
    expect(value(text, 'roster_scim_requests_total', { route: '/scim/v2/Users', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(value(text, 'roster_scim_requests_total', { route: '/scim/v2/Users', method: 'GET', status: '429' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'roster_rate_limited_requests_total', { surface: 'scim' })).toBeGreaterThanOrEqual(1);
  });
});
