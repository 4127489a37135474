/**
 * The scheduler at scale, on a real store (Postgres or PGlite): replicas
 * racing for the same due ticks run each once; a replica claims only as many
 * ticks as it has free run slots; the tick of a replica that stopped renewing
 * its claim (killed) is taken over; ticks are written once, due at the
 * connection's spread time inside its period. The sync is the job the
 * scheduler is handed; here it records the tick it was given.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import { insertScheduleTicks, queryRows } from '../../../src/core/store/index.js';
import { isProviderKind } from '../../../src/pull/providers/index.js';
import { SyncScheduler, tickDueAt, type SchedulerOptions, type ScheduledTick } from '../../../src/pull/schedule/index.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;
const schedulers: SyncScheduler[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
});
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop(5000)));
  await queryRows(store.db, sql`update connections set schedule = null, full_schedule = null`);
  await queryRows(store.db, sql`delete from schedule_slots`);
});
afterAll(() => store.close());

let n = 0;
const okta = async (schedule: string | null) =>
  (await op(ctx, 'connection.create', { tenant: 'acme', name: `okta-${++n}`, kind: 'okta', settings: { orgUrl: 'https://acme.okta.com', apiToken: 'tok' }, schedule, fullSchedule: null })).id as string;

interface Call {
  connectionId: string;
  replica: string;
  key: string | undefined;
}

function scheduler(calls: Call[], options: Partial<SchedulerOptions> & { runMs?: number | (() => Promise<void>) } = {}): SyncScheduler {
  const s: SyncScheduler = new SyncScheduler({
    db: store.db,
    logger: silentLogger(),
    isPullKind: isProviderKind,
    refreshMs: 60_000,
    pollMs: 200,
    runSync: async (connectionId, _mode, tick?: ScheduledTick) => {
      calls.push({ connectionId, replica: s.replicaId, key: tick?.key });
      await (typeof options.runMs === 'function' ? options.runMs() : sleep(options.runMs ?? 20));
      return { status: 'succeeded' };
    },
    ...options,
  });
  schedulers.push(s);
  return s;
}

const openClaims = (owner: string) =>
  queryRows<{ n: number }>(
    store.db,
    sql`select count(*)::int as n from schedule_slots where owner = ${owner} and completed_at is null and lease_expires_at >= now()`,
  ).then((r) => Number(r[0]!.n));

describe('SyncScheduler at scale', () => {
  it('runs each tick once with three replicas racing for the same due ticks', async () => {
    // 24 connections due every 2 s, runs of 300 ms, 2 slots a replica: more than one replica can start.
    const ids = await Promise.all(Array.from({ length: 24 }, () => okta('*/2 * * * * *')));
    const calls: Call[] = [];
    const replicas = [1, 2, 3].map(() => scheduler(calls, { concurrency: 2, runMs: 300 }));
    await Promise.all(replicas.map((s) => s.refresh()));
    await sleep(5000);
    await Promise.all(replicas.map((s) => s.stop(5000)));

    const keys = calls.map((c) => c.key);
    expect(calls.length).toBeGreaterThanOrEqual(24);
    expect(keys.every((k) => k !== undefined)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length); // no tick started twice
    expect(new Set(calls.map((c) => c.replica)).size).toBeGreaterThan(1);
    const claimed = await queryRows<{ key: string; attempts: number; completed: boolean }>(
      store.db,
      sql`select key, attempts, completed_at is not null as completed from schedule_slots where attempts > 0`,
    );
    expect(claimed.map((r) => r.key).sort()).toEqual([...keys].sort());
    expect(claimed.every((r) => r.attempts === 1 && r.completed)).toBe(true);
    expect(new Set(calls.map((c) => c.connectionId)).size).toBe(ids.length);
  });

  it('claims no more ticks than a replica has free run slots, so a busy replica leaves them to the others', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => okta('* * * * * *')));
    const calls: Call[] = [];
    const busy = scheduler(calls, { concurrency: 1, runMs: 1500 });
    const free = scheduler(calls, { concurrency: 4, runMs: 50 });
    await busy.refresh();
    await free.refresh();
    let busyPeak = 0;
    let freePeak = 0;
    for (let i = 0; i < 25; i++) {
      busyPeak = Math.max(busyPeak, await openClaims(busy.replicaId));
      freePeak = Math.max(freePeak, await openClaims(free.replicaId));
      await sleep(150);
    }
    await Promise.all([busy.stop(5000), free.stop(5000)]);
    expect(busyPeak).toBeLessThanOrEqual(1); // never more than its one slot (the free replica may well take every tick)
    expect(freePeak).toBeLessThanOrEqual(4);
    const byBusy = calls.filter((c) => c.replica === busy.replicaId).length;
    const byFree = calls.filter((c) => c.replica === free.replicaId).length;
    expect(byBusy).toBeLessThanOrEqual(4);
    expect(byFree).toBeGreaterThan(byBusy * 3);
    expect(new Set(calls.filter((c) => c.replica === free.replicaId).map((c) => c.connectionId)).size).toBeGreaterThanOrEqual(ids.length - 1);
  });

  it('takes over the tick of a replica that stopped renewing its claim mid-run (killed)', async () => {
    const id = await okta('0 0 1 1 *');
    const key = `${id}:delta:2026-01-01T00:00:00.000Z`;
    await insertScheduleTicks(store.db, [{ key, connectionId: id, dueAt: new Date(Date.now() - 1000), schedule: '0 0 1 1 *' }]);
    const calls: Call[] = [];
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    const dying = scheduler(calls, { slotTtlMs: 1200, runMs: () => hung });
    await dying.refresh();
    for (let i = 0; i < 50 && calls.length === 0; i++) await sleep(20);
    expect(calls).toEqual([{ connectionId: id, replica: dying.replicaId, key }]);
    // Killed: it neither renews nor completes its claim (stop without grace clears the renewals; the run hangs on).
    await dying.stop(0);
    const survivor = scheduler(calls);
    await survivor.refresh();
    expect(calls).toHaveLength(1); // the claim is still live: not taken over early
    await sleep(2000);
    await survivor.stop(5000);
    expect(calls).toEqual([
      { connectionId: id, replica: dying.replicaId, key },
      { connectionId: id, replica: survivor.replicaId, key },
    ]);
    const [slot] = await queryRows<{ owner: string; attempts: number; completed: boolean }>(
      store.db,
      sql`select owner, attempts, completed_at is not null as completed from schedule_slots where key = ${key}`,
    );
    expect(slot).toEqual({ owner: survivor.replicaId, attempts: 2, completed: true });
    release();
  });

  it('writes each tick once, due at the connection’s spread time inside its period, and drops it when the schedule changes', async () => {
    const id = await okta('*/15 * * * *');
    const a = scheduler([], { refreshMs: 30 * 60_000 });
    const b = scheduler([], { refreshMs: 30 * 60_000 });
    await a.refresh();
    await b.refresh();
    const rows = await queryRows<{ key: string; due: number; owner: string | null }>(
      store.db,
      sql`select key, (extract(epoch from due_at) * 1000)::float8 as due, owner from schedule_slots where connection_id = ${id}::uuid order by key`,
    );
    // Ticks whose nominal time is within two refresh passes (an hour): four, each written once.
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    for (const r of rows) {
      const nominal = new Date(r.key.slice(r.key.indexOf(':', 37) + 1));
      expect(nominal.getUTCMinutes() % 15).toBe(0);
      const next = new Date(nominal.getTime() + 15 * 60_000);
      expect(Number(r.due)).toBe(tickDueAt(id, 'delta', nominal, next).getTime());
      expect(Number(r.due)).toBeGreaterThanOrEqual(nominal.getTime());
      expect(Number(r.due)).toBeLessThan(next.getTime());
      expect(r.owner).toBeNull();
    }
    // The same offset into each period.
    const offsets = rows.map((r) => Number(r.due) - new Date(r.key.slice(r.key.indexOf(':', 37) + 1)).getTime());
    expect(new Set(offsets).size).toBe(1);

    await op(ctx, 'connection.update', { connection: id, schedule: '0 * * * *' });
    await a.refresh();
    const after = await queryRows<{ key: string }>(store.db, sql`select key from schedule_slots where connection_id = ${id}::uuid`);
    expect(after.every((r) => new Date(r.key.slice(r.key.indexOf(':', 37) + 1)).getUTCMinutes() === 0)).toBe(true);
  });
});
