/**
 * Reads by key that arrive together are asked together: the lookups made in
 * one turn of the event loop (many requests' "load the user first", an IdP's
 * burst of `userName eq` checks, or the answers of one batch of writes read
 * back after its COMMIT) become one query per database handle, whatever
 * connection (or tenant) asked: 50 tenants each with one request in flight
 * share a round trip as one tenant's 50 requests do. Each key is matched in
 * its own scope by the query itself. The fetch answers by the keys it was
 * given, so a key matches exactly as the query matched it (`lower()` in SQL).
 */
import { isTransaction, type ConnectionScope, type Db, type ScopedKeys } from '../../../core/store/index.js';

interface Waiter<Row> {
  resolve(row: Row | undefined): void;
  reject(reason: unknown): void;
}

interface Batch<Row> {
  scope: ConnectionScope;
  waiting: Map<string, Array<Waiter<Row>>>;
}

/** Rows by key for several scopes: one map per ask, in the order asked. */
export type ScopedFetch<Row> = (db: Db, asks: ScopedKeys[]) => Promise<Array<Map<string, Row>>>;

export class RowLoader<Row> {
  private readonly open = new Map<Db, Map<string, Batch<Row>>>();

  constructor(private readonly fetch: ScopedFetch<Row>) {}

  load(db: Db, scope: ConnectionScope, key: string): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      let byScope = this.open.get(db);
      if (!byScope) {
        byScope = new Map();
        this.open.set(db, byScope);
        // A pooled handle waits for the next turn, so that the requests read from the sockets in this
        // one join the batch. A transaction's reads (a batch's answers, asked right behind its COMMIT)
        // are all asked in one synchronous step: at the end of it the batch is whole, and asking then
        // keeps the query in COMMIT's packet.
        if (isTransaction(db)) queueMicrotask(() => this.flush(db));
        else setImmediate(() => this.flush(db));
      }
      const scopeKey = `${scope.tenantId}/${scope.connectionId}`;
      let batch = byScope.get(scopeKey);
      if (!batch) {
        batch = { scope, waiting: new Map() };
        byScope.set(scopeKey, batch);
      }
      const list = batch.waiting.get(key) ?? [];
      list.push({ resolve, reject });
      batch.waiting.set(key, list);
    });
  }

  private flush(db: Db): void {
    const batches = [...(this.open.get(db)?.values() ?? [])];
    this.open.delete(db);
    this.fetch(
      db,
      batches.map((b) => ({ scope: b.scope, keys: [...b.waiting.keys()] })),
    ).then(
      (found) =>
        batches.forEach((batch, i) => {
          for (const [key, list] of batch.waiting) for (const w of list) w.resolve(found[i]?.get(key));
        }),
      (err: unknown) => {
        for (const batch of batches) for (const list of batch.waiting.values()) for (const w of list) w.reject(err);
      },
    );
  }
}
