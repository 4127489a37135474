/**
 * SCIM writes that arrive together are applied together. An IdP pushing a
 * burst (Okta importing a directory, Entra's provisioning cycle) sends many
 * small writes at once; each alone is a transaction of a few statements, and
 * on a busy server the per-statement cost (a round trip, a parse, a flush)
 * outweighs the row written. So the writes of one caller (tenant and token)
 * that arrive while its previous batch is being applied wait for it, then go
 * to the lifecycle layer as one batch: one transaction, one bulk statement
 * per kind of change, every answer read back behind the COMMIT. The lifecycle
 * layer stays the one way in; only the grouping is new.
 *
 * A batch is all or nothing, but requests are not: when a batch fails (one
 * request named a taken userName, say), nothing of it was written, and it is
 * applied again in halves until every failing request stands alone with its
 * own error (unless the database is gone: then every request gets that 503
 * at once). With no burst, a batch is one request and costs what it did before.
 */
import { StoreUnavailableError } from '../../../core/errors/index.js';
import { applyThenRead, type ApplyOptions, type LifecycleChange } from '../../../core/lifecycle/index.js';
import type { Db } from '../../../core/store/index.js';

interface Waiting {
  /** This request's own options: its actor carries its request id. */
  options: ApplyOptions;
  changes: LifecycleChange[];
  read: (db: Db) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

interface Queue {
  options: ApplyOptions;
  waiting: Waiting[];
}

/**
 * The request of each object a batch changes, by the ids its audit events
 * name (a membership's group and user, a role grant's user). An object two
 * requests of the batch both change is named by neither (null): rare, and
 * a wrong id would be worse than none.
 */
export function requestsByObject(batch: Array<{ options: ApplyOptions; changes: LifecycleChange[] }>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const w of batch) {
    const request = w.options.actor.requestId ?? null;
    for (const c of w.changes) {
      const ids = [
        'id' in c ? c.id : undefined,
        'userId' in c ? c.userId : undefined,
        'groupId' in c ? c.groupId : undefined,
        'mappingId' in c ? c.mappingId : undefined,
      ];
      for (const id of ids) {
        if (id === undefined) continue;
        out[id] = id in out && out[id] !== request ? null : request;
      }
    }
  }
  return out;
}

/** Requests per batch at most: keeps one batch's transaction short. */
export const MAX_BATCH_REQUESTS = 100;

export class WriteCoalescer {
  /** Callers with a batch in flight; the others have nothing queued. */
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly db: Db) {}

  /** Apply `changes` for the caller, then `read` (after the commit), batched with the caller's concurrent writes. */
  apply<R>(options: ApplyOptions, changes: LifecycleChange[], read: (db: Db) => Promise<R>): Promise<R> {
    const key = JSON.stringify([options.tenantId, options.actor.type, options.actor.id ?? null, options.actor.runId ?? null]);
    return new Promise<R>((resolve, reject) => {
      const entry: Waiting = { options, changes, read, resolve: resolve as (value: unknown) => void, reject };
      const queue = this.queues.get(key);
      if (queue) {
        queue.waiting.push(entry);
        return;
      }
      const fresh: Queue = { options, waiting: [entry] };
      this.queues.set(key, fresh);
      // The next tick, so that requests parsed in this one join the first batch too.
      setImmediate(() => void this.drain(key, fresh));
    });
  }

  private async drain(key: string, queue: Queue): Promise<void> {
    try {
      while (queue.waiting.length > 0) await this.applyBatch(queue.options, queue.waiting.splice(0, MAX_BATCH_REQUESTS));
    } catch (err) {
      // applyBatch answers every request itself; should it ever throw, nobody is left waiting.
      for (const waiting of queue.waiting.splice(0)) waiting.reject(err);
    } finally {
      this.queues.delete(key);
    }
  }

  private async applyBatch(options: ApplyOptions, batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return this.applyOne(batch[0]!.options, batch[0]!);
    // One transaction for several requests: each object's events name the request that changed it.
    options = { ...options, actor: { ...options.actor, requestId: undefined, requestIds: requestsByObject(batch) } };
    let reads: PromiseSettledResult<unknown>[];
    try {
      ({ read: reads } = await applyThenRead(
        this.db,
        options,
        batch.flatMap((w) => w.changes),
        (db) => Promise.allSettled(batch.map((w) => w.read(db))),
      ));
    } catch (err) {
      // A lost database fails every request alike: halving would only try it again, once per half.
      if (err instanceof StoreUnavailableError) {
        for (const waiting of batch) waiting.reject(err);
        return;
      }
      // Nothing of the batch was written. Halve it until the failing requests stand alone with their
      // own errors (one bad request among 64 costs a dozen batches, not 64), keeping arrival order.
      const half = Math.ceil(batch.length / 2);
      await this.applyBatch(options, batch.slice(0, half));
      await this.applyBatch(options, batch.slice(half));
      return;
    }
    reads.forEach((r, i) => (r.status === 'fulfilled' ? batch[i]!.resolve(r.value) : batch[i]!.reject(r.reason)));
  }

  private async applyOne(options: ApplyOptions, waiting: Waiting): Promise<void> {
    try {
      waiting.resolve((await applyThenRead(this.db, options, waiting.changes, waiting.read)).read);
    } catch (err) {
      waiting.reject(err);
    }
  }
}
