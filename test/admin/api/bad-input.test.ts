/**
 * Hostile and odd input on /api/v1: every case is a 400 in the API's error
 * shape naming what is wrong, never a 500 (issue 10, "Bad input and edges").
 */
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, apiHarness, type ApiHarness } from './support.js';

let h: ApiHarness;
let connectionId: string;
beforeAll(async () => {
  h = await apiHarness();
  expect((await h.send('POST', '/api/v1/tenants', ADMIN_TOKEN, { slug: 'acme' })).statusCode).toBe(201);
  const created = await h.send('POST', '/api/v1/connections', ADMIN_TOKEN, { tenant: 'acme', name: 'push', kind: 'scim' });
  connectionId = created.json().id;
});
afterAll(async () => h.close());

const expectInvalid = (res: LightMyRequestResponse, mentions: string) => {
  expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
  const { error } = res.json();
  expect(error.code).toBe('invalid_input');
  expect(error.message).toContain(mentions);
};
const raw = (method: 'POST' | 'PATCH', url: string, payload: string, key = ADMIN_TOKEN) =>
  h.app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });

describe('NUL characters', () => {
  it('refuses a NUL in a body field, naming it', async () => {
    expectInvalid(await h.send('POST', '/api/v1/tenants', ADMIN_TOKEN, { slug: 'nul', name: 'Bad\u0000Corp' }), 'body.name');
  });

  it('refuses a NUL in a body key', async () => {
    expectInvalid(await raw('POST', '/api/v1/tenants', '{"slug":"key","na\\u0000me":"x"}'), 'NUL');
  });

  it('refuses a NUL in a path parameter and in a query parameter', async () => {
    expectInvalid(await h.get('/api/v1/tenants/ac%00me', ADMIN_TOKEN), 'path.tenant');
    expectInvalid(await h.get('/api/v1/tenants/acme/users?q=a%00b', ADMIN_TOKEN), 'query.q');
    expectInvalid(await h.get('/api/v1/tenants/acme/users/ada%00@acme.test', ADMIN_TOKEN), 'path.user');
  });

  it('refuses a NUL in a login-sync body', async () => {
    const { key } = await h.key('login-sync', 'acme');
    expectInvalid(await h.send('POST', '/api/v1/login-sync', key, { tenant: 'acme', userName: 'ada\u0000@acme.test' }), 'body.userName');
  });
});

describe('deeply nested JSON', () => {
  it('refuses a body nested thousands deep with a 400, not a stack overflow', async () => {
    const depth = 50_000;
    expectInvalid(await raw('POST', '/api/v1/tenants', `{"slug":"deep","name":${'['.repeat(depth)}${']'.repeat(depth)}}`), 'nested');
  });
});

describe('numbers beyond an int column', () => {
  it('refuses a deletionThreshold beyond the int range, as a number or a string', async () => {
    for (const deletionThreshold of [99_999_999_999, '99999999999', '3000000000']) {
      expectInvalid(await h.send('PATCH', `/api/v1/connections/${connectionId}`, ADMIN_TOKEN, { deletionThreshold }), 'deletion threshold');
    }
    const ok = await h.send('PATCH', `/api/v1/connections/${connectionId}`, ADMIN_TOKEN, { deletionThreshold: 2_147_483_647 });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('refuses a SCIM rate limit, burst or login-sync timeout beyond its range', async () => {
    for (const body of [{ scimRatePerMinute: 99_999_999_999 }, { scimBurst: 99_999_999_999 }, { loginSyncTimeoutMs: 99_999_999_999 }]) {
      const res = await h.send('PATCH', `/api/v1/connections/${connectionId}`, ADMIN_TOKEN, body);
      expectInvalid(res, Object.keys(body)[0]!);
    }
  });
});

describe('lengths past the index row limit', () => {
  it('refuses a mapping whose group name or id is longer than a group can be', async () => {
    await h.send('POST', '/api/v1/tenants/acme/roles', ADMIN_TOKEN, { name: 'dev' });
    const long = randomBytes(1600).toString('hex');
    expectInvalid(await h.send('POST', '/api/v1/tenants/acme/mappings', ADMIN_TOKEN, { group: long, role: 'dev' }), 'group');
    expectInvalid(await h.send('POST', '/api/v1/tenants/acme/mappings', ADMIN_TOKEN, { groupId: long, role: 'dev' }), 'groupId');
  });
});
