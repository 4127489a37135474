/**
 * The sync lease: one sync of a connection at a time, across replicas.
 *
 * The lease is short (60 s by default, ROSTER_SYNC_LEASE_SECONDS) and a
 * heartbeat renews it while the sync runs, during the listing and while the
 * plan applies, so a holder that died (kill -9, a lost machine) blocks the
 * connection for at most that long, and a holder that lives never loses it.
 *
 * A holder that cannot renew (the database is gone, or another replica took
 * the lapsed lease) must stop: before each apply transaction it renews the
 * lease in the database, and refuses to apply when that fails. The lease is
 * checked before every chunk, so two applies of one connection could only
 * overlap if one chunk outlived the whole TTL while its holder was cut off.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConflictError, NotFoundError, StoreUnavailableError, type RosterError } from '../../core/errors/index.js';
import type { Logger } from '../../core/logging/index.js';
import { acquireLease, failInterruptedRuns, findConnectionById, releaseLease, type ConnectionRow, type Db } from '../../core/store/index.js';

export const DEFAULT_SYNC_LEASE_MS = 60_000;

export interface HeldLease {
  /**
   * Throws when the lease is no longer surely ours: a ConflictError (409) when another sync
   * took it over, a StoreUnavailableError (503) when it could not be renewed for half its TTL.
   */
  assertHeld(): void;
  /** Renew in the database now (before an apply transaction); throws as assertHeld does. */
  confirm(): Promise<void>;
  /**
   * A write that failed because the database is gone (finishing the run as failed): retried,
   * with the lease's release after it, until the database answers again.
   */
  whenReachable(write: () => Promise<unknown>): void;
}

/** How long a surviving holder keeps retrying its last writes, and how often. */
const SETTLE_FOR_MS = 10 * 60_000;
const SETTLE_EVERY_MS = 2000;

const newOwner = () => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

class Lease implements HeldLease {
  private readonly owner = newOwner();
  /** When the last successful renewal was sent: the lease is ours until at least this + TTL. */
  private confirmedAt = performance.now();
  private lost: RosterError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private readonly unsettled: Array<() => Promise<unknown>> = [];

  constructor(
    private readonly db: Db,
    private readonly connectionId: string,
    private readonly label: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  async acquire(): Promise<boolean> {
    const sentAt = performance.now();
    if (!(await acquireLease(this.db, this.connectionId, this.owner, this.ttlMs))) return false;
    this.confirmedAt = sentAt;
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.ttlMs / 4)));
    this.timer.unref();
    return true;
  }

  private renew(): Promise<void> {
    this.renewing ??= (async () => {
      const sentAt = performance.now();
      try {
        if (await acquireLease(this.db, this.connectionId, this.owner, this.ttlMs)) this.confirmedAt = sentAt;
        else this.lost ??= this.takenOver();
      } catch (err) {
        // The database may come back before the lease lapses; assertHeld decides when to give up.
        this.logger.debug('sync lease renewal failed', { connection: this.label, error: err });
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  private takenOver(): RosterError {
    return new ConflictError(`lost the sync lease of ${this.label}: another sync took it over after it lapsed; this sync stopped`);
  }

  assertHeld(): void {
    const silentFor = performance.now() - this.confirmedAt;
    if (!this.lost && silentFor >= this.ttlMs / 2) {
      this.lost = new StoreUnavailableError(
        `lost the sync lease of ${this.label}: it could not be renewed for ${Math.round(silentFor / 1000)} s (the database is unreachable); this sync stopped`,
      );
    }
    if (this.lost) throw this.lost;
  }

  async confirm(): Promise<void> {
    this.assertHeld();
    await this.renewing;
    const sentAt = performance.now();
    if (await acquireLease(this.db, this.connectionId, this.owner, this.ttlMs)) this.confirmedAt = sentAt;
    else this.lost ??= this.takenOver();
    this.assertHeld();
  }

  whenReachable(write: () => Promise<unknown>): void {
    this.unsettled.push(write);
  }

  /**
   * Write what is left, then release. When the database is gone, that is
   * retried in the background: the lease would lapse by itself within its
   * TTL, but the run would show `running` until the next sync of the connection.
   */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
    this.unsettled.push(() => releaseLease(this.db, this.connectionId, this.owner));
    if (await this.settle()) return;
    const deadline = performance.now() + SETTLE_FOR_MS;
    const retry = async () => {
      if ((await this.settle()) || performance.now() > deadline) return;
      setTimeout(() => void retry(), SETTLE_EVERY_MS).unref();
    };
    setTimeout(() => void retry(), SETTLE_EVERY_MS).unref();
  }

  /** Run the pending writes in order; false when one failed (it stays first in line). */
  private async settle(): Promise<boolean> {
    while (this.unsettled.length > 0) {
      try {
        await this.unsettled[0]!();
      } catch (err) {
        this.logger.debug('sync: a write after the run waits for the database', { connection: this.label, error: err });
        return false;
      }
      this.unsettled.shift();
    }
    return true;
  }
}

export interface LeaseDeps {
  db: Db;
  logger: Logger;
}

/**
 * Run `body` holding the connection's lease, with the connection as it is
 * now (read after the lease: a run that just finished may have moved the
 * cursor). Runs a dead holder left `running` are marked failed first.
 */
export async function withLease<T>(
  deps: LeaseDeps,
  connection: ConnectionRow,
  label: string,
  ttlMs: number,
  body: (current: ConnectionRow, lease: HeldLease) => Promise<T>,
): Promise<T> {
  const lease = new Lease(deps.db, connection.id, label, ttlMs, deps.logger);
  if (!(await lease.acquire())) throw new ConflictError(`a sync of ${label} is already running`);
  try {
    const current = await findConnectionById(deps.db, connection.id);
    if (!current) throw new NotFoundError(`connection ${label} no longer exists`);
    await failInterruptedRuns(deps.db, current.tenantId, current.id);
    return await body(current, lease);
  } finally {
    await lease.release();
  }
}
