/**
 * Transactions with fewer round trips. A small write (one SCIM PATCH) is
 * mostly waiting on the wire: BEGIN, the statement, COMMIT and the read that
 * renders the answer are four round trips for one row, and on a busy server
 * each socket write costs more than the statement itself. On Postgres this
 * sends BEGIN in the same packet as the transaction's first statement, and
 * COMMIT in the same packet as an optional read of the result (which runs
 * after the commit, on the same connection, so it sees it). PGlite and
 * nested transactions take drizzle's ordinary path: there is no wire there.
 */
import { PgTransaction } from 'drizzle-orm/pg-core';
import { PostgresJsSession, PostgresJsTransaction } from 'drizzle-orm/postgres-js/session';
import type { Db } from './db.js';

/** What the postgres.js pool offers that this module uses. */
interface PendingQuery extends Promise<unknown> {
  execute(): PendingQuery;
}
interface ReservedClient {
  unsafe(query: string): PendingQuery;
  release(): void;
}
interface PoolClient {
  reserve(): Promise<ReservedClient>;
}

export interface TransactionOptions<R> {
  /** A read to run right after COMMIT, sent with it; its result is returned as `read`. */
  readAfterCommit?: (db: Db) => Promise<R>;
}

export interface TransactionResult<T, R> {
  value: T;
  read: R | undefined;
  /** True when statements were pipelined on one Postgres connection (callers may pipeline too). */
  pipelined: boolean;
}

function poolClientOf(db: Db): PoolClient | undefined {
  if (db instanceof PgTransaction) return undefined;
  const session = (db as unknown as { session?: unknown }).session;
  if (!(session instanceof PostgresJsSession)) return undefined;
  const client = (session as unknown as { client: Partial<PoolClient> }).client;
  return typeof client.reserve === 'function' ? (client as PoolClient) : undefined;
}

/** Start sending `query` now (postgres.js queries are lazy) without an unhandled rejection if nobody awaits it yet. */
function send(client: ReservedClient, query: string): PendingQuery {
  const pending = client.unsafe(query).execute();
  pending.catch(() => {});
  return pending;
}

/**
 * Run `work` in a transaction; all or nothing. `work` must issue its first
 * statement before its first `await` of anything else for BEGIN to share its
 * packet (it is correct either way, only slower).
 */
export async function inTransaction<T, R = never>(
  db: Db,
  work: (tx: Db, pipelined: boolean) => Promise<T>,
  options: TransactionOptions<R> = {},
): Promise<TransactionResult<T, R>> {
  const pool = poolClientOf(db);
  if (!pool) {
    const value = await db.transaction((tx) => work(tx as unknown as Db, false));
    const read = options.readAfterCommit ? await options.readAfterCommit(db) : undefined;
    return { value, read, pipelined: false };
  }
  const outer = (db as unknown as { session: { dialect: never; schema: never; options: never } }).session;
  const reserved = await pool.reserve();
  try {
    const session = new PostgresJsSession(reserved as never, outer.dialect, outer.schema, outer.options);
    const tx = new PostgresJsTransaction(outer.dialect, session, outer.schema) as unknown as Db;
    const begin = send(reserved, 'begin');
    let value: T;
    try {
      value = await work(tx, true);
      await begin;
    } catch (err) {
      // A failed BEGIN explains everything after it; otherwise report the statement's own error.
      const beginError = await begin.then(
        () => undefined,
        (e: unknown) => e,
      );
      await send(reserved, 'rollback').catch(() => {});
      throw beginError ?? err;
    }
    const commit = send(reserved, 'commit');
    // Issued in the same tick as COMMIT, so it travels in the same packet and runs after it.
    const reading = options.readAfterCommit?.(tx);
    reading?.catch(() => {});
    await commit;
    const read = reading ? await reading : undefined;
    return { value, read, pipelined: true };
  } finally {
    reserved.release();
  }
}
