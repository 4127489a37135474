/**
 * One replica of the scheduler bench (started by ./run.ts, not by hand): the
 * real SyncScheduler on the real store (Postgres), as `roster serve` runs it,
 * with the sync itself replaced by a stand-in that sleeps a varied time. The
 * point is the scheduler, not the IdP.
 *
 * Each run start and end is appended to BENCH_RECORDS (one JSON line each,
 * written synchronously so a replica killed with SIGKILL leaves what it had
 * started on disk). The scheduler passes the tick it runs (key and due time)
 * as a third argument where it knows it; where it does not (the node-cron
 * design before issue 15), ./run.ts attributes the run from schedule_slots.
 *
 * Environment: DATABASE_URL, BENCH_REPLICA (its id), BENCH_CONCURRENCY,
 * BENCH_SYNC_MIN_MS / BENCH_SYNC_MAX_MS (each sync sleeps a time between the
 * two, taken from a hash of the connection id and the minute, so runs vary
 * but a rerun of the bench sleeps the same), BENCH_RECORDS (file),
 * BENCH_REFRESH_MS (the schedule refresh pass, default the product's 30 s).
 */
import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { silentLogger } from '../../src/core/logging/index.js';
import { openStore } from '../../src/core/store/index.js';
import { isProviderKind } from '../../src/pull/providers/index.js';
import { SyncScheduler, type SchedulerOptions } from '../../src/pull/schedule/index.js';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

const replicaId = env('BENCH_REPLICA');
const records = env('BENCH_RECORDS');
const minMs = Number(env('BENCH_SYNC_MIN_MS', '10'));
const maxMs = Number(env('BENCH_SYNC_MAX_MS', '100'));

function syncMs(connectionId: string): number {
  const h = createHash('sha1').update(`${connectionId}:${Math.floor(Date.now() / 60_000)}`).digest().readUInt32BE(0);
  return minMs + (h / 0xffffffff) * (maxMs - minMs);
}

const store = await openStore({ databaseUrl: env('DATABASE_URL'), maxConnections: 10 });
type RunSync = SchedulerOptions['runSync'];
// The third argument exists only once the scheduler knows the tick it runs; older code passes two.
const runSync = (async (connectionId: string, mode: string, tick?: { key: string; dueAt: Date }) => {
  const started = Date.now();
  appendFileSync(records, `${JSON.stringify({ c: connectionId, m: mode, r: replicaId, s: started, key: tick?.key, due: tick?.dueAt.getTime() })}\n`);
  await new Promise((resolve) => setTimeout(resolve, syncMs(connectionId)));
  appendFileSync(records, `${JSON.stringify({ c: connectionId, m: mode, r: replicaId, s: started, e: Date.now(), key: tick?.key })}\n`);
  return { status: 'succeeded' };
}) as RunSync;

const scheduler = new SyncScheduler({
  db: store.db,
  logger: silentLogger(),
  isPullKind: isProviderKind,
  concurrency: Number(env('BENCH_CONCURRENCY', '4')),
  refreshMs: Number(env('BENCH_REFRESH_MS', '30000')),
  replicaId,
  runSync,
});
await scheduler.start();
process.send?.({ ready: replicaId });

process.on('SIGTERM', () => {
  void (async () => {
    await scheduler.stop(20_000);
    await store.close();
    process.exit(0);
  })();
});
