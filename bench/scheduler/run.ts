/**
 * Scheduler bench (issue 15, aim 6): N pull connections (default 5,000) on one
 * delta schedule, three replica processes running the real SyncScheduler on
 * one fresh Postgres database (dropped afterwards). Each sync is a stand-in
 * that sleeps 10–100 ms (./replica.ts): the point is the scheduler, not the IdP.
 *
 *   npx tsx bench/scheduler/run.ts [--variant even|busy|kill|all] [--period MIN] [--periods N]
 *                                  [--connections N] [--concurrency N] [--sync-ms MIN-MAX] [--busy-factor N]
 *
 * The aim is 5,000 connections every 15 minutes. A 15-minute period makes a
 * bench of 20+ minutes, so the default is `--period 1`: the same 5,000
 * connections every minute, 15x the tick rate of the aim (83 ticks/s instead
 * of 5.6), on 2 shared cores. `--period 15` measures the aim itself.
 * Variants: `even` (three alike), `busy` (replica r3 has concurrency 1 and
 * syncs `--busy-factor` (10) times longer: it must not claim ticks it cannot
 * start), `kill` (r3 is killed with SIGKILL half-way through the measured
 * period: the ticks it claimed must be taken over, none lost). Each variant
 * runs about 2–4 minutes on its own database: replicas start, the measured
 * ticks are those due in the next `--periods` whole periods, then a grace time.
 *
 * Prints one JSON object per variant, measured from the replicas' records and
 * from schedule_slots: ticks expected, run, lost, doubled (a tick started twice,
 * not counting the rerun of a run its replica was killed in), start lag (start
 * minus the tick's due time) p50/p95/max, runs per replica, the wait between
 * claiming a tick and starting it, and the claims each replica held while not
 * running them (sampled each second). DATABASE_URL names the server (default
 * postgres://postgres@127.0.0.1:5432/test).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { migrateStore, openStore } from '../../src/core/store/index.js';
import { analyse, type Sample } from './analyse.js';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string', default: 'even' },
    period: { type: 'string', default: '1' },
    periods: { type: 'string', default: '1' },
    connections: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
    'sync-ms': { type: 'string', default: '10-100' },
    'busy-factor': { type: 'string', default: '10' },
  },
});
const periodMin = Number(args.period);
if (!Number.isInteger(periodMin) || 60 % periodMin !== 0) throw new Error('--period must be a whole number of minutes dividing the hour (1, 2, 3, 5, 15, 30)');
const periodMs = periodMin * 60_000;
const periods = Number(args.periods);
const connections = Number(args.connections);
const [syncMin, syncMax] = args['sync-ms'].split('-').map(Number) as [number, number];
const busyFactor = Number(args['busy-factor']);
const concurrency = Number(args.concurrency);
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The product's claim lease (SchedulerOptions.slotTtlMs default): a killed replica's claims lapse after it. */
const SLOT_TTL_MS = 60_000;

async function variant(name: 'even' | 'busy' | 'kill'): Promise<unknown> {
  const dbName = `roster_bench_sched_${randomBytes(5).toString('hex')}`;
  const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(SERVER);
  url.pathname = `/${dbName}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'roster-bench-sched-'));
  const children: ChildProcess[] = [];
  const db = postgres(url.toString(), { max: 2, onnotice: () => {} });
  try {
    const store = await openStore({ databaseUrl: url.toString(), maxConnections: 2 });
    await migrateStore(store, url.toString());
    await store.close();
    const [tenant] = await db<{ id: string }[]>`insert into tenants (slug, name) values ('bench', 'Bench') returning id`;
    await db`insert into connections (tenant_id, name, kind, settings, schedule, full_schedule)
             select ${tenant!.id}::uuid, 'okta-' || i, 'okta', '{}'::jsonb, ${`*/${periodMin} * * * *`}, null
             from generate_series(1, ${connections}::int) i`;

    const replicas = ['r1', 'r2', 'r3'];
    const loadBefore = loadavg();
    const ready: Promise<void>[] = [];
    for (const r of replicas) {
      const slow = name === 'busy' && r === 'r3';
      const child = fork(path.join(root, 'bench/scheduler/replica.ts'), [], {
        cwd: root,
        execArgv: ['--import', 'tsx'],
        env: {
          ...process.env,
          DATABASE_URL: url.toString(),
          BENCH_REPLICA: r,
          BENCH_RECORDS: path.join(dir, `${r}.jsonl`),
          BENCH_CONCURRENCY: String(slow ? 1 : concurrency),
          BENCH_SYNC_MIN_MS: String(slow ? syncMin * busyFactor : syncMin),
          BENCH_SYNC_MAX_MS: String(slow ? syncMax * busyFactor : syncMax),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      ready.push(new Promise((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`replica ${r} exited (${code}) before it was ready`)));
      }));
    }
    await Promise.all(ready);
    // Measure the ticks of the next whole periods; the one in progress at start-up is warm-up.
    const from = Math.ceil((Date.now() + 2000) / periodMs) * periodMs;
    const to = from + periods * periodMs;
    const killAt = name === 'kill' ? from + periodMs / 2 : undefined;
    // Grace after the last measured due time: the product's refresh (30 s) plus a lapsed claim's lease when one replica dies.
    const end = to + (killAt ? SLOT_TTL_MS + 40_000 : 20_000);
    const samples: Sample[] = [];
    let killed = false;
    while (Date.now() < end) {
      if (killAt && !killed && Date.now() >= killAt) {
        children[2]!.kill('SIGKILL');
        killed = true;
      }
      const rows = await db<{ owner: string; held: number }[]>`
        select owner, count(*)::int as held from schedule_slots
        where completed_at is null and owner is not null and lease_expires_at >= now() group by owner`;
      samples.push({ t: Date.now(), held: Object.fromEntries(rows.map((r) => [r.owner, r.held])) });
      await sleep(1000);
    }
    const loadAfter = loadavg();
    await Promise.all(
      children.map((c, i) =>
        i === 2 && killed ? undefined : new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
      ),
    );
    const hasDue = (await db`select 1 from information_schema.columns where table_name = 'schedule_slots' and column_name = 'due_at'`).length > 0;
    const slots = await db.unsafe<{ key: string; owner: string | null; attempts: number; claimed: number; due: number | null; completed: boolean }[]>(
      `select key, owner, attempts, extract(epoch from claimed_at) * 1000 as claimed,
              ${hasDue ? 'extract(epoch from due_at) * 1000' : 'null'} as due, completed_at is not null as completed
       from schedule_slots`,
    );
    const connectionIds = (await db<{ id: string }[]>`select id from connections`).map((r) => r.id);
    const records = replicas.flatMap((r) => {
      try {
        return readFileSync(path.join(dir, `${r}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      } catch {
        return [];
      }
    });
    return {
      variant: name,
      connections,
      periodMinutes: periodMin,
      measuredPeriods: periods,
      concurrencyPerReplica: name === 'busy' ? { r1: concurrency, r2: concurrency, r3: 1 } : concurrency,
      syncMs: name === 'busy' ? { r1: [syncMin, syncMax], r2: [syncMin, syncMax], r3: [syncMin * busyFactor, syncMax * busyFactor] } : [syncMin, syncMax],
      killed: killAt ? { replica: 'r3', atSecondsIntoPeriod: periodMs / 2000 } : undefined,
      ...analyse({ records, slots, samples, connectionIds, from, to, periodMs, killedReplica: killAt ? 'r3' : undefined }),
      loadavg: { before: loadBefore.map((l) => +l.toFixed(2)), after: loadAfter.map((l) => +l.toFixed(2)) },
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await db.end();
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

const names = args.variant === 'all' ? (['even', 'busy', 'kill'] as const) : [args.variant as 'even' | 'busy' | 'kill'];
for (const n of names) {
  if (!['even', 'busy', 'kill'].includes(n)) throw new Error(`unknown --variant ${n}`);
  console.log(JSON.stringify(await variant(n)));
}
