/** An app on a fresh store with the /api/v1 routes, and a way to mint keys the way the CLI does. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../../src/server/index.js';
import { op, operationContext } from '../operations/support.js';
import { createTestStore, type TestStore } from '../support/store.js';

export const ADMIN_TOKEN = 'bootstrap-admin-token-for-tests-0123456789';

export interface ApiHarness {
  store: TestStore;
  app: FastifyInstance;
  ctx: ReturnType<typeof operationContext>;
  /** Create a key through the apiKey.create operation; returns its id and the key. */
  key(scope: 'admin' | 'login-sync', tenant?: string, name?: string): Promise<{ id: string; key: string }>;
  get(url: string, key?: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function apiHarness(): Promise<ApiHarness> {
  const store = await createTestStore();
  const ctx = operationContext(store);
  // Generous: on a shared Postgres server, other test files' transactions can hold the feed back for a moment.
  const app = buildServer(ctx, { adminToken: ADMIN_TOKEN, feedWaitMs: 30_000 });
  await app.ready();
  return {
    store,
    app,
    ctx,
    async key(scope, tenant, name = `${scope} key`) {
      const created = await op(ctx, 'apiKey.create', { name, scope, ...(tenant ? { tenant } : {}) });
      return { id: created.id, key: created.key };
    },
    get(url, key) {
      return app.inject({ method: 'GET', url, headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}
