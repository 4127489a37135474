/**
 * Scheduled syncs. Each pull connection's `schedule` (delta) and
 * `full_schedule` are cron expressions; a refresh pass (every 30 s by
 * default, in every `roster serve` replica) picks up schedules changed at run
 * time and writes each connection's upcoming ticks into `schedule_slots`,
 * unclaimed, due at the nominal tick plus the connection's fixed spread
 * (./spread.ts). Every replica writes the same ticks; the first write wins.
 *
 * A replica claims due ticks only as it has free run slots (each second, and
 * as soon as a run ends): one statement locks up to that many due ticks with
 * `for update skip locked`, so two replicas never claim the same tick, and a
 * busy replica leaves ticks to the others rather than holding ticks it cannot
 * start. The claim is renewed while the sync runs; a claim that lapses (its
 * replica died) is due again and taken over the same way. A failing
 * connection backs off (./backoff.ts). node-cron still parses and checks the
 * expressions and gives the tick times; it no longer fires: a timer per
 * connection in every replica was 5,000 claims racing at :00 (issue 15).
 */
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../../core/logging/index.js';
import {
  claimDueScheduleSlots,
  completeScheduleSlot,
  insertScheduleTicks,
  listAllConnections,
  pruneScheduleSlots,
  recentRunOutcomes,
  releaseScheduleSlot,
  renewScheduleSlot,
  supersedeScheduleSlots,
  type ClaimedTick,
  type Db,
  type ScheduleTick,
} from '../../core/store/index.js';
import { backoffUntil, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { DEFAULT_MAX_SPREAD_MS, tickDueAt } from './spread.js';

export type SyncMode = 'delta' | 'full';

/** The tick a scheduled run serves: its slot key and the time it was due. */
export interface ScheduledTick {
  key: string;
  dueAt: Date;
}

export interface SchedulerOptions {
  db: Db;
  logger: Logger;
  /** Runs one sync of the connection and resolves with its status (the server passes the sync.run operation). */
  runSync(connectionId: string, mode: SyncMode, tick?: ScheduledTick): Promise<{ status: string }>;
  /** Connection kinds that are synced by pulling (the registry's pull kinds, src/pull/providers). */
  isPullKind(kind: string): boolean;
  /** Runs of different connections at once, across this replica: it claims no more ticks than that. */
  concurrency?: number;
  refreshMs?: number;
  /** How often a replica with a free run slot looks for due ticks (and as soon as a run ends). */
  pollMs?: number;
  /** A claim's lease; renewed every third of it while the run lasts. */
  slotTtlMs?: number;
  /** The most a tick is spread after its nominal time (./spread.ts); 0 = every connection at the nominal time. */
  maxSpreadMs?: number;
  backoff?: BackoffPolicy;
  timezone?: string;
  replicaId?: string;
}

interface ScheduledEntry {
  connectionId: string;
  mode: SyncMode;
  expression: string;
  /** node-cron's parse of the expression: it is never started, only asked for the next tick times. */
  task: ScheduledTask;
  /** Ticks up to this nominal time are written already (by this replica). */
  writtenUntil: number;
}

/** A schedule node-cron could not arm (e.g. stored before schedules were checked): the others run regardless. */
export interface BrokenSchedule {
  connectionId: string;
  mode: SyncMode;
  schedule: string;
  error: string;
}

/** Task names and slot keys: `<connection id>:<mode>` and `<connection id>:<mode>:<tick ISO>`. */
const taskName = (connectionId: string, mode: SyncMode) => `${connectionId}:${mode}`;
function parseKey(key: string): { connectionId: string; mode: SyncMode } | undefined {
  const m = /^([0-9a-f-]{36}):(delta|full):/.exec(key);
  return m ? { connectionId: m[1]!, mode: m[2] as SyncMode } : undefined;
}
/** Ticks one schedule writes per refresh at most (an every-second schedule would otherwise write one a second of the horizon). */
const MAX_TICKS_PER_REFRESH = 200;

export class SyncScheduler {
  readonly replicaId: string;
  private readonly tasks = new Map<string, ScheduledEntry>();
  private readonly failed = new Map<string, BrokenSchedule>();
  private readonly renewals = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly concurrency: number;
  private readonly ttlMs: number;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private refreshing: Promise<void> | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;

  constructor(private readonly options: SchedulerOptions) {
    this.replicaId = options.replicaId ?? `replica-${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 4;
    this.ttlMs = options.slotTtlMs ?? 60_000;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 30_000);
    this.timer.unref();
  }

  /** Stop scheduling, and wait (up to `graceMs`) for runs in flight; an abandoned claim lapses and is taken over. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.pollTimer);
    for (const { task } of this.tasks.values()) await task.destroy();
    this.tasks.clear();
    await this.polling;
    const settled = Promise.allSettled([...this.inFlight]);
    await Promise.race([settled, new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const t of this.renewals.values()) clearInterval(t);
    this.renewals.clear();
  }

  /** The schedules this replica has armed, by task name (for tests and the report). */
  armed(): Map<string, string> {
    return new Map([...this.tasks].map(([name, e]) => [name, e.expression]));
  }

  /** Schedules that could not be armed, by task name; health says so from the same check (connections/schedule.ts). */
  broken(): Map<string, BrokenSchedule> {
    return new Map(this.failed);
  }

  /** Align the schedules with the database, write their upcoming ticks, and claim what is due (polling from then on). */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      const wanted = new Map<string, { connectionId: string; mode: SyncMode; expression: string }>();
      for (const c of await listAllConnections(this.options.db)) {
        if (!c.enabled || !this.options.isPullKind(c.kind)) continue;
        if (c.schedule) wanted.set(taskName(c.id, 'delta'), { connectionId: c.id, mode: 'delta', expression: c.schedule });
        if (c.fullSchedule) wanted.set(taskName(c.id, 'full'), { connectionId: c.id, mode: 'full', expression: c.fullSchedule });
      }
      for (const [name, entry] of this.tasks) {
        if (wanted.get(name)?.expression === entry.expression) continue;
        await entry.task.destroy();
        this.tasks.delete(name);
        this.options.logger.info('schedule removed', { task: name, schedule: entry.expression });
      }
      for (const [name, broken] of this.failed) if (wanted.get(name)?.expression !== broken.schedule) this.failed.delete(name);
      for (const [name, w] of wanted) {
        if (this.tasks.has(name) || this.failed.has(name) || this.stopped) continue;
        this.arm(name, w.connectionId, w.mode, w.expression);
      }
      await pruneScheduleSlots(this.options.db);
      const { ticks, written } = this.upcomingTicks();
      await insertScheduleTicks(this.options.db, ticks);
      // Only once they are in the database: a failed write is retried at the next pass.
      for (const [entry, until] of written) entry.writtenUntil = until;
    } catch (err) {
      this.options.logger.error('could not refresh the sync schedules', { error: err });
    }
    if (this.stopped) return;
    this.pollTimer ??= setInterval(() => void this.poll(), this.options.pollMs ?? 1000);
    this.pollTimer.unref();
    await this.poll();
  }

  /**
   * Arm one schedule, in isolation: node-cron throws for an expression it
   * cannot parse, or that never matches, and one such row must never keep
   * the connections after it from being scheduled. It is remembered as
   * broken (and not retried until its expression changes).
   */
  private arm(name: string, connectionId: string, mode: SyncMode, expression: string): void {
    let task: ScheduledTask | undefined;
    try {
      task = cron.createTask(expression, () => {}, { name, timezone: this.options.timezone ?? 'UTC' });
      task.getNextRuns(2);
    } catch (err) {
      void task?.destroy();
      const error = err instanceof Error ? err.message : String(err);
      this.failed.set(name, { connectionId, mode, schedule: expression, error });
      this.options.logger.error('schedule not armed: node-cron cannot run it; the connection is not synced on this schedule', {
        connectionId,
        mode,
        schedule: expression,
        error,
      });
      return;
    }
    this.tasks.set(name, { connectionId, mode, expression, task, writtenUntil: 0 });
    this.options.logger.info('schedule armed', { task: name, schedule: expression, replica: this.replicaId });
  }

  /**
   * Each schedule's ticks whose nominal time is within two refresh passes,
   * not written yet by this replica. Written ahead, a tick is in the database
   * before it is due whichever replica is up then; a tick whose nominal time
   * passed while no replica was up is not run (as before: a missed tick).
   */
  private upcomingTicks(): { ticks: ScheduleTick[]; written: Map<ScheduledEntry, number> } {
    const written = new Map<ScheduledEntry, number>();
    const horizon = Date.now() + 2 * (this.options.refreshMs ?? 30_000) + 5000;
    const maxSpread = this.options.maxSpreadMs ?? DEFAULT_MAX_SPREAD_MS;
    const ticks: ScheduleTick[] = [];
    for (const entry of this.tasks.values()) {
      if (entry.writtenUntil > horizon) continue;
      let runs: Date[];
      try {
        runs = entry.task.getNextRuns(3);
        // More ticks than three before the horizon (a schedule of seconds or minutes): ask for enough.
        if (runs[runs.length - 1]!.getTime() <= horizon) {
          const period = Math.max(1000, runs[1]!.getTime() - runs[0]!.getTime());
          runs = entry.task.getNextRuns(Math.min(MAX_TICKS_PER_REFRESH, Math.ceil((horizon - Date.now()) / period) + 2));
        }
      } catch (err) {
        this.options.logger.warn('could not compute the next ticks of a schedule', { connectionId: entry.connectionId, mode: entry.mode, error: err });
        continue;
      }
      // Each tick needs the next to place its spread; the last one waits for the next pass.
      for (let i = 0; i < runs.length - 1; i++) {
        const nominal = runs[i]!;
        if (nominal.getTime() <= entry.writtenUntil) continue;
        if (nominal.getTime() > horizon) break;
        ticks.push({
          key: `${taskName(entry.connectionId, entry.mode)}:${nominal.toISOString()}`,
          connectionId: entry.connectionId,
          dueAt: tickDueAt(entry.connectionId, entry.mode, nominal, runs[i + 1]!, maxSpread),
          schedule: entry.expression,
        });
        written.set(entry, nominal.getTime());
      }
    }
    return { ticks, written };
  }

  /** Claim as many due ticks as this replica has free run slots, and start them. */
  private poll(): Promise<void> {
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = this.pollOnce().finally(() => {
      this.polling = undefined;
      if (this.pollAgain && !this.stopped) {
        this.pollAgain = false;
        void this.poll();
      }
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const free = this.concurrency - this.running;
    if (this.stopped || free <= 0) return;
    let claimed: ClaimedTick[];
    try {
      claimed = await claimDueScheduleSlots(this.options.db, this.replicaId, this.ttlMs, free);
    } catch (err) {
      this.options.logger.warn('could not claim due scheduled syncs', { error: err });
      return;
    }
    const connections = new Set<string>();
    for (const tick of claimed) {
      const parsed = parseKey(tick.key);
      // Two ticks of one connection in one batch (its delta and its full sync): one now, the other stays due.
      if (!parsed || connections.has(tick.connectionId) || this.stopped) {
        // Should the release fail (database gone), the claim lapses by itself and the tick is due again.
        await releaseScheduleSlot(this.options.db, tick.key, this.replicaId).catch(() => {});
        continue;
      }
      connections.add(tick.connectionId);
      if (tick.attempts > 1) this.options.logger.warn('taking over a scheduled sync whose replica stopped before finishing it', { slot: tick.key });
      this.running++;
      this.keepRenewing(tick.key, this.ttlMs);
      void this.track(
        this.runTick(tick, parsed.mode).finally(async () => {
          await this.complete(tick.key);
          this.running--;
          void this.poll();
        }),
      );
    }
  }

  private keepRenewing(key: string, ttlMs: number): void {
    const timer = setInterval(() => {
      renewScheduleSlot(this.options.db, key, this.replicaId, ttlMs)
        .then((held) => {
          if (!held) this.options.logger.warn('lost the claim on a scheduled sync (another replica took it over)', { slot: key });
        })
        .catch((err: unknown) => this.options.logger.warn('could not renew a scheduled sync claim', { slot: key, error: err }));
    }, Math.max(1000, Math.floor(ttlMs / 3)));
    timer.unref();
    this.renewals.set(key, timer);
  }

  private async complete(key: string): Promise<void> {
    clearInterval(this.renewals.get(key));
    this.renewals.delete(key);
    // Called from a promise nobody awaits: during a database outage it must not reject (that would end
    // the process); an unmarked claim lapses by itself after its TTL.
    await completeScheduleSlot(this.options.db, key, this.replicaId).catch((err: unknown) =>
      this.options.logger.warn('could not mark a scheduled sync done; its claim lapses by itself', { slot: key, error: err }),
    );
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
    return promise;
  }

  /** One scheduled run: skipped while the connection backs off; never throws (the run records its own failure). */
  private async runTick(tick: ClaimedTick, mode: SyncMode): Promise<void> {
    const log = this.options.logger;
    const { connectionId } = tick;
    try {
      // This run serves the connection's other due ticks of the same mode too (it fell behind).
      const superseded = await supersedeScheduleSlots(this.options.db, tick.key, this.replicaId);
      if (superseded) log.info('scheduled sync catches up ticks missed while the connection was behind', { slot: tick.key, superseded });
      const until = backoffUntil(await recentRunOutcomes(this.options.db, connectionId), new Date(), this.options.backoff ?? DEFAULT_BACKOFF);
      if (until) {
        log.warn('scheduled sync skipped: the connection is backing off after failed runs', { connectionId, mode, until: until.toISOString() });
        return;
      }
      const started = Date.now();
      const { status } = await this.options.runSync(connectionId, mode, { key: tick.key, dueAt: tick.dueAt });
      log.info('scheduled sync finished', { connectionId, mode, status, durationMs: Date.now() - started, lagMs: started - tick.dueAt.getTime() });
    } catch (err) {
      // A failed run is recorded by the reconciler; this is for what happened around it (a lease held elsewhere, a lost database).
      log.warn('scheduled sync did not complete', { connectionId, mode, error: err });
    }
  }
}
