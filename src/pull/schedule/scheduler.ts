/**
 * Scheduled syncs. Each pull connection's `schedule` (delta) and
 * `full_schedule` become node-cron tasks in every `roster serve` replica; a
 * refresh pass (every 30 s by default) picks up schedules changed at run
 * time. node-cron's `distributed` mode asks our Postgres-backed run
 * coordinator who runs each tick: one replica claims the tick in
 * `schedule_slots`, renews the claim while the sync runs, and a claim that
 * lapses (its replica died) is taken over by the next refresh pass of any
 * replica. Runs of different connections proceed concurrently up to a global
 * limit; a failing connection backs off.
 */
import { randomUUID } from 'node:crypto';
import cron, { type RunCoordinator, type ScheduledTask } from 'node-cron';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from '../../core/logging/index.js';
import {
  claimScheduleSlot,
  completeScheduleSlot,
  listAllConnections,
  listLapsedScheduleSlots,
  pruneScheduleSlots,
  recentRunOutcomes,
  renewScheduleSlot,
  type Db,
} from '../../core/store/index.js';
import { backoffUntil, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';

export type SyncMode = 'delta' | 'full';

export interface SchedulerOptions {
  db: Db;
  logger: Logger;
  /** Runs one sync of the connection and resolves with its status (the server passes the sync.run operation). */
  runSync(connectionId: string, mode: SyncMode): Promise<{ status: string }>;
  /** Connection kinds that are synced by pulling (the registry's pull kinds, src/pull/providers). */
  isPullKind(kind: string): boolean;
  /** Runs of different connections at once, across this replica. */
  concurrency?: number;
  refreshMs?: number;
  /** A claim's lease; renewed every third of it while the run lasts. */
  slotTtlMs?: number;
  backoff?: BackoffPolicy;
  timezone?: string;
  replicaId?: string;
}

interface ScheduledEntry {
  expression: string;
  task: ScheduledTask;
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

export class SyncScheduler {
  readonly replicaId: string;
  private readonly tasks = new Map<string, ScheduledEntry>();
  private readonly failed = new Map<string, BrokenSchedule>();
  private readonly renewals = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly limit: LimitFunction;
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.replicaId = options.replicaId ?? `replica-${randomUUID().slice(0, 8)}`;
    this.limit = pLimit(options.concurrency ?? 4);
    this.ttlMs = options.slotTtlMs ?? 60_000;
  }

  /** The coordinator node-cron consults at each tick: a claim in the database decides. */
  private readonly coordinator: RunCoordinator = {
    shouldRun: async (key, ttlMs) => {
      const parsed = parseKey(key);
      if (!parsed || this.stopped) return false;
      const won = await claimScheduleSlot(this.options.db, key, parsed.connectionId, this.replicaId, ttlMs);
      if (won) this.keepRenewing(key, ttlMs);
      return won;
    },
    onComplete: async (key) => this.complete(key),
  };

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 30_000);
    this.timer.unref();
  }

  /** Stop scheduling, and wait (up to `graceMs`) for runs in flight; an abandoned claim lapses and is taken over. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const { task } of this.tasks.values()) await task.destroy();
    this.tasks.clear();
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

  /** Align the armed tasks with the database, and take over ticks whose replica died. */
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
      await this.takeOverLapsed();
      await pruneScheduleSlots(this.options.db);
    } catch (err) {
      this.options.logger.error('could not refresh the sync schedules', { error: err });
    }
  }

  /** node-cron's own messages (a tick skipped because the last run is still going) into our log. */
  private readonly cronLogger = {
    info: (message: string) => this.options.logger.debug(`node-cron: ${message}`),
    debug: (message: string | Error) => this.options.logger.debug(`node-cron: ${String(message)}`),
    warn: (message: string) => this.options.logger.info(`node-cron: ${message}`),
    error: (message: string | Error, err?: Error) => this.options.logger.error(`node-cron: ${String(message)}`, { error: err }),
  };

  /**
   * Arm one schedule, in isolation: node-cron throws from createTask or
   * start() for an expression it cannot run, and one such row must never
   * keep the connections after it from being scheduled. It is remembered
   * as broken (and not retried until its expression changes).
   */
  private arm(name: string, connectionId: string, mode: SyncMode, expression: string): void {
    let task: ScheduledTask | undefined;
    try {
      task = cron.createTask(expression, () => this.track(this.runScheduled(connectionId, mode)), {
        name,
        noOverlap: true,
        distributed: true,
        runCoordinator: this.coordinator,
        distributedLease: this.ttlMs,
        timezone: this.options.timezone ?? 'UTC',
        logger: this.cronLogger,
      });
      void task.start();
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
    this.tasks.set(name, { expression, task });
    this.options.logger.info('schedule armed', { task: name, schedule: expression, replica: this.replicaId });
  }

  private async takeOverLapsed(): Promise<void> {
    for (const { key } of await listLapsedScheduleSlots(this.options.db)) {
      const parsed = parseKey(key);
      if (!parsed || this.stopped) continue;
      if (!(await claimScheduleSlot(this.options.db, key, parsed.connectionId, this.replicaId, this.ttlMs))) continue;
      this.options.logger.warn('taking over a scheduled sync whose replica stopped before finishing it', { slot: key });
      this.keepRenewing(key, this.ttlMs);
      void this.track(this.runScheduled(parsed.connectionId, parsed.mode).finally(() => this.complete(key)));
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
  private runScheduled(connectionId: string, mode: SyncMode): Promise<void> {
    return this.limit(async () => {
      const log = this.options.logger;
      try {
        const until = backoffUntil(await recentRunOutcomes(this.options.db, connectionId), new Date(), this.options.backoff ?? DEFAULT_BACKOFF);
        if (until) {
          log.warn('scheduled sync skipped: the connection is backing off after failed runs', { connectionId, mode, until: until.toISOString() });
          return;
        }
        const started = Date.now();
        const { status } = await this.options.runSync(connectionId, mode);
        log.info('scheduled sync finished', { connectionId, mode, status, durationMs: Date.now() - started });
      } catch (err) {
        // A failed run is recorded by the reconciler; this is for what happened around it (a lease held elsewhere, a lost database).
        log.warn('scheduled sync did not complete', { connectionId, mode, error: err });
      }
    });
  }
}
