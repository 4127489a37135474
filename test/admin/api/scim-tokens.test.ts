/**
 * SCIM tokens over /api/v1: shown once at creation, listed without the
 * token, revoked at once (the SCIM endpoint refuses it on the next
 * request), and out of reach of another tenant's key.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { ADMIN_TOKEN, apiHarness, expectDocumented, type ApiHarness } from './support.js';

let h: ApiHarness;
let acmeKey: string;
let globexKey: string;
let scim: string;
let entra: string;

beforeAll(async () => {
  h = await apiHarness();
  await op(h.ctx, 'tenant.create', { slug: 'acme' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  scim = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'scim', kind: 'scim' })).id;
  entra = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: { tenantId: 't', clientId: 'c', clientSecret: 's' } })).id;
  acmeKey = (await h.key('admin', 'acme')).key;
  globexKey = (await h.key('admin', 'globex')).key;
});
afterAll(() => h.close());

const tokens = (connection: string) => `/api/v1/connections/${connection}/scim-tokens`;
const scimUsers = (token: string) => h.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: `Bearer ${token}` } });

describe('SCIM tokens', () => {
  let created: { id: string; token: string; prefix: string };

  it('creates a token with 201 and shows it in that answer only', async () => {
    const res = await h.send('POST', tokens(scim), acmeKey, { name: 'Okta SCIM', expires: '90d' });
    expect(res.statusCode).toBe(201);
    expectDocumented('ScimTokenCreated', res.json());
    created = res.json();
    expect(created).toMatchObject({ name: 'Okta SCIM', status: 'active', connection: 'acme/scim', prefix: created.token.slice(0, 12) });
    expect((await scimUsers(created.token)).statusCode).toBe(200);
    const [row] = await queryRows<Record<string, unknown>>(h.store.db, sql`select * from scim_tokens where id = ${created.id}::uuid`);
    expect(JSON.stringify(row)).not.toContain(created.token);
  });

  it('lists name, prefix, created, last used, expiry and revocation, never the token', async () => {
    // The SCIM endpoint records use without making the request wait for it.
    await expect.poll(async () => (await h.send('GET', tokens(scim), ADMIN_TOKEN)).json().tokens[0].lastUsedAt).not.toBeNull();
    const res = await h.send('GET', tokens(scim), ADMIN_TOKEN);
    expect(res.statusCode).toBe(200);
    expectDocumented('ScimTokenList', res.json());
    const [listed] = res.json().tokens;
    expect(listed).toMatchObject({ id: created.id, name: 'Okta SCIM', prefix: created.prefix, revokedAt: null, status: 'active' });
    expect(new Date(listed.expiresAt).getTime()).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    expect(res.body).not.toContain(created.token);
  });

  it('refuses bad input naming the field, and a pull connection that takes no pushes', async () => {
    const noName = await h.send('POST', tokens(scim), ADMIN_TOKEN, {});
    expect(noName.statusCode).toBe(400);
    expect(noName.json().error.message).toContain('"name"');
    const badExpiry = await h.send('POST', tokens(scim), ADMIN_TOKEN, { name: 'x', expires: 'soon' });
    expect(badExpiry.statusCode).toBe(400);
    expect(badExpiry.json().error.message).toContain('--expires');
    const pull = await h.send('POST', tokens(entra), ADMIN_TOKEN, { name: 'x' });
    expect(pull.statusCode).toBe(400);
    expect(pull.json().error.message).toContain('does not accept SCIM pushes');
  });

  it('keeps another tenant\'s key out: no create, no list, no revoke', async () => {
    expect((await h.send('POST', tokens(scim), globexKey, { name: 'stolen' })).statusCode).toBe(404);
    expect((await h.send('GET', tokens(scim), globexKey)).statusCode).toBe(404);
    expect((await h.send('DELETE', `${tokens(scim)}/${created.id}`, globexKey)).statusCode).toBe(404);
    expect(await queryRows(h.store.db, sql`select 1 from scim_tokens where name = 'stolen'`)).toHaveLength(0);
    expect((await scimUsers(created.token)).statusCode).toBe(200);
  });

  it('answers 404 for a token of another connection, even of the same tenant', async () => {
    const other = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'scim2', kind: 'scim' })).id;
    expect((await h.send('DELETE', `${tokens(other)}/${created.id}`, ADMIN_TOKEN)).statusCode).toBe(404);
    expect((await h.send('DELETE', `${tokens(scim)}/not-a-uuid`, ADMIN_TOKEN)).statusCode).toBe(404);
    expect((await scimUsers(created.token)).statusCode).toBe(200);
  });

  it('revokes with 204: the SCIM endpoint refuses the token from the next request on', async () => {
    const res = await h.send('DELETE', `${tokens(scim)}/${created.id}`, acmeKey);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await scimUsers(created.token)).statusCode).toBe(401);
    const listed = (await h.send('GET', tokens(scim), ADMIN_TOKEN)).json().tokens;
    expect(listed[0]).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    // Revoking again is not an error.
    expect((await h.send('DELETE', `${tokens(scim)}/${created.id}`, acmeKey)).statusCode).toBe(204);
  });
});
