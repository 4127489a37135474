/**
 * A sync interrupted mid-way must not block its connection for long
 * (issue 10, item 6), with real processes on one Postgres server:
 * - a `roster sync` killed with SIGKILL mid-listing: a new `roster sync`
 *   can run once the short lease lapsed, and marks the dead run failed;
 * - a `roster serve` whose database goes away mid-sync (a TCP proxy cuts
 *   it): the process lives on, its sync stops, and once the database is
 *   back another sync runs, with the interrupted run marked failed.
 * The lease TTL is 2 s here (ROSTER_SYNC_LEASE_SECONDS), 60 s by default.
 * PGlite is one process's database, so this always runs on the server.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStore, openStore, queryRows, type Store } from '../../../src/core/store/index.js';
import { runCli, REPO_ROOT } from '../../admin/cli/support.js';
import { startFakeOkta, type FakeOkta } from '../../fakes/okta/index.js';
import { op, operationContext, TEST_SECRET_KEY } from '../../admin/operations/support.js';
import { eventually, startServeProcess } from '../../support/serve-process.js';
import { createTestDatabase, POSTGRES_SERVER_URL } from '../../support/store.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;
let fake: FakeOkta;
let connectionId: string;

const baseEnv = (databaseUrl: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
  ROSTER_TRUSTED_HOSTS: '127.0.0.1',
  DATABASE_URL: databaseUrl,
  ROSTER_SECRET_KEY: TEST_SECRET_KEY,
  ROSTER_SYNC_LEASE_SECONDS: '2',
  ROSTER_SCHEDULER: 'off',
  LOG_FORMAT: 'json',
  USER: 'tester',
});

beforeAll(async () => {
  database = await createTestDatabase(POSTGRES_SERVER_URL);
  store = await openStore({ databaseUrl: database.url, maxConnections: 2 });
  await migrateStore(store, database.url);
  fake = await startFakeOkta();
  for (const n of ['ann', 'bo', 'cy']) fake.directory.addUser({ profile: { login: `${n}@okta.test`, firstName: n, lastName: 'T' } });
  const ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
  connectionId = (await op(ctx, 'connection.create', { tenant: 'acme', name: 'okta', kind: 'okta', settings: { orgUrl: fake.url, apiToken: 'test-token' } })).id;
});

afterAll(async () => {
  await fake?.close();
  await store?.close();
  await database?.drop();
});

const runs = () =>
  queryRows<{ id: string; status: string; error: string | null }>(store.db, sql`select id, status, error from sync_runs where connection_id = ${connectionId}::uuid order by started_at`);
const usersListed = () => fake.requests.filter((r) => r.route === 'users').length;

/** `roster sync` in this process, until it is let through (each try is refused at once while the lease is held). */
async function syncWhenFree(env: NodeJS.ProcessEnv): Promise<{ refusedFirst: string | undefined; succeeded: boolean }> {
  let refusedFirst: string | undefined;
  const succeeded = await eventually(async () => {
    const result = await runCli(['sync', 'acme/okta', '--json'], env);
    if (result.code !== 0) refusedFirst ??= result.stderr;
    return result.code === 0 && JSON.parse(result.stdout).status === 'succeeded';
  }, 100, 250);
  return { refusedFirst, succeeded };
}

describe('an interrupted sync', () => {
  it('killed with SIGKILL mid-listing blocks the connection only until its short lease lapses', { timeout: 120_000 }, async () => {
    const env = baseEnv(database.url);
    // The first users page never answers: the sync holds the lease, its run `running`, when it is killed.
    fake.faults.push({ route: 'users', page: 1, hang: true, times: 1 });
    const listedBefore = usersListed();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli/main.ts', 'sync', 'acme/okta'], { cwd: REPO_ROOT, env, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    expect(await eventually(async () => usersListed() > listedBefore)).toBe(true);
    const [stale] = await runs();
    expect(stale!.status).toBe('running');
    child.kill('SIGKILL');
    await exited;

    const { refusedFirst, succeeded } = await syncWhenFree(env);
    // Tries made before the dead holder's lease lapsed were refused, and said why.
    if (refusedFirst !== undefined) expect(refusedFirst).toMatch(/already running/);
    expect(succeeded).toBe(true);
    const after = await runs();
    expect(after.find((r) => r.id === stale!.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
    expect(after.at(-1)!.status).toBe('succeeded');
  });

  it('in a roster serve that loses its database mid-sync: the process lives on, fails its run and frees the lease once the database is back', { timeout: 180_000 }, async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(database.url).port || 5432) });
    const server = await startServeProcess({ ...baseEnv(proxy.urlThrough(database.url)), ROSTER_ADMIN_TOKEN: ADMIN_TOKEN });
    try {
      const runsBefore = (await runs()).length;
      // The first users page answers late: the database goes away while the sync waits for it.
      fake.faults.push({ route: 'users', page: 1, latencyMs: 4000, times: 1 });
      const listedBefore = usersListed();
      const answer = fetch(`${server.url}/api/v1/connections/${connectionId}/sync`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({}),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: string; message: string } } }));
      expect(await eventually(async () => usersListed() > listedBefore)).toBe(true);
      await proxy.cut();
      const response = await answer;
      // It could not renew its lease, so it stopped rather than apply a plan another replica may be applying.
      expect(response).toEqual({ status: 503, body: { error: { code: 'store_unavailable', message: expect.stringMatching(/^lost the sync lease of acme\/okta: .*database is unreachable/) } } });
      expect(server.child.exitCode).toBeNull();

      await proxy.restore();
      // The process that survived finishes its run as failed and releases the lease by itself once the database is back.
      const lease = async () => (await queryRows<{ owner: string | null }>(store.db, sql`select lease_owner as owner from connections where id = ${connectionId}::uuid`))[0]!.owner;
      expect(await eventually(async () => (await runs())[runsBefore]?.status === 'failed' && (await lease()) === null)).toBe(true);
      expect((await runs())[runsBefore]!.error).toMatch(/^lost the sync lease of acme\/okta/);
      const { succeeded } = await syncWhenFree(baseEnv(database.url));
      expect(succeeded).toBe(true);
      const after = await runs();
      expect(after.length).toBe(runsBefore + 2);
      expect(after.at(-1)!.status).toBe('succeeded');
      // The server serves again by itself.
      expect(await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200)).toBe(true);
      expect(server.log()).not.toMatch(/TypeError|Cannot read properties of null/);
    } finally {
      await server.kill();
      await proxy.close();
    }
  });
});
