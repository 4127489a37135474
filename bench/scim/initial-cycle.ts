/**
 * SCIM benchmark, issue 15 aim 2: the IdP's initial cycle, as Entra and Okta
 * really send it, on a fresh, empty, never-analysed Postgres database.
 *
 * 1. users: for each user `GET /Users?filter=userName eq "…"` (finds nothing),
 *    then `POST /Users`;
 * 2. groups: for each group `GET /Groups?filter=displayName eq "…"&excludedAttributes=members`
 *    (finds nothing), then `POST /Groups` with no members (Entra creates groups
 *    empty and fills them afterwards);
 * 3. memberships: `PATCH /Groups/{id}?excludedAttributes=members` with one
 *    `{"op":"Add","path":"members","value":[…]}` of up to --members-per-patch
 *    users (RFC 7644 §3.5.2.1; Entra's "Update Group [Add Members]"), answered
 *    204 as Entra asks.
 *
 * 50 workers (--workers). `--tenants 1`: one tenant, one token, the workers
 * share its users. `--tenants 50`: 50 tenants each with its own connection and
 * token, worker i drives tenant i % tenants. Each mode gets its own fresh
 * database; the phases are separated by a barrier (an IdP finishes its users
 * before it creates groups). The generator is node:http with keep-alive (one
 * socket per worker), in this process, on the same 2 cores as the server and
 * Postgres: its CPU counts against the figures, and is printed.
 *
 * Prints JSON per mode: users/s for the whole cycle, phase figures, p50/p99 per
 * request kind, CPU per request of the server, Postgres and the generator.
 *
 *   npm run build && npx tsx bench/scim/initial-cycle.ts [--tenants 1,50] [--users 10000] [--groups 500]
 *     [--groups-per-user 2] [--members-per-patch 25] [--workers 50]
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { silentLogger } from '../../src/core/logging/index.js';
import { operationNamed, runOperation } from '../../src/admin/operations/index.js';
import { SecretKeyring } from '../../src/core/secrets/index.js';
import { migrateStore, openStore } from '../../src/core/store/index.js';
import { startProcess } from './process.js';
import { databaseCpuSeconds, processCpuSeconds } from '../cpu.js';

const { values: args } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1,50' },
    users: { type: 'string', default: '10000' },
    groups: { type: 'string', default: '500' },
    'groups-per-user': { type: 'string', default: '2' },
    'members-per-patch': { type: 'string', default: '25' },
    workers: { type: 'string', default: '50' },
  },
});
const USERS = Number(args.users);
const GROUPS = Number(args.groups);
const GROUPS_PER_USER = Number(args['groups-per-user']);
const MEMBERS_PER_PATCH = Number(args['members-per-patch']);
const WORKERS = Number(args.workers);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';


const percentile = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! : 0);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Latencies per request kind, in milliseconds. */
class Timings {
  private readonly byKind = new Map<string, number[]>();
  add(kind: string, ms: number) {
    let list = this.byKind.get(kind);
    if (!list) this.byKind.set(kind, (list = []));
    list.push(ms);
  }
  get count() {
    let n = 0;
    for (const l of this.byKind.values()) n += l.length;
    return n;
  }
  summary() {
    const out: Record<string, { count: number; p50: number; p99: number; max: number }> = {};
    const all: number[] = [];
    for (const [kind, list] of this.byKind) {
      const sorted = Float64Array.from(list).sort();
      out[kind] = { count: list.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1]!) };
      all.push(...list);
    }
    const sorted = Float64Array.from(all).sort();
    return { perKind: out, all: { count: all.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) } };
  }
}

/** One request on a keep-alive socket; the answer's status and body (parsed when there is one). */
function request(agent: http.Agent, port: number, method: string, urlPath: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: '127.0.0.1', port, method, path: urlPath, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(payload) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const start = (command: string[], env: NodeJS.ProcessEnv, ready: RegExp, children: ChildProcess[]) => startProcess(root, command, env, ready, children);

interface Tenant {
  token: string;
  /** This tenant's share of the users and groups, by global number. */
  users: number[];
  groups: number[];
  groupIds: Map<number, string>;
  userIds: Map<number, string>;
}

async function runMode(tenantCount: number, admin: postgres.Sql) {
  const name = `roster_bench_cycle_${randomBytes(4).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  // Profiling: BENCH_AUTO_EXPLAIN_MS=20 logs the plan (with timings) of every statement slower than that to Postgres's log.
  if (process.env.BENCH_AUTO_EXPLAIN_MS) {
    for (const setting of [`session_preload_libraries = 'auto_explain'`, `auto_explain.log_min_duration = ${Number(process.env.BENCH_AUTO_EXPLAIN_MS)}`, 'auto_explain.log_analyze = on', 'auto_explain.log_nested_statements = on']) {
      await admin.unsafe(`alter database ${name} set ${setting}`);
    }
  }
  // Profiling: BENCH_LOG_STATEMENTS=1 logs every statement with its duration.
  if (process.env.BENCH_LOG_STATEMENTS) await admin.unsafe(`alter database ${name} set log_min_duration_statement = 0`);
  const dbUrl = Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString();
  const children: ChildProcess[] = [];
  try {
    const store = await openStore({ databaseUrl: dbUrl });
    await migrateStore(store, dbUrl);
    const ctx = { store, keyring: new SecretKeyring({ secretKey: undefined, backend: 'postgres', dataDir: undefined }), logger: silentLogger(), actor: { type: 'system' as const } };
    const op = <T>(n: string, input: Record<string, unknown>) => runOperation(ctx, operationNamed(n), input) as Promise<T>;
    const tenants: Tenant[] = [];
    for (let t = 0; t < tenantCount; t++) {
      await op('tenant.create', { slug: `bench${t}` });
      const connection = await op<{ id: string }>('connection.create', { tenant: `bench${t}`, name: 'scim', kind: 'scim' });
      // Entra answers a member PATCH's 200 by reading nothing; 204 is what its docs ask for.
      await op('connection.update', { connection: connection.id, scimRatePerMinute: 0, settings: { patchResponse: 'no-content' } });
      const { token } = await op<{ token: string }>('token.create', { connection: connection.id, name: 'bench' });
      tenants.push({ token, users: [], groups: [], groupIds: new Map(), userIds: new Map() });
    }
    await store.close();
    for (let n = 0; n < USERS; n++) tenants[n % tenantCount]!.users.push(n);
    for (let g = 0; g < GROUPS; g++) tenants[g % tenantCount]!.groups.push(g);

    // Profiling: BENCH_CPU_PROF=<dir> writes the server's CPU profile there when it stops.
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const port = Number(await start([...profile, 'bin/roster.js', 'serve', '--port', '0'], { DATABASE_URL: dbUrl, LOG_LEVEL: 'info', LOG_FORMAT: 'json', NODE_ENV: 'production' }, /listening on http:\/\/127\.0\.0\.1:(\d+)/, children));
    const server = children[0]!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });
    const timings = new Timings();
    const call = async (kind: string, tenant: Tenant, method: string, urlPath: string, body: unknown, expect: number[]) => {
      const began = performance.now();
      const res = await request(agent, port, method, urlPath, tenant.token, body);
      timings.add(kind, performance.now() - began);
      if (!expect.includes(res.status)) throw new Error(`${method} ${urlPath} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body;
    };

    // Each worker takes the next item of its tenant's list (one tenant: all workers share it).
    const runPhase = async (items: (t: Tenant) => number[], work: (t: Tenant, item: number) => Promise<void>) => {
      const cursors = tenants.map(() => 0);
      await Promise.all(
        Array.from({ length: WORKERS }, async (_, w) => {
          const t = w % tenantCount;
          const list = items(tenants[t]!);
          for (let i = cursors[t]!++; i < list.length; i = cursors[t]!++) await work(tenants[t]!, list[i]!);
        }),
      );
    };
    const databaseCpu = () => databaseCpuSeconds(admin, name);
    const phases: Record<string, { seconds: number; requests: number; perSecond: number; unit: string }> = {};
    const phase = async (label: string, unit: string, units: number, body: () => Promise<void>) => {
      log(`${tenantCount} tenant(s): ${label}`);
      const requestsBefore = timings.count;
      const began = performance.now();
      await body();
      const seconds = (performance.now() - began) / 1000;
      phases[label] = { seconds: round(seconds, 2), requests: timings.count - requestsBefore, perSecond: Math.round(units / seconds), unit };
    };

    const cpuBefore = { server: processCpuSeconds(server.pid!), db: await databaseCpu(), generator: process.cpuUsage() };
    const began = performance.now();
    await phase('users', 'users/s', USERS, () =>
      runPhase(
        (t) => t.users,
        async (t, n) => {
          const userName = `user${n}@bench.example`;
          const found = await call('GET /Users?filter=userName eq (none)', t, 'GET', `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, undefined, [200]);
          if (found.totalResults !== 0) throw new Error(`filter for ${userName} found ${found.totalResults}`);
          const body = { schemas: [CORE_USER], externalId: `ext-${n}`, userName, active: true, displayName: `User ${n}`, name: { givenName: 'Bench', familyName: `${n}` }, emails: [{ value: userName, type: 'work', primary: true }] };
          t.userIds.set(n, (await call('POST /Users', t, 'POST', '/scim/v2/Users', body, [201])).id);
        },
      ),
    );
    await phase('groups', 'groups/s', GROUPS, () =>
      runPhase(
        (t) => t.groups,
        async (t, g) => {
          const displayName = `Group ${g}`;
          const found = await call('GET /Groups?filter=displayName eq (none)', t, 'GET', `/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`, undefined, [200]);
          if (found.totalResults !== 0) throw new Error(`filter for ${displayName} found ${found.totalResults}`);
          t.groupIds.set(g, (await call('POST /Groups', t, 'POST', '/scim/v2/Groups', { schemas: [CORE_GROUP], externalId: `g-${g}`, displayName, members: [] }, [201])).id);
        },
      ),
    );
    // Each user joins GROUPS_PER_USER of its tenant's groups; each group's members go in PATCHes of MEMBERS_PER_PATCH.
    const patches = new Map<Tenant, Array<{ groupId: string; members: string[] }>>();
    let memberships = 0;
    for (const t of tenants) {
      const members = new Map<number, string[]>(t.groups.map((g) => [g, []]));
      t.users.forEach((n, k) => {
        for (let j = 0; j < Math.min(GROUPS_PER_USER, t.groups.length); j++) members.get(t.groups[(k + j * 7) % t.groups.length]!)!.push(t.userIds.get(n)!);
      });
      const list: Array<{ groupId: string; members: string[] }> = [];
      for (const [g, ids] of members) for (let i = 0; i < ids.length; i += MEMBERS_PER_PATCH) list.push({ groupId: t.groupIds.get(g)!, members: ids.slice(i, i + MEMBERS_PER_PATCH) });
      memberships += [...members.values()].reduce((s, ids) => s + ids.length, 0);
      patches.set(t, list);
    }
    await phase('memberships', 'memberships/s', memberships, () =>
      runPhase(
        (t) => patches.get(t)!.map((_, i) => i),
        async (t, i) => {
          const { groupId, members } = patches.get(t)![i]!;
          const body = { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: members.map((value) => ({ value })) }] };
          await call('PATCH /Groups/{id} add members', t, 'PATCH', `/scim/v2/Groups/${groupId}?excludedAttributes=members`, body, [200, 204]);
        },
      ),
    );
    const seconds = (performance.now() - began) / 1000;
    const generator = process.cpuUsage(cpuBefore.generator);
    const cpu = { server: processCpuSeconds(server.pid!) - cpuBefore.server, db: (await databaseCpu()) - cpuBefore.db, generator: (generator.user + generator.system) / 1e6 };

    // Everything the cycle sent is there: a bench that loses writes measures nothing.
    const check = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const [stored] = await check.unsafe<{ users: number; groups: number; memberships: number; events: number; analysed: Date | null }[]>(
      `select (select count(*)::int from users) as users, (select count(*)::int from groups) as groups,
              (select count(*)::int from group_memberships) as memberships, (select count(*)::int from audit_events) as events,
              (select greatest(last_analyze, last_autoanalyze) from pg_stat_user_tables where relname = 'users') as analysed`,
    );
    await check.end();
    if (stored!.users !== USERS || stored!.groups !== GROUPS || stored!.memberships !== memberships) throw new Error(`stored ${JSON.stringify(stored)}, expected ${USERS}/${GROUPS}/${memberships}`);
    const { perKind, all } = timings.summary();
    const perRequest = (s: number) => Math.round((s * 1e6) / all.count);
    return {
      tenants: tenantCount,
      workers: WORKERS,
      users: USERS,
      groups: GROUPS,
      memberships,
      membersPerPatch: MEMBERS_PER_PATCH,
      totalSeconds: round(seconds, 2),
      usersPerSecond: Math.round(USERS / seconds),
      phases,
      latencyMs: perKind,
      allRequests: all,
      cpuMicrosecondsPerRequest: { server: perRequest(cpu.server), database: perRequest(cpu.db), generator: perRequest(cpu.generator) },
      auditEvents: stored!.events,
      // Null while autovacuum has not analysed the users table: the cycle ran on a never-analysed database.
      usersTableAnalysedAt: stored!.analysed,
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    // BENCH_KEEP_DATABASE=1 leaves the database behind for EXPLAIN and the like.
    if (process.env.BENCH_KEEP_DATABASE) log(`kept database ${name}`);
    else await admin.unsafe(`drop database if exists ${name} with (force)`);
  }
}

const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
try {
  const results = [];
  for (const t of args.tenants!.split(',').map(Number)) results.push(await runMode(t, admin));
  console.log(JSON.stringify({ benchmark: 'scim-initial-cycle', node: process.version, loadAverage: os.loadavg().map((l) => round(l, 2)), results }, null, 2));
} finally {
  await admin.end();
}
