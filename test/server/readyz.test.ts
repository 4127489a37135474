import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/index.js';
import { migrateStore, openStore, shippedMigrationCount, type Store } from '../../src/core/store/index.js';
import { operationContext } from '../admin/operations/support.js';
import { createTestDatabase } from '../support/store.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A store on an empty database of the selected backend, migrated or not. */
async function emptyStore(): Promise<{ store: Store; migrate(): Promise<void> }> {
  if (!process.env.DATABASE_URL) {
    const store = await openStore({ dataDir: 'memory://' });
    cleanups.push(() => store.close());
    return { store, migrate: () => migrateStore(store) };
  }
  const database = await createTestDatabase();
  const store = await openStore({ databaseUrl: database.url, maxConnections: 2 });
  cleanups.push(async () => {
    await store.close();
    await database.drop();
  });
  return { store, migrate: () => migrateStore(store, database.url) };
}

describe('GET /readyz', () => {
  it('is not ready until every shipped migration is applied, then says how many there are', async () => {
    const { store, migrate } = await emptyStore();
    const app = buildServer(operationContext(store));
    const shipped = shippedMigrationCount();
    expect(shipped).toBeGreaterThanOrEqual(3);

    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toEqual({ status: 'unavailable', reason: `migrations pending: 0 of ${shipped} applied`, migrations: { applied: 0, shipped } });

    await migrate();
    const after = await app.inject({ method: 'GET', url: '/readyz' });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ status: 'ready', migrations: { applied: shipped, shipped } });
    await app.close();
  });
});
