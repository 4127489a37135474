/**
 * A failed query's log line names the statement and why it failed, never its
 * parameters: they are users' data (userNames, emails). Real failed queries
 * on the run's backend, logged the way the error handlers log them.
 */
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/logging/index.js';
import { queryRows, schema } from '../../../src/core/store/index.js';
import { makeConnection, makeTenant } from '../../support/factories.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.close());

function logged(error: unknown): string {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'json' });
  logger.clear();
  logger.add(new winston.transports.Stream({ stream: new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }) }));
  logger.error('request failed (id abc123)', { method: 'POST', url: '/scim/v2/Users', error });
  return lines.join('');
}

const failure = (promise: Promise<unknown>) => promise.then(() => expect.fail('the query should fail'), (err: unknown) => err);

describe('failed-query log lines', () => {
  it('keep the statement and the database error code, and drop the userName and email', async () => {
    const tenant = await makeTenant(store.db);
    const connection = await makeConnection(store.db, tenant.id);
    const row = { tenantId: tenant.id, connectionId: connection.id, userName: 'leaky.user@private.test', email: 'leaky.user@private.test', active: true };
    await store.db.insert(schema.users).values(row);
    const duplicate = await failure(store.db.insert(schema.users).values(row));
    const line = logged(duplicate);
    expect(line).not.toContain('leaky.user@private.test');
    const entry = JSON.parse(line) as { error: { message: string; cause?: { code?: string } } };
    expect(entry.error.message).toMatch(/insert into "users"/);
    expect(entry.error.message).toContain('params: [redacted]');
    expect(entry.error.cause?.code).toBe('23505');
  });

  it('drop a value Postgres quotes in its own message', async () => {
    const badId = await failure(queryRows(store.db, sql`select id from users where id = ${'leaky.user@private.test'}::uuid`));
    const line = logged(badId);
    expect(line).toMatch(/invalid input syntax for type uuid/);
    expect(line).not.toContain('leaky.user@private.test');
  });
});
