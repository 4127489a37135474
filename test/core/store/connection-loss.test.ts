/**
 * inTransaction when the connection is cut mid-transaction (issue 10,
 * item 5), on the Postgres server through a TCP proxy (PGlite has no
 * connection to lose). postgres.js would write a later statement, or the
 * ROLLBACK, to the closed socket in a timer, out of reach of any catch
 * (`Cannot read properties of null (reading 'write')`), and a released dead
 * connection would break the pool. Here the transaction fails with a 503
 * error, nothing of it is written, and the pool serves the next one.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../src/core/errors/index.js';
import { inTransaction, migrateStore, openStore, queryRows, translateDbError, type Db, type Store } from '../../../src/core/store/index.js';
import { createTestDatabase, POSTGRES_SERVER_URL } from '../../support/store.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let direct: Store;
let proxied: Store;
let proxy: TcpProxy;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  database = await createTestDatabase(POSTGRES_SERVER_URL);
  direct = await openStore({ databaseUrl: database.url, maxConnections: 2 });
  await migrateStore(direct, database.url);
  proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(database.url).port || 5432) });
  proxied = await openStore({ databaseUrl: proxy.urlThrough(database.url), maxConnections: 2 });
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  await proxied?.close();
  await proxy?.close();
  await direct?.close();
  await database?.drop();
});

const addTenant = (db: Db, slug: string) => queryRows(db, sql`insert into tenants (slug, name) values (${slug}, ${slug}) returning id`);
const tenants = async (prefix: string, db: Db = direct.db) =>
  (await queryRows<{ slug: string }>(db, sql`select slug from tenants where slug like ${`${prefix}%`} order by slug`)).map((r) => r.slug);

/** Run `work` in a transaction and return the error it ends with, as the store's callers see it. */
const failureOf = (work: (tx: Db) => Promise<unknown>) =>
  inTransaction(proxied.db, work).then(
    () => undefined,
    (err: unknown) => translateDbError(err),
  );

describe('a transaction whose connection is cut', () => {
  it('fails as unavailable between two statements, writes nothing, and leaves the pool able to serve', async () => {
    const failure = await failureOf(async (tx) => {
      await addTenant(tx, 'cut-a');
      await proxy.cut();
      await addTenant(tx, 'cut-b');
    });
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    // Let any timer the driver left behind fire: it must find nothing to write to.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(uncaught).toEqual([]);
    expect(await tenants('cut-')).toEqual([]);

    await proxy.restore();
    // Both pooled connections serve again (a dead one handed back would fail here).
    const serve = (slug: string) => inTransaction(proxied.db, (tx) => addTenant(tx, slug), { readAfterCommit: (db) => tenants(slug, db) });
    const results = await Promise.all([serve('after-1'), serve('after-2'), serve('after-3')]);
    expect(results.map((r) => r.read)).toEqual([['after-1'], ['after-2'], ['after-3']]);
    expect(uncaught).toEqual([]);
  });

  it('fails as unavailable when the cut comes while a statement runs, without sending ROLLBACK to a dead socket', async () => {
    const failure = await failureOf(async (tx) => {
      await addTenant(tx, 'mid-a');
      const slow = queryRows(tx, sql`select pg_sleep(0.5)`);
      await proxy.cut();
      await slow;
    });
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(uncaught).toEqual([]);
    await proxy.restore();
    expect(await tenants('mid-')).toEqual([]);
    expect((await inTransaction(proxied.db, (tx) => addTenant(tx, 'mid-after'))).pipelined).toBe(true);
    expect(await tenants('mid-')).toEqual(['mid-after']);
  });
});
