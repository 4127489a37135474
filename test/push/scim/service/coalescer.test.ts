/**
 * WriteCoalescer on both backends: the writes one caller makes at once are
 * one transaction (their audit events share a transaction id), each request
 * still gets its own answer and its own error, requests are applied in the
 * order they came, and two callers never share a transaction.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../../../src/core/errors/index.js';
import { WriteCoalescer } from '../../../../src/push/scim/service/coalescer.js';
import { queryRows, type Db } from '../../../../src/core/store/index.js';
import { makeConnection, makeTenant, userCreate } from '../../../support/factories.js';
import { createTestStore, type TestStore } from '../../../support/store.js';

let store: TestStore;
let coalescer: WriteCoalescer;
let acme: { tenant: string; connection: string };
let globex: { tenant: string; connection: string };
const token = (tenantId: string, id = 'token:1') => ({ tenantId, actor: { type: 'scim' as const, id } });

beforeAll(async () => {
  store = await createTestStore();
  coalescer = new WriteCoalescer(store.db);
  for (const slug of ['co-acme', 'co-globex']) {
    const tenant = await makeTenant(store.db, slug);
    const connection = await makeConnection(store.db, tenant.id);
    if (slug === 'co-acme') acme = { tenant: tenant.id, connection: connection.id };
    else globex = { tenant: tenant.id, connection: connection.id };
  }
});
afterAll(() => store.close());

const userRow = (db: Db, id: string) =>
  queryRows<{ id: string; user_name: string; active: boolean }>(db, sql`select id, user_name, active from users where id = ${id}::uuid`).then((r) => r[0]);
const transactionsOf = async (ids: string[]) =>
  (
    await queryRows<{ n: number }>(
      store.db,
      sql`select count(distinct tx_id)::int as n from audit_events where entity_id in (select value from json_array_elements_text(${JSON.stringify(ids)}::text::json))`,
    )
  )[0]!.n;

describe('WriteCoalescer', () => {
  it('applies the writes one caller makes at once in one transaction, answering each with its own read', async () => {
    const creates = Array.from({ length: 10 }, (_, i) => userCreate(acme.connection, 100 + i));
    const rows = await Promise.all(creates.map((c) => coalescer.apply(token(acme.tenant), [c], (db) => userRow(db, c.id!))));
    expect(rows.map((r) => r?.user_name)).toEqual(creates.map((c) => c.attributes.userName));
    expect(await transactionsOf(creates.map((c) => c.id!))).toBe(1);
  });

  it('names each object\'s own request on its audit events, though the requests shared one transaction', async () => {
    const creates = Array.from({ length: 6 }, (_, i) => userCreate(acme.connection, 900 + i));
    const withRequest = (i: number) => ({ tenantId: acme.tenant, actor: { type: 'scim' as const, id: 'token:1', requestId: `req-${i}` } });
    await Promise.all(creates.map((c, i) => coalescer.apply(withRequest(i), [c], (db) => userRow(db, c.id!))));
    expect(await transactionsOf(creates.map((c) => c.id!))).toBe(1);
    const events = await queryRows<{ entity_id: string; request_id: string | null }>(
      store.db,
      sql`select entity_id, request_id from audit_events where entity_id in (select value from json_array_elements_text(${JSON.stringify(creates.map((c) => c.id))}::text::json))`,
    );
    expect(Object.fromEntries(events.map((e) => [e.entity_id, e.request_id]))).toEqual(Object.fromEntries(creates.map((c, i) => [c.id, `req-${i}`])));
  });

  it('gives a failing request its own error and applies the others', async () => {
    const creates = [userCreate(acme.connection, 200), userCreate(acme.connection, 100), userCreate(acme.connection, 201)];
    const settled = await Promise.allSettled(creates.map((c) => coalescer.apply(token(acme.tenant), [c], (db) => userRow(db, c.id!))));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(await userRow(store.db, creates[1]!.id!)).toBeUndefined();
    expect((await userRow(store.db, creates[2]!.id!))?.user_name).toBe('user201@example.test');
  });

  it('re-applies a failed batch in halves: the others are written in a few transactions, not one each', async () => {
    const creates = Array.from({ length: 16 }, (_, i) => userCreate(acme.connection, 500 + i));
    creates[5] = userCreate(acme.connection, 100); // userName taken by the first test
    const settled = await Promise.allSettled(creates.map((c) => coalescer.apply(token(acme.tenant), [c], async () => undefined)));
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
    expect(settled[5]!.status).toBe('rejected');
    const written = creates.filter((_, i) => i !== 5).map((c) => c.id!);
    expect(await transactionsOf(written)).toBeLessThanOrEqual(4);
  });

  it('applies requests in the order they came, also when a batch is re-applied one by one', async () => {
    const [user] = await Promise.all([userCreate(acme.connection, 300)].map((c) => coalescer.apply(token(acme.tenant), [c], (db) => userRow(db, c.id!))));
    const id = user!.id;
    const missing = '00000000-0000-4000-8000-000000000000';
    const results = await Promise.allSettled([
      coalescer.apply(token(acme.tenant), [{ kind: 'user.deactivate', userId: id }], (db) => userRow(db, id)),
      coalescer.apply(token(acme.tenant), [{ kind: 'user.deactivate', userId: missing }], (db) => userRow(db, missing)),
      coalescer.apply(token(acme.tenant), [{ kind: 'user.reactivate', userId: id }], (db) => userRow(db, id)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    expect((results[0] as PromiseFulfilledResult<{ active: boolean }>).value.active).toBe(false);
    expect((await userRow(store.db, id))?.active).toBe(true);
    const actions = await queryRows<{ action: string }>(store.db, sql`select action from audit_events where entity_id = ${id} order by id`);
    expect(actions.map((a) => a.action)).toEqual(['user.created', 'user.deactivated', 'user.reactivated']);
  });

  it('never puts two callers in one transaction', async () => {
    const mine = [userCreate(acme.connection, 400), userCreate(acme.connection, 401)];
    const theirs = userCreate(globex.connection, 400);
    const otherToken = userCreate(acme.connection, 402);
    await Promise.all([
      ...mine.map((c) => coalescer.apply(token(acme.tenant), [c], async () => undefined)),
      coalescer.apply(token(globex.tenant), [theirs], async () => undefined),
      coalescer.apply(token(acme.tenant, 'token:2'), [otherToken], async () => undefined),
    ]);
    expect(await transactionsOf(mine.map((c) => c.id!))).toBe(1);
    expect(await transactionsOf([...mine, theirs, otherToken].map((c) => c.id!))).toBe(3);
  });
});
