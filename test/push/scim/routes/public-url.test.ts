/**
 * ROSTER_PUBLIC_URL: links in SCIM answers (`meta.location`, the Location
 * header, discovery) are built on it, never on the Host header a client sends.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/core/config/index.js';
import { buildServer } from '../../../../src/server/index.js';
import { op, operationContext } from '../../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../../support/store.js';
import { userBody } from './support.js';

const PUBLIC = 'https://roster.example.com/idm';
let store: TestStore;
let app: ReturnType<typeof buildServer>;
let token: string;
let connectionId: string;

beforeAll(async () => {
  store = await createTestStore();
  const ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
  const connection = await op(ctx, 'connection.create', { tenant: 'acme', name: 'idp', kind: 'scim' });
  connectionId = connection.id;
  await op(ctx, 'connection.update', { connection: connectionId, scimRatePerMinute: 0 });
  token = (await op(ctx, 'token.create', { connection: connectionId, name: 't' })).token;
  app = buildServer(ctx, { publicUrl: loadConfig({ ROSTER_PUBLIC_URL: `${PUBLIC}/` }).publicUrl });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await store.close();
});

const forged = (method: 'GET' | 'POST', url: string, body?: unknown) =>
  app.inject({
    method,
    url,
    headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });

it('builds meta.location and Location on ROSTER_PUBLIC_URL, whatever Host says', async () => {
  const created = await forged('POST', '/scim/v2/Users', userBody('host@acme.test'));
  expect(created.statusCode).toBe(201);
  const user = created.json();
  expect(user.meta.location).toBe(`${PUBLIC}/scim/v2/Users/${user.id}`);
  expect(created.headers.location).toBe(user.meta.location);
  const listed = await forged('GET', '/scim/v2/Users');
  expect(listed.body).not.toContain('evil.example');
  const byConnection = await forged('GET', `/scim/v2/enterprise-idps/${connectionId}/Users/${user.id}`);
  expect(byConnection.json().meta.location).toBe(`${PUBLIC}/scim/v2/enterprise-idps/${connectionId}/Users/${user.id}`);
});

it('uses it in discovery too', async () => {
  const res = await forged('GET', '/scim/v2/ServiceProviderConfig');
  expect(res.statusCode).toBe(200);
  expect(res.body).not.toContain('evil.example');
  expect(res.body).toContain(PUBLIC);
});

it('refuses a ROSTER_PUBLIC_URL that is not an http(s) URL', () => {
  expect(() => loadConfig({ ROSTER_PUBLIC_URL: 'roster.example.com' })).toThrow(/ROSTER_PUBLIC_URL/);
  expect(() => loadConfig({ ROSTER_PUBLIC_URL: 'ftp://roster.example.com' })).toThrow(/ROSTER_PUBLIC_URL/);
});
