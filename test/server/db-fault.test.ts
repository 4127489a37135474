/**
 * Losing the database under load (issue 10, item 5). A real `roster serve`
 * reaches Postgres through a TCP proxy; a burst of SCIM writes is cut off
 * mid-way, as a failover or a network partition would. The process must
 * live on, answer what it cannot do with 503 (a SCIM error body on SCIM
 * routes, the API error shape on /api/v1), lose nothing it acknowledged,
 * half-apply nothing, and serve again by itself once the database returns.
 *
 * PGlite cannot lose its connection, so this always runs on the Postgres
 * server (its own database there), whichever backend the run selects.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStore, openStore, queryRows, type Store } from '../../src/core/store/index.js';
import { op, operationContext } from '../admin/operations/support.js';
import { eventually, startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { createTestDatabase, POSTGRES_SERVER_URL } from '../support/store.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;
let proxy: TcpProxy;
let server: ServeProcess;
let scimToken: string;
let tenantId: string;

beforeAll(async () => {
  database = await createTestDatabase(POSTGRES_SERVER_URL);
  store = await openStore({ databaseUrl: database.url, maxConnections: 2 });
  await migrateStore(store, database.url);
  const ctx = operationContext(store);
  tenantId = (await op(ctx, 'tenant.create', { slug: 'acme' })).id;
  await op(ctx, 'connection.create', { tenant: 'acme', name: 'scim', kind: 'scim' });
  // The burst is the point: no per-token rate limit in the way.
  await op(ctx, 'connection.update', { connection: 'acme/scim', scimRatePerMinute: 0 });
  scimToken = (await op(ctx, 'token.create', { connection: 'acme/scim', name: 'IdP' })).token;
  proxy = await startTcpProxy(new URL(database.url).port ? { host: '127.0.0.1', port: Number(new URL(database.url).port) } : undefined);
  server = await startServeProcess({
    DATABASE_URL: proxy.urlThrough(database.url),
    ROSTER_SECRET_KEY: randomBytes(32).toString('base64'),
    ROSTER_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'info',
  });
});

afterAll(async () => {
  await server?.kill();
  await proxy?.close();
  await store?.close();
  await database?.drop();
});

const userName = (i: number) => `burst-${i}@fault.test`;

async function createUser(i: number): Promise<{ status: number; body: Record<string, unknown> | undefined; type: string | null }> {
  const response = await fetch(`${server.url}/scim/v2/Users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: userName(i), emails: [{ value: userName(i), primary: true }], active: true }),
    // A safety net only: a request held for a minute would be a failure of its own.
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, type: response.headers.get('content-type') };
}

const stored = (names: string[]) =>
  queryRows<{ user_name: string }>(store.db, sql`select user_name from users where tenant_id = ${tenantId}::uuid and user_name = any(${`{${names.join(',')}}`}::text[])`);

describe('roster serve when the database goes away', () => {
  it('lives on, answers 503, loses nothing acknowledged and serves again once the database returns', { timeout: 240_000 }, async () => {
    const BURST = 300;
    let answered = 0;
    const cutAfter = 30;
    let cut: Promise<void> | undefined;
    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        createUser(i).then((r) => {
          // Cut once the burst is well under way: the rest meets a database that is gone.
          if (++answered === cutAfter) cut = proxy.cut();
          return r;
        }),
      ),
    );
    await cut;
    expect(server.child.exitCode, server.log()).toBeNull();
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].filter((s) => s !== 201 && s !== 503), server.log()).toEqual([]);
    expect(results.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(cutAfter);

    // While it is gone: SCIM answers with a SCIM error body, the API with its error shape, readiness says so.
    const during = await createUser(BURST);
    expect(during.status).toBe(503);
    expect(during.type).toMatch(/application\/scim\+json/);
    expect(during.body).toEqual({ schemas: [SCIM_ERROR], status: '503', detail: expect.stringMatching(/database/) });
    const api = await fetch(`${server.url}/api/v1/tenants/acme/roles`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(api.status).toBe(503);
    expect(await api.json()).toEqual({ error: { code: 'store_unavailable', message: expect.stringMatching(/database/) } });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(server.child.exitCode).toBeNull();

    await proxy.restore();
    expect(await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200)).toBe(true);
    // It serves again by itself: a new write succeeds.
    expect(await eventually(async () => (await createUser(BURST + 1)).status === 201)).toBe(true);

    // Nothing acknowledged is lost...
    const acknowledged = results.flatMap((r, i) => (r.status === 201 ? [userName(i)] : []));
    const rows = await stored(acknowledged);
    expect(rows.map((r) => r.user_name).sort()).toEqual(acknowledged.sort());
    // ...and nothing is half-applied: every stored user has its audit event, written in the same transaction.
    const [counts] = await queryRows<{ users: number; audited: number }>(
      store.db,
      sql`select (select count(*)::int from users where tenant_id = ${tenantId}::uuid) as users,
                 (select count(*)::int from audit_events where tenant_id = ${tenantId}::uuid and action = 'user.created') as audited`,
    );
    expect(counts!.users).toBe(counts!.audited);

    const log = server.log();
    expect(log).not.toMatch(/TypeError|Cannot read properties of null/);
    // Failed queries are logged without their parameters: no userName or email reaches the log.
    expect(log).not.toMatch(/burst-\d+@fault\.test/);
  });
});
