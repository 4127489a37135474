/**
 * SCIM benchmark: with 100,000 users and 5,000 groups loaded on real Postgres,
 * requests/second and p50/p99 latency at 50 connections (autocannon on
 * loopback) for GET by id, GET filter=userName eq, POST user, PATCH
 * active:false and PATCH group members add; and the same for a bare Fastify
 * route doing one indexed primary-key SELECT, as this machine's ceiling, and
 * for a bare route doing one single-row UPDATE committed on its own (the
 * least a durable write costs here). Prints JSON. The benchmark token's rate
 * limit is off. BENCH_KEEP_DATABASE=1 keeps the loaded database afterwards.
 *
 *   npm run build && npx tsx bench/scim/throughput.ts [--users 100000] [--groups 5000] [--seconds 10] [--connections 50]
 *
 * `--fresh` starts from an empty database that nobody has analysed, as an IdP's
 * first push meets it: the users (10,000 unless --users says) are POSTed over
 * SCIM by 50 workers, then GET filter=userName eq and GET by id are measured
 * right away, with no ANALYZE, and once more after one (`analysed: true`).
 * Each result says whether autovacuum had analysed the users table by the end
 * of it, as that would measure its statistics instead of Roster's plans.
 *
 *   npm run build && npx tsx bench/scim/throughput.ts --fresh [--users 10000] [--seconds 10]
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { applyChanges, type LifecycleChange } from '../../src/core/lifecycle/index.js';
import { silentLogger } from '../../src/core/logging/index.js';
import { operationNamed, runOperation } from '../../src/admin/operations/index.js';
import { SecretKeyring } from '../../src/core/secrets/index.js';
import { migrateStore, openStore } from '../../src/core/store/index.js';
import { startProcess } from './process.js';
import { databaseCpuSeconds, processCpuSeconds } from '../cpu.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    groups: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    // Run only the workloads whose name contains one of these (comma-separated); the ceiling always runs.
    only: { type: 'string' },
    fresh: { type: 'boolean', default: false },
  },
});
const FRESH = args.fresh!;
const USERS = FRESH && process.argv.every((a) => !a.startsWith('--users')) ? 10_000 : Number(args.users);
const GROUPS = FRESH ? 0 : Number(args.groups);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

const name = `roster_bench_scim_${randomBytes(4).toString('hex')}`;
const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const dbUrl = Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString();
const children: ChildProcess[] = [];

const start = (command: string[], env: NodeJS.ProcessEnv, ready: RegExp) => startProcess(root, command, env, ready, children);

try {
  const store = await openStore({ databaseUrl: dbUrl });
  await migrateStore(store, dbUrl);
  const ctx = { store, keyring: new SecretKeyring({ secretKey: undefined, backend: 'postgres', dataDir: undefined }), logger: silentLogger(), actor: { type: 'system' as const } };
  const op = <T>(n: string, input: Record<string, unknown>) => runOperation(ctx, operationNamed(n), input) as Promise<T>;
  await op('tenant.create', { slug: 'bench' });
  const connection = await op<{ id: string; tenantId: string }>('connection.create', { tenant: 'bench', name: 'scim', kind: 'scim' });
  await op('connection.update', { connection: connection.id, scimRatePerMinute: 0 });
  const { token } = await op<{ token: string }>('token.create', { connection: connection.id, name: 'bench' });

  const userIds: string[] = Array.from({ length: FRESH ? 0 : USERS }, () => randomUUID());
  const groupIds = Array.from({ length: GROUPS }, () => randomUUID());
  if (!FRESH) await loadDirect();
  else await store.close();

  async function loadDirect() {
  log(`loading ${USERS} users and ${GROUPS} groups`);
  const apply = (changes: LifecycleChange[]) => applyChanges(store.db, { tenantId: connection.tenantId, actor: { type: 'system' } }, changes);
  for (let i = 0; i < USERS; i += 10_000) {
    await apply(
      userIds.slice(i, i + 10_000).map((id, k) => ({
        kind: 'user.create' as const,
        connectionId: connection.id,
        id,
        externalId: `ext-${i + k}`,
        attributes: { userName: `user${i + k}@bench.example`, email: `user${i + k}@bench.example`, displayName: `User ${i + k}`, givenName: 'Bench', familyName: `${i + k}` },
      })),
    );
  }
  await apply(groupIds.map((id, k) => ({ kind: 'group.create' as const, connectionId: connection.id, id, externalId: `g-${k}`, displayName: `Group ${k}` })));
  // Ten members per group: 50,000 memberships at the default size.
  await apply(groupIds.flatMap((groupId, k) => Array.from({ length: 10 }, (_, m) => ({ kind: 'membership.add' as const, groupId, userId: userIds[(k * 10 + m) % USERS]! }))));
  await store.close();
  // A database in service has planner statistics (autovacuum keeps them); a freshly
  // loaded one has none until autovacuum wakes, which would make the first workloads
  // measure bad plans instead of Roster.
  const loaded = postgres(dbUrl, { max: 1, onnotice: () => {} });
  await loaded.unsafe('vacuum analyze');
  await loaded.end();
  }
  if (process.env.BENCH_LOG_STATEMENTS) await admin.unsafe(`alter database ${name} set log_min_duration_statement = 0`);

  const rosterPort = await start([...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), 'bin/roster.js', 'serve', '--port', '0'], { DATABASE_URL: dbUrl, LOG_LEVEL: 'info', LOG_FORMAT: 'json', NODE_ENV: 'production' }, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const ceilingPort = await start(['--import', 'tsx', 'bench/scim/ceiling-server.ts'], { DATABASE_URL: dbUrl }, /listening (\d+)/);
  const scim = `http://127.0.0.1:${rosterPort}/scim/v2`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
  // When autovacuum (or anyone) last analysed the users table: a fresh run's figures hold only while this is null.
  const usersAnalysedAt = async () => {
    const watch = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const [row] = await watch.unsafe<{ at: Date | null }[]>(`select greatest(last_analyze, last_autoanalyze) as at from pg_stat_user_tables where relname = 'users'`);
    await watch.end();
    return row?.at ?? null;
  };
  let loadSeconds = 0;
  if (FRESH) {
    // The IdP's first push: 50 workers POST the users one request each, as Entra and Okta do.
    log(`POSTing ${USERS} users over SCIM`);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        for (let n = next++; n < USERS; n = next++) {
          const body = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], externalId: `ext-${n}`, userName: `user${n}@bench.example`, name: { givenName: 'Bench', familyName: `${n}` }, displayName: `User ${n}`, emails: [{ value: `user${n}@bench.example`, type: 'work', primary: true }], active: true };
          const res = await fetch(`${scim}/Users`, { method: 'POST', headers, body: JSON.stringify(body) });
          if (res.status !== 201) throw new Error(`POST /Users answered ${res.status}: ${await res.text()}`);
          userIds.push(((await res.json()) as { id: string }).id);
        }
      }),
    );
    loadSeconds = (performance.now() - started) / 1000;
  }
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
  let sequence = 0;

  const workloads: Array<{ name: string; kind: 'read' | 'write' | 'ceiling' | 'write-floor'; url: string; request: () => { method: string; path: string; body?: string } }> = [
    { name: 'ceiling: bare Fastify + one PK SELECT', kind: 'ceiling', url: `http://127.0.0.1:${ceilingPort}`, request: () => ({ method: 'GET', path: `/users/${pick(userIds)}` }) },
    { name: 'bare Fastify + one single-row UPDATE (autocommit)', kind: 'write-floor', url: `http://127.0.0.1:${ceilingPort}`, request: () => ({ method: 'GET', path: `/write/users/${pick(userIds)}` }) },
    { name: 'GET /Users/{id}', kind: 'read', url: scim, request: () => ({ method: 'GET', path: `/scim/v2/Users/${pick(userIds)}` }) },
    {
      name: 'GET /Users?filter=userName eq',
      kind: 'read',
      url: scim,
      request: () => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${Math.floor(Math.random() * USERS)}@bench.example"`)}` }),
    },
    {
      name: 'POST /Users',
      kind: 'write',
      url: scim,
      request: () => {
        const n = ++sequence;
        return { method: 'POST', path: '/scim/v2/Users', body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `new${n}@bench.example`, name: { givenName: 'New', familyName: `${n}` }, emails: [{ value: `new${n}@bench.example`, type: 'work', primary: true }], active: true }) };
      },
    },
    {
      name: 'PATCH /Users/{id} active:false',
      kind: 'write',
      url: scim,
      request: () => ({
        method: 'PATCH',
        path: `/scim/v2/Users/${userIds[++sequence % USERS]}`,
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }),
      }),
    },
    {
      name: 'PATCH /Groups/{id} members add',
      kind: 'write',
      url: scim,
      request: () => ({
        method: 'PATCH',
        path: `/scim/v2/Groups/${pick(groupIds)}?excludedAttributes=members`,
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Add', path: 'members', value: [{ value: userIds[(++sequence * 7919) % USERS] }] }] }),
      }),
    },
  ];

  const only = args.only?.split(',').map((s) => s.trim().toLowerCase());
  // A fresh run measures the two reads an IdP's push leans on, before and after an ANALYZE.
  const selected = FRESH
    ? [...workloads.slice(2, 4), ...workloads.slice(2, 4).map((w) => ({ ...w, name: `${w.name} (after ANALYZE)`, analysed: true }))]
    : workloads.filter((w) => w.kind === 'ceiling' || w.kind === 'write-floor' || !only || only.some((o) => w.name.toLowerCase().includes(o)));
  const databaseCpu = () => databaseCpuSeconds(admin, name);
  const results: Array<Record<string, unknown>> = [];
  let ceiling = 0;
  let analysed = false;
  for (const w of selected as Array<(typeof workloads)[number] & { analysed?: boolean }>) {
    if (w.analysed && !analysed) {
      analysed = true;
      log('ANALYZE');
      const analyse = postgres(dbUrl, { max: 1, onnotice: () => {} });
      await analyse.unsafe('analyze');
      await analyse.end();
    }
    const run = (duration: number) =>
      autocannon({
        url: w.url,
        connections: CONNECTIONS,
        duration,
        headers,
        requests: [{ setupRequest: (req) => ({ ...req, ...w.request() }) as typeof req }],
      });
    log(`${w.name}: warm-up`);
    await run(2);
    log(`${w.name}: ${SECONDS} s at ${CONNECTIONS} connections`);
    // CPU per request, of the serving process and of the database: steadier than
    // requests/second on a machine shared with other work.
    const server = w.url.endsWith(`:${ceilingPort}`) ? children[1]! : children[0]!;
    const before = { server: processCpuSeconds(server.pid!), db: await databaseCpu() };
    const r = await run(SECONDS);
    const cpu = { server: processCpuSeconds(server.pid!) - before.server, db: (await databaseCpu()) - before.db };
    const rps = Math.round(r.requests.average);
    if (w.kind === 'ceiling') ceiling = rps;
    results.push({
      workload: w.name,
      kind: w.kind,
      requestsPerSecond: rps,
      latencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
      cpuMicrosecondsPerRequest: { server: Math.round((cpu.server * 1e6) / r.requests.total), database: Math.round((cpu.db * 1e6) / r.requests.total) },
      non2xx: r.non2xx,
      errors: r.errors,
      ...(FRESH ? { usersTableAnalysedAt: await usersAnalysedAt() } : { percentOfCeiling: w.kind === 'ceiling' ? 100 : Math.round((rps / ceiling) * 1000) / 10 }),
    });
  }
  console.log(
    JSON.stringify(
      { benchmark: FRESH ? 'scim-throughput-fresh' : 'scim-throughput', users: USERS, groups: GROUPS, connections: CONNECTIONS, seconds: SECONDS, node: process.version, ...(FRESH ? { loadSeconds: Math.round(loadSeconds * 10) / 10, usersPostedPerSecond: Math.round(USERS / loadSeconds) } : {}), loadAverage: (await import('node:os')).loadavg().map((l) => Math.round(l * 100) / 100), results },
      null,
      2,
    ),
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  // BENCH_KEEP_DATABASE=1 leaves the loaded database behind for EXPLAIN ANALYZE and the like.
  if (process.env.BENCH_KEEP_DATABASE) log(`kept database ${name}`);
  else await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
