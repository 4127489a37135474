import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../../src/core/errors/index.js';
import { parseExpiry } from '../../../src/admin/operations/tokens.js';
import { hashScimToken } from '../../../src/push/scim/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { op, operationContext } from './support.js';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
  await op(ctx, 'connection.create', { tenant: 'acme', name: 'okta-scim', kind: 'scim' });
  await op(ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: { tenantId: 't', clientId: 'c', clientSecret: 's' } });
});
afterAll(() => store.close());

describe('SCIM tokens', () => {
  it('shows the token once and stores only its SHA-256 hash and a short prefix', async () => {
    const created = await op(ctx, 'token.create', { connection: 'acme/okta-scim', name: 'Okta SCIM' });
    expect(created.token).toMatch(/^rst_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.token.slice(0, 12));
    const [row] = await queryRows<Record<string, unknown>>(store.db, sql`select * from scim_tokens where id = ${created.id}::uuid`);
    expect(row!.token_hash).toBe(hashScimToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const [audit] = await queryRows<{ after: unknown }>(store.db, sql`select after from audit_events where entity_id = ${created.id}`);
    expect(JSON.stringify(audit!.after)).not.toContain(created.token);
    const listed = await op(ctx, 'token.list', { connection: 'acme/okta-scim' });
    expect(listed.find((t: { id: string }) => t.id === created.id)).toMatchObject({ name: 'Okta SCIM', status: 'active', lastUsedAt: null });
    expect(JSON.stringify(listed)).not.toContain(created.token);
  });

  it('lets two live tokens overlap for rotation, and revokes one without touching the other', async () => {
    const a = await op(ctx, 'token.create', { connection: 'acme/okta-scim', name: 'old' });
    const b = await op(ctx, 'token.create', { connection: 'acme/okta-scim', name: 'new' });
    const revoked = await op(ctx, 'token.revoke', { id: a.id });
    expect(revoked.status).toBe('revoked');
    const statuses = Object.fromEntries((await op(ctx, 'token.list', { connection: 'acme/okta-scim' })).map((t: { id: string; status: string }) => [t.id, t.status]));
    expect(statuses[a.id]).toBe('revoked');
    expect(statuses[b.id]).toBe('active');
    // Revoking again keeps the first revocation time.
    expect((await op(ctx, 'token.revoke', { id: a.id })).revokedAt).toBe(revoked.revokedAt);
  });

  it('sets an expiry from a duration and refuses one in the past', async () => {
    const t = await op(ctx, 'token.create', { connection: 'acme/okta-scim', name: 'short', expires: '2d' });
    const inMs = new Date(t.expiresAt).getTime() - Date.now();
    expect(inMs).toBeGreaterThan(47 * 3_600_000);
    expect(inMs).toBeLessThan(49 * 3_600_000);
    expect(() => parseExpiry('2001-01-01')).toThrow(/in the past/);
    expect(() => parseExpiry('soon')).toThrow(ValidationError);
  });

  it('refuses a token for a pull connection until SCIM push is enabled on it', async () => {
    await expect(op(ctx, 'token.create', { connection: 'acme/entra', name: 'x' })).rejects.toThrow(/--scim-push/);
    const updated = await op(ctx, 'connection.update', { connection: 'acme/entra', scimPush: true });
    expect(updated.scimPush).toBe(true);
    expect((await op(ctx, 'token.create', { connection: 'acme/entra', name: 'x' })).token).toMatch(/^rst_/);
  });

  it('reports an unknown token id as not found', async () => {
    await expect(op(ctx, 'token.revoke', { id: '00000000-0000-4000-8000-000000000000' })).rejects.toThrow(NotFoundError);
  });
});
