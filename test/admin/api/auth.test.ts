import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../../src/admin/api/index.js';
import { loadConfig } from '../../../src/core/config/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { ADMIN_TOKEN, apiHarness, type ApiHarness } from './support.js';

let h: ApiHarness;
let acmeConnection: string;
let globexConnection: string;

beforeAll(async () => {
  h = await apiHarness();
  await op(h.ctx, 'tenant.create', { slug: 'acme' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  acmeConnection = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'scim', kind: 'scim' })).id;
  globexConnection = (await op(h.ctx, 'connection.create', { tenant: 'globex', name: 'scim', kind: 'scim' })).id;
});
afterAll(() => h.close());

const report = (id: string) => `/api/v1/connections/${id}/report`;

describe('API keys', () => {
  it('shows the key once and stores only its SHA-256 hash and a short prefix', async () => {
    const created = await op(h.ctx, 'apiKey.create', { name: 'console', scope: 'admin' });
    expect(created.key).toMatch(/^rsk_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ name: 'console', scope: 'admin', tenant: null, status: 'active', prefix: created.key.slice(0, 12) });
    const [row] = await queryRows<Record<string, unknown>>(h.store.db, sql`select * from api_keys where id = ${created.id}::uuid`);
    expect(row!.key_hash).toBe(hashApiKey(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);
    const listed = await op(h.ctx, 'apiKey.list');
    expect(listed.find((k: { id: string }) => k.id === created.id)).toMatchObject({ name: 'console', lastUsedAt: null, revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(created.key);
  });

  it('binds a key to a tenant and audits it there, without the key', async () => {
    const created = await op(h.ctx, 'apiKey.create', { name: 'acme login', scope: 'login-sync', tenant: 'acme' });
    expect(created).toMatchObject({ tenant: 'acme', scope: 'login-sync' });
    const events = await queryRows<{ action: string; after: unknown }>(h.store.db, sql`select action, after from audit_events where entity_id = ${created.id}`);
    expect(events.map((e) => e.action)).toEqual(['api_key.created']);
    expect(JSON.stringify(events)).not.toContain(created.key);
  });

  it('refuses an unknown scope or tenant with a clear error and creates nothing', async () => {
    const before = (await op(h.ctx, 'apiKey.list')).length;
    await expect(op(h.ctx, 'apiKey.create', { name: 'x', scope: 'root' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('scope') });
    await expect(op(h.ctx, 'apiKey.create', { name: 'x', scope: 'admin', tenant: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(op(h.ctx, 'apiKey.create', { name: ' ', scope: 'admin' })).rejects.toMatchObject({ code: 'invalid_input' });
    expect((await op(h.ctx, 'apiKey.list')).length).toBe(before);
  });

  it('refuses a bootstrap token shorter than 32 characters', () => {
    expect(() => loadConfig({ ROSTER_ADMIN_TOKEN: 'short' })).toThrow(/at least 32 characters/);
    expect(loadConfig({ ROSTER_ADMIN_TOKEN: ADMIN_TOKEN }).adminToken).toBe(ADMIN_TOKEN);
  });
});

describe('bearer auth on /api/v1', () => {
  it('answers 401 in the JSON error shape without a key, with a wrong key, and on unknown paths', async () => {
    for (const [url, key] of [
      [report(acmeConnection), undefined],
      [report(acmeConnection), 'rsk_not-a-real-key'],
      ['/api/v1/events', 'Basic abc'],
      ['/api/v1/no-such-thing', undefined],
    ] as const) {
      const res = await h.get(url, key);
      expect(res.statusCode, `${url} ${key}`).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="roster"');
    }
  });

  it('lets the bootstrap token in as an admin of every tenant', async () => {
    expect((await h.get(report(acmeConnection), ADMIN_TOKEN)).statusCode).toBe(200);
    expect((await h.get(report(globexConnection), ADMIN_TOKEN)).statusCode).toBe(200);
    // A near miss is refused (compared in constant time, over digests).
    expect((await h.get(report(acmeConnection), `${ADMIN_TOKEN}x`)).statusCode).toBe(401);
  });

  it('refuses a revoked key from the next request on', async () => {
    const { id, key } = await h.key('admin');
    expect((await h.get(report(acmeConnection), key)).statusCode).toBe(200);
    const revoked = await op(h.ctx, 'apiKey.revoke', { id });
    expect(revoked).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    const res = await h.get(report(acmeConnection), key);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('the API key has been revoked');
    // Revoking again keeps the first revocation time.
    expect((await op(h.ctx, 'apiKey.revoke', { id })).revokedAt).toBe(revoked.revokedAt);
    await expect(op(h.ctx, 'apiKey.revoke', { id: '00000000-0000-0000-0000-000000000000' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('answers 403 to a key of the wrong scope', async () => {
    const { key } = await h.key('login-sync');
    for (const url of [report(acmeConnection), '/api/v1/events']) {
      const res = await h.get(url, key);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: { code: 'forbidden', message: 'this API key has the login-sync scope; this endpoint needs admin' } });
    }
  });

  it('keeps a tenant-restricted key to its own tenant', async () => {
    const { key } = await h.key('admin', 'acme');
    expect((await h.get(report(acmeConnection), key)).statusCode).toBe(200);
    const other = await h.get(report(globexConnection), key);
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('not_found');
    expect((await h.get('/api/v1/events?tenant=globex', key)).statusCode).toBe(403);
    expect((await h.get('/api/v1/events?tenant=no-such-tenant', key)).statusCode).toBe(403);
    expect((await h.get('/api/v1/events?tenant=acme', key)).statusCode).toBe(200);
  });

  it('records last use without a write per request', async () => {
    const { id, key } = await h.key('admin', undefined, 'metered');
    const lastUsed = async () =>
      (await queryRows<{ last_used_at: string | null }>(h.store.db, sql`select last_used_at from api_keys where id = ${id}::uuid`))[0]!.last_used_at;
    expect(await lastUsed()).toBeNull();
    await h.get(report(acmeConnection), key);
    // The write is fire-and-forget: wait for it to land.
    let first: string | null = null;
    for (let i = 0; i < 100 && !first; i++) {
      first = await lastUsed();
      if (!first) await new Promise((r) => setTimeout(r, 20));
    }
    expect(first).not.toBeNull();
    for (let i = 0; i < 5; i++) expect((await h.get(report(acmeConnection), key)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(await lastUsed()).toEqual(first);
    const listed = await op(h.ctx, 'apiKey.list');
    expect(listed.find((k: { id: string }) => k.id === id).lastUsedAt).toBe(new Date(first!).toISOString());
  });
});
