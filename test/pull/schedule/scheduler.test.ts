/**
 * The scheduler against a real store (Postgres or PGlite): schedules armed
 * from the database and re-armed when they change, one run per tick across
 * replicas, ticks of a dead replica taken over, backoff, and the global limit.
 * The sync itself is the job the scheduler is handed; here it records calls.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import { isProviderKind } from '../../../src/pull/providers/index.js';
import { SyncScheduler, type SchedulerOptions, type SyncMode } from '../../../src/pull/schedule/index.js';
import { claimScheduleSlot, completeScheduleSlot, queryRows, renewScheduleSlot } from '../../../src/core/store/index.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;
let tenantId: string;
const schedulers: SyncScheduler[] = [];
const EVERY_SECOND = '* * * * * *';

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  tenantId = (await op(ctx, 'tenant.create', { slug: 'acme' })).id;
});
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop(5000)));
  // Leave no schedule armed for the next test.
  await queryRows(store.db, sql`update connections set schedule = null, full_schedule = null`);
});
afterAll(() => store.close());

let n = 0;
const okta = async (schedule?: string, fullSchedule?: string) =>
  (await op(ctx, 'connection.create', { tenant: 'acme', name: `okta-${++n}`, kind: 'okta', settings: { orgUrl: 'https://acme.okta.com', apiToken: 'tok' }, schedule, fullSchedule })).id as string;

interface Call {
  connectionId: string;
  mode: SyncMode;
  replica: string;
}

function scheduler(calls: Call[], options: Partial<SchedulerOptions> & { runMs?: number } = {}): SyncScheduler {
  const s: SyncScheduler = new SyncScheduler({
    db: store.db,
    logger: silentLogger(),
    isPullKind: isProviderKind,
    refreshMs: 60_000,
    runSync: async (connectionId, mode) => {
      calls.push({ connectionId, mode, replica: s.replicaId });
      await new Promise((r) => setTimeout(r, options.runMs ?? 10));
      return { status: 'succeeded' };
    },
    ...options,
  });
  schedulers.push(s);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('schedule slots (the run coordinator’s claims)', () => {
  it('lets one replica claim a tick, and another take it over only once the claim lapsed unfinished', async () => {
    const connectionId = await okta();
    const key = `${connectionId}:delta:2026-01-01T00:00:00.000Z`;
    expect(await claimScheduleSlot(store.db, key, connectionId, 'a', 200)).toBe(true);
    expect(await claimScheduleSlot(store.db, key, connectionId, 'b', 200)).toBe(false);
    expect(await renewScheduleSlot(store.db, key, 'b', 200)).toBe(false);
    expect(await renewScheduleSlot(store.db, key, 'a', 200)).toBe(true);
    await sleep(300);
    expect(await claimScheduleSlot(store.db, key, connectionId, 'b', 60_000)).toBe(true);
    expect(await renewScheduleSlot(store.db, key, 'a', 200)).toBe(false);
    await completeScheduleSlot(store.db, key, 'b');
    await sleep(10);
    expect(await claimScheduleSlot(store.db, key, connectionId, 'c', 1)).toBe(false);
  });
});

describe('SyncScheduler', () => {
  it('arms each enabled pull connection’s delta and full schedules, and follows changes on refresh', async () => {
    const id = await okta('*/15 * * * *', '0 3 * * 0');
    await op(ctx, 'connection.create', { tenant: 'acme', name: `push-${++n}`, kind: 'scim' });
    const s = scheduler([]);
    await s.refresh();
    expect(s.armed()).toEqual(new Map([[`${id}:delta`, '*/15 * * * *'], [`${id}:full`, '0 3 * * 0']]));

    await op(ctx, 'connection.update', { connection: id, schedule: '*/5 * * * *', fullSchedule: null });
    await s.refresh();
    expect(s.armed()).toEqual(new Map([[`${id}:delta`, '*/5 * * * *']]));

    await op(ctx, 'connection.update', { connection: id, enabled: false });
    await s.refresh();
    expect(s.armed().size).toBe(0);
    await op(ctx, 'connection.update', { connection: id, enabled: true });
  });

  it('arms every other connection when a stored schedule can never fire, and marks that one broken', async () => {
    // A row stored before schedules were checked: it sorts first, so it is armed first.
    const broken = (await op(ctx, 'connection.create', { tenant: 'acme', name: 'a-broken', kind: 'okta', settings: { orgUrl: 'https://acme.okta.com', apiToken: 'tok' } })).id as string;
    await queryRows(store.db, sql`update connections set full_schedule = '0 0 1 * 1#2', schedule = '*/10 * * * *' where id = ${broken}::uuid`);
    const healthy = await okta('*/15 * * * *');
    const s = scheduler([]);
    await s.refresh();
    // The healthy connection also has its default daily full sync armed; the broken row's full schedule is not.
    expect(s.armed().get(`${broken}:delta`)).toBe('*/10 * * * *');
    expect(s.armed().get(`${healthy}:delta`)).toBe('*/15 * * * *');
    expect(s.armed().has(`${healthy}:full`)).toBe(true);
    expect(s.armed().has(`${broken}:full`)).toBe(false);
    expect([...s.broken().keys()]).toEqual([`${broken}:full`]);
    expect(s.broken().get(`${broken}:full`)).toMatchObject({ connectionId: broken, schedule: '0 0 1 * 1#2' });
    // A second pass neither retries the broken row in a loop nor loses the healthy one.
    await s.refresh();
    expect(s.armed().has(`${healthy}:delta`)).toBe(true);
    const report = await op(ctx, 'report.show', { connection: broken });
    expect(report.health).toBe('degraded');
    expect(report.healthReason).toContain('fullSchedule "0 0 1 * 1#2" never fires');
    await queryRows(store.db, sql`delete from connections where id = ${broken}::uuid`);
  });

  it('runs each tick once across two replicas sharing the database', async () => {
    const id = await okta(EVERY_SECOND);
    const calls: Call[] = [];
    const a = scheduler(calls);
    const b = scheduler(calls);
    await Promise.all([a.refresh(), b.refresh()]);
    await sleep(3500);
    await Promise.all([a.stop(5000), b.stop(5000)]);
    const slots = await queryRows<{ key: string; attempts: number; completed: boolean }>(
      store.db,
      sql`select key, attempts, completed_at is not null as completed from schedule_slots where connection_id = ${id}::uuid and attempts > 0`,
    );
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.every((c) => c.connectionId === id && c.mode === 'delta')).toBe(true);
    expect(slots).toHaveLength(calls.length); // one claim per run: no tick ran twice (ticks written ahead and not claimed have attempts 0)
    expect(slots.every((s) => s.attempts === 1 && s.completed)).toBe(true);
  });

  it('takes over a tick whose replica died before finishing it', async () => {
    const id = await okta();
    const key = `${id}:full:2026-01-01T00:00:00.000Z`;
    expect(await claimScheduleSlot(store.db, key, id, 'replica-that-died', 50)).toBe(true);
    await sleep(100);
    const calls: Call[] = [];
    const s = scheduler(calls);
    await s.refresh();
    await s.stop(5000);
    expect(calls).toEqual([{ connectionId: id, mode: 'full', replica: s.replicaId }]);
    const [slot] = await queryRows<{ owner: string; attempts: number; completed: boolean }>(
      store.db,
      sql`select owner, attempts, completed_at is not null as completed from schedule_slots where key = ${key}`,
    );
    expect(slot).toEqual({ owner: s.replicaId, attempts: 2, completed: true });
  });

  it('skips the ticks of a connection that keeps failing until its backoff is over', async () => {
    const failing = await okta(EVERY_SECOND);
    const healthy = await okta(EVERY_SECOND);
    for (let i = 0; i < 3; i++) {
      await queryRows(
        store.db,
        sql`insert into sync_runs (tenant_id, connection_id, trigger, mode, status, finished_at, error)
            values (${tenantId}::uuid, ${failing}::uuid, 'schedule', 'delta', 'failed', now(), 'IdP down')`,
      );
    }
    const calls: Call[] = [];
    const s = scheduler(calls, { backoff: { baseMs: 60_000, capMs: 600_000 } });
    await s.refresh();
    await sleep(2500);
    await s.stop(5000);
    expect(calls.some((c) => c.connectionId === healthy)).toBe(true);
    expect(calls.some((c) => c.connectionId === failing)).toBe(false);
  });

  it('runs different connections concurrently only up to the global limit', async () => {
    const ids = [await okta(EVERY_SECOND), await okta(EVERY_SECOND), await okta(EVERY_SECOND)];
    let running = 0;
    let peak = 0;
    const seen = new Set<string>();
    const s = new SyncScheduler({
      db: store.db,
      logger: silentLogger(),
      isPullKind: isProviderKind,
      refreshMs: 60_000,
      concurrency: 2,
      runSync: async (connectionId) => {
        seen.add(connectionId);
        peak = Math.max(peak, ++running);
        await sleep(1200);
        running--;
        return { status: 'succeeded' };
      },
    });
    schedulers.push(s);
    await s.refresh();
    await sleep(3500);
    await s.stop(5000);
    expect(peak).toBe(2);
    expect([...seen].sort()).toEqual([...ids].sort());
  });
});
