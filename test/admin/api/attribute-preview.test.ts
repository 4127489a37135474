/** POST /api/v1/connections/{id}/attribute-preview: unsaved expressions over a few users read live from the IdP (Entra and Google fakes), nothing saved. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { entraAdapter, googleAdapter } from '../../pull/providers/contract/adapters.js';
import type { ContractFake } from '../../pull/providers/contract/adapter.js';
import { personNamed } from '../../pull/providers/contract/scenario.js';
import { ADMIN_TOKEN, apiHarness, expectDocumented, type ApiHarness } from './support.js';

describe.each([entraAdapter, googleAdapter].map((a) => [a.kind, a] as const))('attribute preview on %s', (_kind, adapter) => {
  let h: ApiHarness;
  let fake: ContractFake;
  let connectionId: string;
  const preview = (body: unknown) => h.send('POST', `/api/v1/connections/${connectionId}/attribute-preview`, ADMIN_TOKEN, body);

  beforeAll(async () => {
    h = await apiHarness();
    fake = await adapter.start();
    for (const name of ['ann', 'bo', 'cy', 'dee', 'eve', 'fay', 'gus']) fake.setCustomAttribute(fake.addUser(personNamed(name, fake.domain)), `CC-${name}`);
    await op(h.ctx, 'tenant.create', { slug: 'acme' });
    connectionId = (await op<{ id: string }>(h.ctx, 'connection.create', { tenant: 'acme', name: 'idp', kind: adapter.kind, settings: fake.connectionSettings() })).id;
  }, 60_000);
  afterAll(async () => {
    await fake?.close();
    await h?.close();
  });

  it('evaluates unsaved expressions over a few real users, naming failures, and saves nothing', async () => {
    const expr = adapter.customAttributeExpression;
    const res = await preview({
      users: 3,
      expressions: { fields: { displayName: `$uppercase(${expr})` }, custom: { costCenter: expr, broken: `$number(${expr})` } },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expectDocumented('AttributePreview', body);
    expect(body.users).toHaveLength(3);
    // Google's baseline admin (the account the service account acts as) has no custom schema field.
    const seeded = body.users.filter((u: { custom: { costCenter: string | null } }) => u.custom.costCenter !== null);
    expect(seeded.length).toBeGreaterThanOrEqual(2);
    for (const u of seeded) {
      expect(u.custom.costCenter).toMatch(/^CC-[a-z]+$/);
      expect(u.fields.displayName).toBe(u.custom.costCenter.toUpperCase());
      expect(u.custom.broken).toBeNull();
      expect(u.errors).toEqual([{ field: 'custom.broken', message: expect.stringMatching(/number/i) }]);
    }
    expect((await queryRows<{ n: number }>(h.store.db, sql`select count(*)::int as n from users`))[0]!.n).toBe(0);
    expect((await op<{ settings: Record<string, unknown> }>(h.ctx, 'connection.show', { connection: connectionId })).settings.expressions).toBeUndefined();
  });

  it('reads the first page of users and stops there', async () => {
    fake.resetRequests();
    expect((await preview({ users: 2, expressions: { custom: { costCenter: adapter.customAttributeExpression } } })).statusCode).toBe(200);
    const tally = fake.tally();
    expect(tally).toMatchObject({ users: 1, members: 0 });
    // Graph's provider reads the groups round's first page ahead as the users round ends: at most that one.
    expect(tally.groups).toBeLessThanOrEqual(1);
  });

  it('refuses a bad expression with the field and JSONata\'s message', async () => {
    const res = await preview({ expressions: { custom: { costCenter: 'a +' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/expressions\.custom\.costCenter .*not a valid JSONata expression/);
  });
});
