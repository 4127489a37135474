import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ConflictError, NotFoundError, ValidationError } from '../../../src/core/errors/index.js';
import { SecretKeyring } from '../../../src/core/secrets/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { countRows } from '../../support/inspect.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { op, operationContext } from './support.js';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;
const SECRET = 'entra-client-secret-value-123';
const entra = { tenantId: 'contoso', clientId: 'app-1', clientSecret: SECRET };

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
});
afterAll(() => store.close());

describe('tenant operations', () => {
  it('creates a tenant, lists it, and audits the creation', async () => {
    const t = await op(ctx, 'tenant.create', { slug: 'acme', name: 'Acme Corp' });
    expect(t).toMatchObject({ slug: 'acme', name: 'Acme Corp' });
    expect((await op(ctx, 'tenant.list')).map((x: { slug: string }) => x.slug)).toContain('acme');
    const [audit] = await queryRows<{ action: string }>(store.db, sql`select action from audit_events where entity_id = ${t.id}`);
    expect(audit?.action).toBe('tenant.created');
  });

  it('refuses a duplicate slug and a malformed one', async () => {
    await expect(op(ctx, 'tenant.create', { slug: 'acme' })).rejects.toThrow(ConflictError);
    await expect(op(ctx, 'tenant.create', { slug: 'Not A Slug' })).rejects.toThrow(/"slug" must be lowercase/);
  });
});

describe('connection operations', () => {
  it('stores secrets encrypted, never in settings, and shows them masked', async () => {
    const c = await op(ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: entra, schedule: '0 * * * *' });
    expect(c.settings).toEqual({ tenantId: 'contoso', clientId: 'app-1', clientSecret: '(set)' });
    const [raw] = await queryRows<{ settings: unknown; secrets: string }>(store.db, sql`select settings, secrets from connections where id = ${c.id}::uuid`);
    expect(JSON.stringify(raw)).not.toContain(SECRET);
    expect(raw!.secrets).toMatch(/^v1\./);
    expect(ctx.keyring.decrypt(raw!.secrets, `connection:${c.id}`)).toEqual({ clientSecret: SECRET });
    const shown = await op(ctx, 'connection.show', { connection: 'acme/entra' });
    expect(shown).toMatchObject({ id: c.id, schedule: '0 * * * *', users: 0, groups: 0 });
    expect(JSON.stringify(await op(ctx, 'connection.list', { tenant: 'acme' }))).not.toContain(SECRET);
    const audit = await queryRows<{ after: unknown }>(store.db, sql`select after from audit_events where entity_id = ${c.id}`);
    expect(audit.length).toBe(1);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });

  it('refuses an unknown tenant, a duplicate name, an unknown kind and bad settings, storing nothing', async () => {
    const before = await countRows(store.db, 'connections');
    await expect(op(ctx, 'connection.create', { tenant: 'nope', name: 'x', kind: 'scim' })).rejects.toThrow(NotFoundError);
    await expect(op(ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: entra })).rejects.toThrow(ConflictError);
    await expect(op(ctx, 'connection.create', { tenant: 'acme', name: 'x', kind: 'workday' })).rejects.toThrow(/unknown connection kind "workday"/);
    await expect(op(ctx, 'connection.create', { tenant: 'acme', name: 'x', kind: 'entra', settings: { tenantId: 'a' } })).rejects.toThrow(ValidationError);
    await expect(op(ctx, 'connection.create', { tenant: 'acme', name: 'x', kind: 'scim', schedule: 'hourly' })).rejects.toThrow(/cron/);
    expect(await countRows(store.db, 'connections')).toBe(before);
  });

  it('refuses to store credentials on Postgres without a secret key, storing nothing', async () => {
    const noKey = operationContext(store, new SecretKeyring({ secretKey: undefined, backend: 'postgres', dataDir: undefined }));
    const input = { tenant: 'acme', name: 'okta', kind: 'okta', settings: { orgUrl: 'https://acme.okta.com', apiToken: 'tok' } };
    await expect(op(noKey, 'connection.create', input)).rejects.toThrow(ConfigError);
    await expect(op(ctx, 'connection.show', { connection: 'acme/okta' })).rejects.toThrow(NotFoundError);
  });

  it('updates schedule, state, threshold and settings, keeping the stored secret', async () => {
    const c = await op(ctx, 'connection.update', {
      connection: 'acme/entra',
      schedule: null,
      enabled: false,
      deletionThreshold: '15%',
      settings: { tenantId: 'fabrikam', clientId: 'app-2' },
    });
    expect(c).toMatchObject({ schedule: null, enabled: false, deletionThreshold: { count: null, percent: 15 } });
    expect(c.settings).toEqual({ tenantId: 'fabrikam', clientId: 'app-2', clientSecret: '(set)' });
    const [raw] = await queryRows<{ secrets: string }>(store.db, sql`select secrets from connections where id = ${c.id}::uuid`);
    expect(ctx.keyring.decrypt(raw!.secrets, `connection:${c.id}`)).toEqual({ clientSecret: SECRET });
  });

  it('keeps tenants apart: a connection name resolves only within its tenant', async () => {
    await op(ctx, 'tenant.create', { slug: 'globex' });
    await op(ctx, 'connection.create', { tenant: 'globex', name: 'push', kind: 'scim' });
    await expect(op(ctx, 'connection.show', { connection: 'acme/push' })).rejects.toThrow(NotFoundError);
    expect((await op(ctx, 'connection.list', { tenant: 'globex' })).map((c: { name: string }) => c.name)).toEqual(['push']);
    expect((await op(ctx, 'connection.list', {})).map((c: { tenant: string; name: string }) => `${c.tenant}/${c.name}`)).toEqual([
      'acme/entra',
      'globex/push',
    ]);
    await op(ctx, 'role.create', { tenant: 'acme', name: 'viewer' });
    await expect(op(ctx, 'mapping.add', { tenant: 'acme', group: 'Eng', role: 'viewer', connection: 'globex/push' })).rejects.toThrow(/belongs to another tenant/);
  });

  it('deletes an empty connection and audits it', async () => {
    const c = await op(ctx, 'connection.show', { connection: 'globex/push' });
    expect(await op(ctx, 'connection.delete', { connection: c.id })).toMatchObject({ deleted: true, usersDeleted: 0 });
    await expect(op(ctx, 'connection.show', { connection: c.id })).rejects.toThrow(NotFoundError);
    const actions = await queryRows<{ action: string }>(store.db, sql`select action from audit_events where entity_id = ${c.id} order by id`);
    expect(actions.map((a) => a.action)).toEqual(['connection.created', 'connection.deleted']);
  });
});
