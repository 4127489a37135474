/**
 * Transactions with fewer round trips. A small write (one SCIM PATCH) is
 * mostly waiting on the wire: BEGIN, the statement, COMMIT and the read that
 * renders the answer are four round trips for one row, and on a busy server
 * each socket write costs more than the statement itself. On Postgres this
 * sends BEGIN in the same packet as the transaction's first statement, and
 * COMMIT in the same packet as an optional read of the result (which runs
 * after the commit, on the same connection, so it sees it). PGlite and
 * nested transactions take drizzle's ordinary path: there is no wire there.
 *
 * A caller whose statements each write all or nothing, and whose checks of
 * their results never need a rollback, can let COMMIT go right behind its
 * statements (`commitAhead`): BEGIN, the statements, COMMIT and the read then
 * travel as one packet. A failed statement still aborts the transaction (its
 * COMMIT then rolls back); a check that fails afterwards finds nothing written.
 * A single statement is atomic by itself (`oneStatement`): it goes without
 * BEGIN and COMMIT, and the read right behind it.
 */
import { PgTransaction } from 'drizzle-orm/pg-core';
import { PostgresJsSession, PostgresJsTransaction } from 'drizzle-orm/postgres-js/session';
import { StoreUnavailableError } from '../errors/index.js';
import type { Db } from './db.js';
import { isConnectionError } from './errors.js';

/** What the postgres.js pool offers that this module uses. */
interface PendingQuery extends Promise<unknown> {
  execute(): PendingQuery;
}
interface QueryOptions {
  prepare?: boolean;
  /** Called with the pool's connection object when the statement is written to it. */
  onexecute?: (connection: PoolConnection) => boolean;
}
interface ReservedClient {
  unsafe(query: string, params?: unknown[], options?: QueryOptions): PendingQuery;
  release(): void;
}
interface PoolClient {
  reserve(): Promise<ReservedClient>;
}
/** postgres.js calls a connection's `onclose` once, when its socket closes. */
interface PoolConnection {
  onclose?: ((err: unknown) => void) | null;
}

export interface TransactionOptions<R> {
  /** A read to run right after COMMIT, sent with it; its result is returned as `read`. */
  readAfterCommit?: (db: Db) => Promise<R>;
  /**
   * Send COMMIT as soon as `work` has issued its statements, without waiting
   * for their answers. Only for work whose statements are all issued when it
   * is called (before its first await), each writing all or nothing, and
   * whose later checks would find nothing written when they fail.
   */
  commitAhead?: boolean;
  /**
   * `work` is one statement, issued when it is called, that writes all or
   * nothing (whatever it runs after that only reads): it needs no BEGIN and
   * COMMIT, and the read goes right behind it.
   */
  oneStatement?: boolean;
}

export interface TransactionResult<T, R> {
  value: T;
  read: R | undefined;
  /** True when statements were pipelined on one Postgres connection (callers may pipeline too). */
  pipelined: boolean;
}

/** `db` is an open transaction, not the database (its statements all go to one connection, in order). */
export function isTransaction(db: Db): boolean {
  return db instanceof PgTransaction;
}

function poolClientOf(db: Db): PoolClient | undefined {
  if (isTransaction(db)) return undefined;
  const session = (db as unknown as { session?: unknown }).session;
  if (!(session instanceof PostgresJsSession)) return undefined;
  const client = (session as unknown as { client: Partial<PoolClient> }).client;
  return typeof client.reserve === 'function' ? (client as PoolClient) : undefined;
}

/**
 * A reserved connection that knows when it is lost. postgres.js does not
 * stop a reserved handle from writing to a connection whose socket has
 * closed: the write fails in a timer, out of reach of any catch, and ends
 * the process (`Cannot read properties of null (reading 'write')`). Worse,
 * the pool may already have reconnected that connection for other queries,
 * so a late statement would run outside this transaction, and a late
 * release would hand a dead connection back to the pool. So once the socket
 * closed (postgres.js's `onclose`, hooked on the first statement written) or
 * a statement failed for want of a connection, nothing more is sent on it
 * and it is not released: the pool already took it back when it closed.
 */
class GuardedConnection {
  private connection: PoolConnection | undefined;
  private lostWith: unknown;
  private readonly hook = (connection: PoolConnection): boolean => {
    if (!this.connection) {
      this.connection = connection;
      connection.onclose = (err) => (this.lostWith ??= err ?? new Error('connection closed'));
    }
    return true;
  };

  constructor(private readonly reserved: ReservedClient) {}

  get lost(): boolean {
    return this.lostWith !== undefined;
  }

  /** Note a statement's failure: one for want of a connection means the connection is gone. */
  observe(err: unknown): void {
    if (isConnectionError(err)) this.lostWith ??= err;
  }

  /** Start sending `query` now (postgres.js queries are lazy); refused once the connection is lost. */
  unsafe(query: string, params?: unknown[], options: QueryOptions = {}): PendingQuery {
    if (this.lostWith !== undefined) throw new StoreUnavailableError('the database connection was lost during the transaction', { cause: this.lostWith });
    const pending = this.reserved.unsafe(query, params ?? [], { ...options, onexecute: this.hook }).execute();
    pending.then(undefined, (err: unknown) => this.observe(err));
    return pending;
  }

  release(): void {
    if (this.connection?.onclose) this.connection.onclose = null;
    if (this.lostWith === undefined) this.reserved.release();
  }
}

/** Send a statement of our own (BEGIN, COMMIT, ROLLBACK) without an unhandled rejection if nobody awaits it yet. */
function send(connection: GuardedConnection, query: string): Promise<unknown> {
  try {
    const pending = connection.unsafe(query);
    pending.catch(() => {});
    return pending;
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * The reserved connection as the transaction's statements see it: each
 * statement starts the moment it is created, so statements run in the order
 * they were written, wherever they are awaited, and none can slip behind an
 * early COMMIT. `issued` counts them.
 */
function eager(connection: GuardedConnection): { client: ReservedClient; issued: () => number } {
  let issued = 0;
  const client: ReservedClient = {
    unsafe(query, params, options) {
      issued++;
      return connection.unsafe(query, params, options);
    },
    release: () => connection.release(),
  };
  return { client, issued: () => issued };
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
  const reserved = new GuardedConnection(await pool.reserve());
  try {
    const statements = eager(reserved);
    const session = new PostgresJsSession(statements.client as never, outer.dialect, outer.schema, outer.options);
    const tx = new PostgresJsTransaction(outer.dialect, session, outer.schema) as unknown as Db;
    const alone = options.oneStatement === true;
    const begin = alone ? Promise.resolve() : send(reserved, 'begin');
    let commit: Promise<unknown> | undefined;
    let reading: Promise<R> | undefined;
    // The read is issued in the same tick as COMMIT, so it travels in the same packet and runs after it.
    const commitAndRead = () => {
      commit = alone ? Promise.resolve() : send(reserved, 'commit');
      reading = options.readAfterCommit?.(tx);
      reading?.catch(() => {});
    };
    let value: T;
    try {
      const working = work(tx, true);
      const issued = statements.issued();
      if (alone && issued > 1) {
        // A caller broke the contract (a bug, not bad input): let its statements finish, then say so.
        await working.catch(() => {});
        throw new Error(`inTransaction: oneStatement work issued ${issued} statements at once`);
      }
      if ((options.commitAhead || alone) && issued > 0) commitAndRead();
      value = await working;
      await begin;
    } catch (err) {
      // A failed BEGIN explains everything after it; otherwise report the statement's own error.
      const beginError = await begin.then(
        () => undefined,
        (e: unknown) => e,
      );
      // An early COMMIT has already ended the transaction (as a rollback, if a statement failed).
      if (commit || alone) await Promise.allSettled([commit, reading]);
      // A lost connection needs no ROLLBACK: the server ends the transaction with the session.
      else if (!reserved.lost) await send(reserved, 'rollback').catch(() => {});
      throw beginError ?? err;
    }
    if (!commit) commitAndRead();
    await commit;
    const read = reading ? await reading : undefined;
    return { value, read, pipelined: true };
  } finally {
    reserved.release();
  }
}
