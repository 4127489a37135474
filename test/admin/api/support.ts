/** An app on a fresh store with the /api/v1 routes, and a way to mint keys the way the CLI does. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { COMPONENT_SCHEMAS, type ComponentName } from '../../../src/admin/api/openapi/schemas.js';
import { buildServer } from '../../../src/server/index.js';
import { op, operationContext } from '../operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

export const ADMIN_TOKEN = 'bootstrap-admin-token-for-tests-0123456789';

export interface ApiHarness {
  store: TestStore;
  app: FastifyInstance;
  ctx: ReturnType<typeof operationContext>;
  /** Create a key through the apiKey.create operation; returns its id and the key. */
  key(scope: 'admin' | 'login-sync', tenant?: string, name?: string): Promise<{ id: string; key: string }>;
  get(url: string, key?: string): Promise<LightMyRequestResponse>;
  /** Any method, with a JSON body when one is given. */
  send(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, key: string | undefined, body?: unknown): Promise<LightMyRequestResponse>;
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
    send(method, url, key, body) {
      return app.inject({
        method,
        url,
        headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}

/** Check an answer against its OpenAPI component: the documented fields are there, with the documented types. */
export function expectDocumented(component: ComponentName, body: unknown): void {
  const result = COMPONENT_SCHEMAS[component].safeParse(body);
  if (!result.success) throw new Error(`answer does not match ${component}: ${JSON.stringify(result.error.issues.slice(0, 3))}`);
}
