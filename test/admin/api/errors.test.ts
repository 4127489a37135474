/**
 * What a caller and the log see when something breaks: an unexpected error
 * is a 500 with an id and no stack trace, and neither the answer nor the
 * log line carries the key or a credential from the request.
 */
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import winston from 'winston';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/logging/index.js';
import { buildServer } from '../../../src/server/index.js';
import { op, operationContext } from '../operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { ADMIN_TOKEN } from './support.js';

const SECRET = 'very-secret-client-credential';
const lines: string[] = [];
let store: TestStore;
let app: ReturnType<typeof buildServer>;

beforeAll(async () => {
  store = await createTestStore();
  const logger = createLogger({ level: 'debug', format: 'json' });
  logger.clear();
  logger.add(new winston.transports.Stream({ stream: new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }) }));
  const ctx = { ...operationContext(store), logger };
  await op(ctx, 'tenant.create', { slug: 'acme' });
  app = buildServer(ctx, { adminToken: ADMIN_TOKEN });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await store.close();
});

const create = () =>
  app.inject({
    method: 'POST',
    url: '/api/v1/connections',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { tenant: 'acme', name: 'entra', kind: 'entra', settings: { tenantId: 't', clientId: 'c', clientSecret: SECRET } },
  });

it('answers a failure it did not expect with 500, an error id and no stack, logging neither key nor secret', async () => {
  expect((await create()).statusCode).toBe(201);
  // The schema changes under the running server: every tenant lookup now fails in the database.
  await store.db.execute(sql`alter table tenants rename to tenants_gone`);
  const res = await create();
  await store.db.execute(sql`alter table tenants_gone rename to tenants`);
  expect(res.statusCode).toBe(500);
  const { error } = res.json();
  expect(error).toMatchObject({ code: 'internal', errorId: expect.any(String) });
  expect(error.message).toContain(error.errorId);
  expect(res.body).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  expect(res.body).not.toContain(SECRET);

  const log = lines.join('');
  expect(log).toContain(error.errorId);
  expect(log).not.toContain(SECRET);
  expect(log).not.toContain(ADMIN_TOKEN);
});
