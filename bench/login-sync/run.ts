/**
 * Sync-on-login benchmark: `POST /api/v1/login-sync` at 100 concurrent
 * connections (autocannon, loopback) against `roster serve` on Postgres, with
 * the Entra fake (Graph SDK over HTTPS) answering in 50 ms, and hanging.
 * Prints JSON: requests/second, latency p50/p99/max, non-2xx, and Graph
 * requests per login (concurrent logins of one user share a fetch).
 *
 *   npm run build && npx tsx bench/login-sync/run.ts [--users 2000] [--seconds 10] [--connections 100] [--budget-ms 2000]
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { silentLogger } from '../../src/core/logging/index.js';
import { operationNamed, runOperation } from '../../src/admin/operations/index.js';
import { SecretKeyring } from '../../src/core/secrets/index.js';
import { migrateStore, openStore } from '../../src/core/store/index.js';
import { createTestTls, TLS_DIR_ENV } from '../../test/fakes/tls.js';

// The fakes listen on 127.0.0.1, which the outbound URL policy refuses unless trusted; children inherit it.
process.env.ROSTER_TRUSTED_HOSTS ||= '127.0.0.1';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '100' },
    'budget-ms': { type: 'string', default: '2000' },
  },
});
const USERS = Number(args.users);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const BUDGET_MS = Number(args['budget-ms']);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

// Node reads NODE_EXTRA_CA_CERTS at start only: run again, trusting the fake's test CA
// (this process syncs through the Graph SDK too, before the server starts).
if (!process.env.NODE_EXTRA_CA_CERTS || !process.env[TLS_DIR_ENV]) {
  const made = createTestTls();
  const again = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: made.caPath, [TLS_DIR_ENV]: made.dir },
  });
  process.exit(await new Promise<number>((resolve) => again.on('exit', (code) => resolve(code ?? 1))));
}
const tls = { dir: process.env[TLS_DIR_ENV]!, caPath: process.env.NODE_EXTRA_CA_CERTS };
const here = path.dirname(fileURLToPath(import.meta.url));
const fakeProcess = fork(path.join(here, 'fake.ts'), [], { execArgv: ['--import', 'tsx'], env: process.env });
const ask = <T>(msg: Record<string, unknown>) =>
  new Promise<T>((resolve) => {
    fakeProcess.once('message', (m) => resolve(m as T));
    fakeProcess.send(msg);
  });
const name = `roster_bench_login_${randomBytes(4).toString('hex')}`;
const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const dbUrl = Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString();
let child: ChildProcess | undefined;

try {
  log(`directory of ${USERS} users; a tenant with an Entra connection and an admin mapping`);
  const { settings, logins } = await ask<{ settings: Record<string, unknown>; logins: string[] }>({ cmd: 'start', users: USERS });
  const store = await openStore({ databaseUrl: dbUrl });
  await migrateStore(store, dbUrl);
  const secretKey = randomBytes(32).toString('base64');
  const ctx = { store, keyring: new SecretKeyring({ secretKey, backend: 'postgres', dataDir: undefined }), logger: silentLogger(), actor: { type: 'system' as const } };
  const op = <T>(n: string, input: Record<string, unknown>) => runOperation(ctx, operationNamed(n), input) as Promise<T>;
  await op('tenant.create', { slug: 'bench' });
  const connection = await op<{ id: string }>('connection.create', { tenant: 'bench', name: 'entra', kind: 'entra', settings });
  await op('connection.update', { connection: connection.id, loginSyncTimeoutMs: BUDGET_MS });
  await op('role.create', { tenant: 'bench', name: 'admin' });
  await op('mapping.add', { tenant: 'bench', group: 'Admins', role: 'admin', connection: connection.id });
  const { key } = await op<{ key: string }>('apiKey.create', { name: 'login bench', scope: 'login-sync', tenant: 'bench' });
  log('initial sync, so that the stored answer has something to say');
  const initial = await op<{ status: string; usersSynced: number }>('sync.run', { connection: connection.id });
  if (initial.status !== 'succeeded') throw new Error(`the initial sync ${initial.status}`);
  log(`initial sync: ${initial.usersSynced} users`);
  await store.close();

  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  child = spawn(process.execPath, [...profile, 'bin/roster.js', 'serve', '--port', '0'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: dbUrl, ROSTER_SECRET_KEY: secretKey, NODE_EXTRA_CA_CERTS: tls.caPath, ROSTER_SCHEDULER: 'off', LOG_LEVEL: 'info', LOG_FORMAT: 'json', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (m) resolve(m[1]!);
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    if (process.env.BENCH_SERVER_LOG) child!.stderr!.pipe(process.stderr);
    child!.on('exit', (code) => reject(new Error(`roster serve exited with ${code}: ${seen.slice(-500)}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const pick = () => logins[Math.floor(Math.random() * logins.length)]!;
  const graphLookups = async () => (await ask<{ lookups: number }>({ cmd: 'lookups' })).lookups;

  const scenarios: Array<{ name: string; setup: Record<string, unknown>; userName(): string }> = [
    { name: 'IdP answers in 50 ms, a different user each login', setup: { cmd: 'latency', ms: 50 }, userName: pick },
    { name: `IdP answers in 50 ms, ${CONNECTIONS} logins of one user at once`, setup: { cmd: 'latency', ms: 50 }, userName: () => logins[1]! },
    { name: `IdP hangs (budget ${BUDGET_MS} ms): answered from the store`, setup: { cmd: 'hang' }, userName: pick },
  ];
  const results: Array<Record<string, unknown>> = [];
  for (const s of scenarios) {
    await ask({ cmd: 'clear' });
    await ask(s.setup);
    log(`${s.name}: ${SECONDS} s at ${CONNECTIONS} connections`);
    // One login alone first: what a single login costs and answers in this scenario.
    const t0 = Date.now();
    const probe = (await (
      await fetch(`${url}/api/v1/login-sync`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'bench', userName: s.userName() }) })
    ).json()) as { source: string; allowed: boolean; reason?: string };
    const alone = { latencyMs: Date.now() - t0, source: probe.source, allowed: probe.allowed, ...(probe.reason ? { reason: probe.reason } : {}) };
    const before = await graphLookups();
    const r = await autocannon({
      url,
      connections: CONNECTIONS,
      duration: SECONDS,
      timeout: 30,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      requests: [{ method: 'POST', path: '/api/v1/login-sync', setupRequest: (req) => ({ ...req, body: JSON.stringify({ tenant: 'bench', userName: s.userName() }) }) }],
    });
    results.push({
      scenario: s.name,
      oneLoginAlone: alone,
      logins: r.requests.total,
      requestsPerSecond: Math.round(r.requests.average),
      latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
      graphUserLookupsPerLogin: Math.round((((await graphLookups()) - before) / Math.max(1, r.requests.total)) * 1000) / 1000,
    });
  }
  console.log(JSON.stringify({ benchmark: 'login-sync', users: USERS, connections: CONNECTIONS, seconds: SECONDS, budgetMs: BUDGET_MS, node: process.version, results }, null, 2));
} finally {
  child?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  fakeProcess.send({ cmd: 'stop' });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
