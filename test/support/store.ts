/**
 * A fresh, migrated store per test file, on the backend the run selects:
 * DATABASE_URL = a new database on that Postgres server (dropped afterwards);
 * unset = an in-memory PGlite. The same tests therefore cover both.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { migrateStore, openStore, type Store } from '../../src/core/store/index.js';

export interface TestStore extends Store {
  /** The URL of this test's own database (Postgres backend only). */
  databaseUrl: string | undefined;
}

export const backendName = process.env.DATABASE_URL ? 'postgres' : 'pglite';

/**
 * The Postgres server of tests that need one whatever the run's backend
 * (the fault tests: PGlite cannot lose its connection). CI and the dev
 * machine always have it; DATABASE_URL, when set, names it instead.
 */
export const POSTGRES_SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Create an empty database on the test server (DATABASE_URL unless `base` names another) and return its URL. */
export async function createTestDatabase(base = process.env.DATABASE_URL): Promise<{ url: string; drop(): Promise<void> }> {
  if (!base) throw new Error('createTestDatabase needs DATABASE_URL');
  const name = `roster_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const admin2 = postgres(base, { max: 1, onnotice: () => {} });
      await admin2.unsafe(`drop database if exists ${name} with (force)`);
      await admin2.end();
    },
  };
}

export async function createTestStore(): Promise<TestStore> {
  if (!process.env.DATABASE_URL) {
    const store = await openStore({ dataDir: 'memory://' });
    await migrateStore(store);
    return { ...store, databaseUrl: undefined };
  }
  const database = await createTestDatabase();
  const store = await openStore({ databaseUrl: database.url, maxConnections: 4 });
  await migrateStore(store, database.url);
  return {
    ...store,
    databaseUrl: database.url,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}
