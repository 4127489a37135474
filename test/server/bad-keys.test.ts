/**
 * Guessing keys is throttled: after a burst of requests with a bad SCIM token
 * or API key, the address is answered 429 (SCIM error body on SCIM routes, the
 * API error shape on /api/v1) without the key even being looked up, so keys
 * cannot be tried at full speed. A valid key from another address still works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM_ERROR_SCHEMA } from '../../src/push/scim/errors.js';
import { buildServer } from '../../src/server/index.js';
import { BadKeyLimiter } from '../../src/core/security/bad-keys.js';
import { op, operationContext } from '../admin/operations/support.js';
import { createTestStore, type TestStore } from '../support/store.js';

const BURST = 3;
let store: TestStore;
let app: ReturnType<typeof buildServer>;
let token: string;
let apiKey: string;
let clock = 0;

beforeAll(async () => {
  store = await createTestStore();
  const ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
  const connection = await op(ctx, 'connection.create', { tenant: 'acme', name: 'idp', kind: 'scim' });
  await op(ctx, 'connection.update', { connection: connection.id, scimRatePerMinute: 0 });
  token = (await op(ctx, 'token.create', { connection: connection.id, name: 't' })).token;
  apiKey = (await op(ctx, 'apiKey.create', { name: 'ops', scope: 'admin' })).key;
  // The limiter's clock is the test's: a refill never happens between two requests by accident.
  app = buildServer(ctx, { badKeys: new BadKeyLimiter({ burst: BURST, perMinute: 6 }, { now: () => clock }) });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await store.close();
});

const from = (remoteAddress: string, url: string, key: string) =>
  app.inject({ method: 'GET', url, remoteAddress, headers: { authorization: `Bearer ${key}` } });

describe('bad SCIM tokens', () => {
  it('answers 401 for a burst of bad tokens, then 429 with Retry-After and a SCIM body', async () => {
    for (let i = 0; i < BURST; i++) expect((await from('198.51.100.1', '/scim/v2/Users', `guess-${i}`)).statusCode).toBe(401);
    const refused = await from('198.51.100.1', '/scim/v2/Users', 'guess-x');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.json()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '429' });
    // Even the right token waits: the address is not trying keys right now.
    expect((await from('198.51.100.1', '/scim/v2/Users', token)).statusCode).toBe(429);
    // Another address is not affected.
    expect((await from('198.51.100.2', '/scim/v2/Users', token)).statusCode).toBe(200);
  });

  it('lets the address try again once its budget has refilled', async () => {
    clock += 10_000; // 6 a minute: one try back every 10 s
    expect((await from('198.51.100.1', '/scim/v2/Users', token)).statusCode).toBe(200);
  });
});

describe('bad API keys', () => {
  it('answers 429 in the API error shape after a burst of bad keys', async () => {
    for (let i = 0; i < BURST; i++) expect((await from('203.0.113.9', '/api/v1/tenants', `guess-${i}`)).statusCode).toBe(401);
    const refused = await from('203.0.113.9', '/api/v1/tenants', apiKey);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('retry after') } });
    expect((await from('203.0.113.10', '/api/v1/tenants', apiKey)).statusCode).toBe(200);
  });

  it('does not count a valid key as a bad one', async () => {
    for (let i = 0; i < BURST * 3; i++) expect((await from('203.0.113.20', '/api/v1/tenants', apiKey)).statusCode).toBe(200);
  });
});
