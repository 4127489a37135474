/**
 * inTransaction: all or nothing, on both backends. On Postgres it pipelines
 * BEGIN with the first statement and COMMIT with the read-back, on a
 * connection it reserves from the pool, and with `commitAhead` sends COMMIT
 * right behind the statements; these tests pin what callers rely on.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, queryRows, type Db } from '../../../src/core/store/index.js';
import { backendName, createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.close());

const addTenant = (db: Db, slug: string) => queryRows(db, sql`insert into tenants (slug, name) values (${slug}, ${slug}) returning id`);
const slugs = async (prefix: string, db: Db = store.db) =>
  (await queryRows<{ slug: string }>(db, sql`select slug from tenants where slug like ${`${prefix}%`} order by slug`)).map((r) => r.slug);

describe('inTransaction', () => {
  it('commits the work and reads the committed state back with the commit', async () => {
    const { value, read, pipelined } = await inTransaction(
      store.db,
      async (tx) => {
        await addTenant(tx, 'commit-a');
        await addTenant(tx, 'commit-b');
        return 'done';
      },
      { readAfterCommit: (db) => slugs('commit-', db) },
    );
    expect(value).toBe('done');
    expect(read).toEqual(['commit-a', 'commit-b']);
    expect(pipelined).toBe(backendName === 'postgres');
  });

  it('writes nothing when the work throws, and rethrows its error', async () => {
    const err = await inTransaction(store.db, async (tx) => {
      await addTenant(tx, 'thrown-a');
      throw new Error('changed my mind');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('changed my mind');
    expect(await slugs('thrown-')).toEqual([]);
  });

  it('writes nothing when a later statement fails, and reports that statement’s error', async () => {
    await addTenant(store.db, 'taken');
    const err = await inTransaction(store.db, async (tx) => {
      await addTenant(tx, 'failed-a');
      await addTenant(tx, 'taken');
    }).catch((e: unknown) => e);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).toMatch(/tenants_slug_unique|duplicate key/);
    expect(await slugs('failed-')).toEqual([]);
  });

  it('keeps statements issued together in order and returns every connection to the pool', async () => {
    // More transactions than the pool has connections: a leaked reservation would hang here.
    for (let i = 0; i < 12; i++) {
      await inTransaction(store.db, async (tx) => {
        const [first, second] = await Promise.all([addTenant(tx, `order-${i}-1`), queryRows<{ n: number }>(tx, sql`select count(*)::int as n from tenants where slug = ${`order-${i}-1`}`)]);
        expect(first).toHaveLength(1);
        expect(second[0]!.n).toBe(1); // the second statement ran after the first, in its transaction
      });
    }
    expect(await slugs('order-')).toHaveLength(12);
  });

  it('with commitAhead, commits right behind the statements and reads the result', async () => {
    const { read } = await inTransaction(store.db, async (tx) => addTenant(tx, 'ahead-a'), {
      commitAhead: true,
      readAfterCommit: (db) => slugs('ahead-', db),
    });
    expect(read).toEqual(['ahead-a']);
  });

  it('with commitAhead, a failed statement still writes nothing (its COMMIT rolls back) and its error is reported', async () => {
    await addTenant(store.db, 'taken-ahead');
    const err = await inTransaction(
      store.db,
      async (tx) => {
        await Promise.all([addTenant(tx, 'ahead-failed-a'), addTenant(tx, 'taken-ahead')]);
      },
      { commitAhead: true, readAfterCommit: (db) => slugs('ahead-failed-', db) },
    ).catch((e: unknown) => e);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).toMatch(/tenants_slug_unique|duplicate key/);
    expect(await slugs('ahead-failed-')).toEqual([]);
  });

  it('with commitAhead, work that awaits before its first statement keeps COMMIT until it is done', async () => {
    const err = await inTransaction(
      store.db,
      async (tx) => {
        await Promise.resolve();
        await addTenant(tx, 'ahead-late-a');
        throw new Error('changed my mind');
      },
      { commitAhead: true },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('changed my mind');
    expect(await slugs('ahead-late-')).toEqual([]);
  });

  it('with oneStatement, runs the statement on its own and reads its result behind it', async () => {
    const { read } = await inTransaction(store.db, async (tx) => addTenant(tx, 'alone-a'), {
      oneStatement: true,
      readAfterCommit: (db) => slugs('alone-', db),
    });
    expect(read).toEqual(['alone-a']);
    const err = await inTransaction(store.db, async (tx) => addTenant(tx, 'alone-a'), { oneStatement: true }).catch((e: unknown) => e);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).toMatch(/tenants_slug_unique|duplicate key/);
  });

  if (backendName === 'postgres') {
    it('with oneStatement, refuses work that issues two statements at once', async () => {
      const err = await inTransaction(
        store.db,
        async (tx) => {
          await Promise.all([addTenant(tx, 'alone-two-a'), addTenant(tx, 'alone-two-b')]);
        },
        { oneStatement: true },
      ).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/issued 2 statements at once/);
    });
  }

  it('nests as a savepoint inside an outer transaction, which stays in charge', async () => {
    await store.db
      .transaction(async (outer) => {
        const { pipelined } = await inTransaction(outer as unknown as Db, (tx) => addTenant(tx, 'nested-a'));
        expect(pipelined).toBe(false);
        throw new Error('outer rolls back');
      })
      .catch(() => {});
    expect(await slugs('nested-')).toEqual([]);
  });
});
