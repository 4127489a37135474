/**
 * The Roster side of the sync benchmark: one process per provider (so its
 * peak RSS is that provider's), started by run.ts with NODE_EXTRA_CA_CERTS
 * set. Creates the tenant and connection through the operations, then times
 * `sync.run` three times: initial, no change, 1% of users changed. The fake
 * IdP runs in another process; requests to it go through run.ts.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import postgres from 'postgres';
import winston from 'winston';
import { silentLogger, type Logger } from '../../src/core/logging/index.js';
import { operationNamed, runOperation } from '../../src/admin/operations/index.js';
import type { SyncReport } from '../../src/pull/reconcile/report.js';
import { SecretKeyring } from '../../src/core/secrets/index.js';
import { migrateStore, openStore, type Store } from '../../src/core/store/index.js';
import type { FakeRequest, FakeResponse, RunMessage, SyncJob, SyncMessage } from './protocol.js';
import { databaseCpuSeconds } from '../cpu.js';

const send = (m: SyncMessage) => process.send!(m);
const pending = new Map<number, (r: FakeResponse) => void>();
let nextId = 0;
let jobReady: (job: SyncJob) => void;
const jobArrived = new Promise<SyncJob>((resolve) => (jobReady = resolve));

process.on('message', (m: RunMessage) => {
  if (m.type === 'job') jobReady(m.job);
  else pending.get(m.id)?.(m.response), pending.delete(m.id);
});

async function fake(request: FakeRequest): Promise<FakeResponse & { ok: true }> {
  const id = nextId++;
  const response = await new Promise<FakeResponse>((resolve) => {
    pending.set(id, resolve);
    send({ type: 'fake', id, request });
  });
  if (!response.ok) throw new Error(`fake: ${response.error}`);
  return response;
}

/** Inserted + updated + deleted rows per table, per Postgres's statistics. */
async function rowsWrittenByTable(url: string): Promise<Record<string, number>> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  const rows = await client<{ relname: string; n: string }[]>`select relname, (n_tup_ins + n_tup_upd + n_tup_del)::bigint as n from pg_stat_user_tables`;
  await client.end();
  return Object.fromEntries(rows.map((r) => [r.relname, Number(r.n)]));
}

function difference(after: Record<string, number>, before: Record<string, number>): { total: number; byTable: Record<string, number> } {
  const byTable: Record<string, number> = {};
  let total = 0;
  for (const [table, n] of Object.entries(after)) {
    const d = n - (before[table] ?? 0);
    if (d !== 0) byTable[table] = d;
    total += d;
  }
  return { total, byTable };
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
/** Bookkeeping of the run itself, not directory data: the sync run row and the connection's lease/cursor. */
const BOOKKEEPING = new Set(['sync_runs', 'connections']);

/**
 * `--trace-memory` (BENCH_TRACE_MEMORY=1): memory every 250 ms and at each of
 * the sync's log lines (planned, progress), to stderr, so a peak can be put
 * in its phase (listing, planning, apply). Off by default: the logger then
 * stays silent, as in the measured runs.
 */
const tracing = process.env.BENCH_TRACE_MEMORY === '1';
const traceStart = performance.now();
function traceMemory(label: string): void {
  const m = process.memoryUsage();
  const t = ((performance.now() - traceStart) / 1000).toFixed(1);
  // Per V8 space: old = promoted objects, large = objects over 128 KB (both wait for a full collection).
  const spaces = v8
    .getHeapSpaceStatistics()
    .filter((s) => ['new_space', 'old_space', 'large_object_space', 'new_large_object_space'].includes(s.space_name))
    .map((s) => `${s.space_name.replace('_space', '').replace('_object', '')} ${mb(s.space_used_size)}`)
    .join(' ');
  process.stderr.write(`[mem ${t}s] rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} (${spaces}) external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} ${label}\n`);
}
function traceLogger(): Logger {
  const sink = new Writable({
    objectMode: true,
    write(info: { message?: string }, _enc, done) {
      traceMemory(`log: ${info.message ?? ''}`);
      done();
    },
  });
  return winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] });
}
if (tracing) setInterval(() => traceMemory(''), 250).unref();

const job = await jobArrived;
const url = job.databaseUrl;
let store: Store = await openStore({ databaseUrl: url });
await migrateStore(store, url);
const ctx = () => ({
  store,
  keyring,
  logger: tracing ? traceLogger() : silentLogger(),
  actor: { type: 'system' as const },
});
const keyring = new SecretKeyring({ secretKey: randomBytes(32).toString('base64'), backend: 'postgres', dataDir: undefined });
const op = <T>(name: string, input: Record<string, unknown>) => runOperation(ctx(), operationNamed(name), input) as Promise<T>;
await op('tenant.create', { slug: 'bench' });
await op('connection.create', { tenant: 'bench', name: job.provider, kind: job.provider, settings: job.settings });
// Creates are never held; a high threshold keeps the 1% round from being held for its deactivations, if any.
await op('connection.update', { connection: `bench/${job.provider}`, deletionThreshold: '100%' });

/**
 * CPU milliseconds the database's server processes for this bench's pool have
 * used (Linux /proc; Postgres on this machine). The pool is opened fresh for
 * each phase and keeps its connections until the phase ends, so the sum over
 * its backends is what the phase cost the database: steadier than wall time
 * on a shared machine, and it shows where the time of an apply goes.
 */
async function databaseCpuMs(url: string): Promise<number> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  const seconds = await databaseCpuSeconds(client, new URL(url).pathname.slice(1), 'roster');
  await client.end();
  return Math.round(seconds * 1000);
}

/** Statistics reach pg_stat_user_tables when a backend ends: close the pool around each phase. */
async function reopen(): Promise<void> {
  await store.close();
  store = await openStore({ databaseUrl: url });
}

/**
 * BENCH_CPU_PROFILE=<folder>: a CPU profile of each phase's sync.run, written
 * as <folder>/<phase>.cpuprofile (open in Chrome DevTools, Performance tab).
 */
async function cpuProfiled<T>(label: string, work: () => Promise<T>): Promise<T> {
  const folder = process.env.BENCH_CPU_PROFILE;
  if (!folder) return work();
  const { Session } = await import('node:inspector/promises');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(folder, { recursive: true });
    writeFileSync(`${folder}/${label.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

async function phase(label: string) {
  await reopen();
  if (tracing) traceMemory(`start: ${label}`);
  const before = await rowsWrittenByTable(url);
  await fake({ cmd: 'served' });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const report = await cpuProfiled(label, () => op<SyncReport>('sync.run', { connection: `bench/${job.provider}` }));
  const ms = Math.round(performance.now() - started);
  // CPU time of this process (user + system): what the sync costs Roster, less sensitive than wall time to a loaded machine.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  const dbCpuMs = await databaseCpuMs(url);
  const served = (await fake({ cmd: 'served' })).requests!;
  await reopen();
  const written = difference(await rowsWrittenByTable(url), before);
  const directoryRows = Object.entries(written.byTable).filter(([t]) => !BOOKKEEPING.has(t)).reduce((n, [, v]) => n + v, 0);
  process.stderr.write(`[bench ${job.provider}] ${label}: ${ms} ms (CPU ${cpuMs} ms, database CPU ${dbCpuMs} ms), ${report.status}, peak RSS ${peakRssMb()} MB\n`);
  return { ms, cpuMs, dbCpuMs, report, served, written, directoryRows };
}

/**
 * BENCH_HEAP_PROFILE=<file>: a sampling heap profile of the initial sync that
 * keeps what only a full collection frees and drops what died young: the
 * objects that make the peak (open the file in Chrome DevTools, Memory tab).
 */
async function profiled<T>(work: () => Promise<T>): Promise<T> {
  const file = process.env.BENCH_HEAP_PROFILE;
  if (!file) return work();
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 32 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
  try {
    return await work();
  } finally {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

try {
  const initial = await profiled(() => phase('initial sync'));
  const initialPeak = peakRssMb();
  const unchanged = await phase('no-change resync');
  const changed = (await fake({ cmd: 'change', fraction: 0.01 })).changed!;
  const onePercent = await phase('1% changed resync');
  const pct = (x: number) => Math.round((x / initial.ms) * 1000) / 10;
  const cpuPct = (x: number) => Math.round((x / initial.cpuMs) * 1000) / 10;
  send({
    type: 'result',
    result: {
      initialSync: {
        ms: initial.ms,
        cpuMs: initial.cpuMs,
        databaseCpuMs: initial.dbCpuMs,
        status: initial.report.status,
        mode: initial.report.mode,
        peakRssMb: initialPeak,
        apiRequests: initial.report.apiRequests,
        requestsServedByFake: initial.served,
        usersSynced: initial.report.usersSynced,
        groupsSynced: initial.report.groupsSynced,
        counts: initial.report.counts,
        rowsWritten: initial.written.total,
      },
      noChangeResync: {
        ms: unchanged.ms,
        cpuMs: unchanged.cpuMs,
        databaseCpuMs: unchanged.dbCpuMs,
        percentOfInitial: pct(unchanged.ms),
        cpuPercentOfInitial: cpuPct(unchanged.cpuMs),
        status: unchanged.report.status,
        mode: unchanged.report.mode,
        apiRequests: unchanged.report.apiRequests,
        requestsServedByFake: unchanged.served,
        rowsWritten: unchanged.written.total,
        rowsWrittenToDirectoryTables: unchanged.directoryRows,
        rowsWrittenByTable: unchanged.written.byTable,
      },
      onePercentChangedResync: {
        usersChanged: changed,
        ms: onePercent.ms,
        cpuMs: onePercent.cpuMs,
        databaseCpuMs: onePercent.dbCpuMs,
        percentOfInitial: pct(onePercent.ms),
        status: onePercent.report.status,
        mode: onePercent.report.mode,
        apiRequests: onePercent.report.apiRequests,
        counts: onePercent.report.counts,
        rowsWritten: onePercent.written.total,
      },
      peakRssMb: peakRssMb(),
      heapUsedAtEndMb: mb(process.memoryUsage().heapUsed),
    },
  });
} catch (err) {
  send({ type: 'error', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
} finally {
  await store.close();
  process.disconnect();
}
