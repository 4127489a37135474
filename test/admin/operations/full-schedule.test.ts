/**
 * The safety net (issue 10, item 2): every pull connection gets a periodic
 * full reconcile by default, daily at a time spread by its id; it is shown,
 * changeable, and can be opted out of explicitly. SCIM connections get none.
 * Migration 0010 gives connections made before the default the same time.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFullSchedule } from '../../../src/core/connections/index.js';
import type { ConnectionView } from '../../../src/admin/operations/connections.js';
import { queryRows } from '../../../src/core/store/index.js';
import { op, operationContext } from './support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;
beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
});
afterAll(() => store.close());

const SETTINGS = {
  okta: { orgUrl: 'https://acme.okta.com', apiToken: 'tok' },
  entra: { tenantId: '11111111-2222-3333-4444-555555555555', clientId: 'app', clientSecret: 's' },
  google: { subject: 'admin@acme.test', serviceAccountKey: { client_email: 'sa@acme.iam.gserviceaccount.com', private_key: 'k' } },
} as const;
let n = 0;
const create = (kind: 'okta' | 'entra' | 'google' | 'scim', extra: Record<string, unknown> = {}) =>
  op<ConnectionView>(ctx, 'connection.create', { tenant: 'acme', name: `${kind}-${++n}`, kind, ...(kind === 'scim' ? {} : { settings: SETTINGS[kind] }), ...extra });
const DAILY = /^([0-5]?\d) ([234]) \* \* \*$/;

describe('the default full schedule', () => {
  it.each(['okta', 'entra', 'google'] as const)('a new %s connection gets a daily full sync between 02:00 and 04:59 UTC, shown with it', async (kind) => {
    const c = await create(kind);
    expect(c.fullSchedule).toMatch(DAILY);
    expect(c.fullSchedule).toBe(defaultFullSchedule(c.id));
    expect((await op<ConnectionView>(ctx, 'connection.show', { connection: `acme/${c.name}` })).fullSchedule).toBe(c.fullSchedule);
    const listed = (await op<ConnectionView[]>(ctx, 'connection.list', { tenant: 'acme' })).find((x) => x.id === c.id);
    expect(listed!.fullSchedule).toBe(c.fullSchedule);
  });

  it('spreads connections over the night, the same way every time for one id', () => {
    const times = new Set(Array.from({ length: 200 }, (_, i) => defaultFullSchedule(`${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`)));
    expect(times.size).toBeGreaterThan(50);
    for (const t of times) expect(t).toMatch(DAILY);
    // The first 7 hex digits, mod 180 (minutes from 02:00).
    expect(defaultFullSchedule('000000f0-0000-4000-8000-000000000000')).toBe('15 2 * * *');
    expect(defaultFullSchedule('00000b30-0000-4000-8000-000000000000')).toBe('59 4 * * *'); // 179: the last slot
    expect(defaultFullSchedule('00000b40-0000-4000-8000-000000000000')).toBe('0 2 * * *'); // 180 wraps
  });

  it('takes a schedule of its own, or none when created with null (an explicit opt-out)', async () => {
    expect((await create('okta', { fullSchedule: '0 5 * * 0' })).fullSchedule).toBe('0 5 * * 0');
    expect((await create('okta', { fullSchedule: null })).fullSchedule).toBeNull();
    await expect(create('okta', { fullSchedule: 'every night' })).rejects.toThrow(/not a valid cron expression/);
  });

  it('is changed and opted out of with an update, and the opt-out stays', async () => {
    const c = await create('google');
    const label = `acme/${c.name}`;
    expect((await op<ConnectionView>(ctx, 'connection.update', { connection: label, fullSchedule: '30 1 * * *' })).fullSchedule).toBe('30 1 * * *');
    expect((await op<ConnectionView>(ctx, 'connection.update', { connection: label, fullSchedule: null })).fullSchedule).toBeNull();
    expect((await op<ConnectionView>(ctx, 'connection.update', { connection: label, deletionThreshold: '10%' })).fullSchedule).toBeNull();
  });

  it('gives a SCIM connection none, and refuses one', async () => {
    expect((await create('scim')).fullSchedule).toBeNull();
    await expect(create('scim', { fullSchedule: '0 3 * * *' })).rejects.toThrow(/scim connection is pushed to/);
  });
});

describe('migration 0010', () => {
  const migration = readFileSync(new URL('../../../drizzle/0010_default_full_schedule.sql', import.meta.url), 'utf8');

  it('gives every pull connection without a full schedule the default, the same as a new one gets, and audits it', async () => {
    // Connections opted out earlier in this file get it too: before 0010, NULL also meant "never set".
    const [okta, entra, custom, scim] = [await create('okta'), await create('entra'), await create('okta', { fullSchedule: '0 5 * * 0' }), await create('scim')];
    // As connections were before the default: none.
    await queryRows(store.db, sql`update connections set full_schedule = null where id in (${okta.id}, ${entra.id})`);
    await store.db.execute(sql.raw(migration));
    const rows = await queryRows<{ id: string; full_schedule: string | null }>(store.db, sql`select id, full_schedule from connections where id in (${okta.id}, ${entra.id}, ${custom.id}, ${scim.id})`);
    const by = new Map(rows.map((r) => [r.id, r.full_schedule]));
    expect(by.get(okta.id)).toBe(defaultFullSchedule(okta.id));
    expect(by.get(entra.id)).toBe(defaultFullSchedule(entra.id));
    expect(by.get(custom.id)).toBe('0 5 * * 0');
    expect(by.get(scim.id)).toBeNull();
    const audit = await queryRows<{ entity_id: string; actor_id: string; after: unknown }>(
      store.db, sql`select entity_id, actor_id, after from audit_events where actor_type = 'system' and action = 'connection.updated' and entity_id in (${okta.id}, ${entra.id}, ${custom.id}, ${scim.id})`,
    );
    expect(audit.map((a) => a.entity_id).sort()).toEqual([okta.id, entra.id].sort());
    expect(audit.find((a) => a.entity_id === okta.id)).toMatchObject({ actor_id: 'migration', after: { fullSchedule: defaultFullSchedule(okta.id) } });
  });
});
