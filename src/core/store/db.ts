/**
 * Opening the store: Postgres through postgres.js when DATABASE_URL is set,
 * otherwise embedded PGlite in a data folder. Both are drizzle `PgDatabase`s
 * over the same schema and migrations, so every query module works on both.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { ConfigError, StoreUnavailableError } from '../errors/index.js';
import { isConnectionError, pgErrorOf } from './errors.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** A database or an open transaction: query modules accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Backend = 'postgres' | 'pglite';

export interface Store {
  db: Db;
  backend: Backend;
  /** Where the data lives, for messages (a URL without password, or a folder). */
  location: string;
  /**
   * Subscribe to a NOTIFY channel. `onListening` runs each time the
   * subscription is (re)established: notifications sent while it was down
   * are lost, so a subscriber that caches should drop its cache then.
   */
  listen(channel: string, onNotify: (payload: string) => void, onListening: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  databaseUrl?: string | undefined;
  /** PGlite data folder; `memory://` (or omitted with no URL) keeps it in memory. */
  dataDir?: string | undefined;
  /** postgres.js pool size. */
  maxConnections?: number;
}

export const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../drizzle');

export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (unparseable DATABASE_URL)';
  }
}

/**
 * Ask the server once, so that a wrong or unreachable DATABASE_URL is one
 * clear line at start (`roster serve`, `roster migrate`, any command), not an
 * internal error at the first query. The URL is shown without its password.
 */
async function assertReachable(client: postgres.Sql, location: string): Promise<void> {
  try {
    await client`select 1`;
  } catch (err) {
    await client.end({ timeout: 0 }).catch(() => {});
    const code = (err as { code?: unknown }).code;
    if (isConnectionError(err)) throw new StoreUnavailableError(`cannot reach the database at ${location} (${String(code ?? 'no answer')})`, { cause: err });
    // Class 28: the server refused the login; 3D000: no such database. Both are the URL's fault.
    const pg = pgErrorOf(err);
    if (pg?.code && (pg.code.startsWith('28') || pg.code === '3D000')) {
      throw new ConfigError(`cannot open the database at ${location}: ${pg.message ?? pg.code} (${pg.code})`, { cause: err });
    }
    throw err;
  }
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const client = postgres(options.databaseUrl, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // Our bulk statements pass one JSON document per batch; nothing needs
      // postgres.js's own type transforms.
      connection: { application_name: 'roster' },
      // While the database is gone, each query waiting for a connection costs
      // one connection attempt; postgres.js's default backoff grows to 20 s
      // between attempts, so a burst queued at the outage would wait minutes
      // for its 503. Capped at a second, it is answered within seconds, and
      // the pool is back within a second of the database.
      backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 1),
      // A server that does not answer at all (a partition drops the packets) costs each such attempt
      // this long, not postgres.js's default 30 s.
      connect_timeout: 10,
    });
    const location = describeDatabaseUrl(options.databaseUrl);
    await assertReachable(client, location);
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    return {
      db,
      backend: 'postgres',
      location,
      // postgres.js keeps one extra connection for LISTEN and re-subscribes after a reconnect.
      async listen(channel, onNotify, onListening) {
        const { unlisten } = await client.listen(channel, onNotify, onListening);
        return unlisten;
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dir = options.dataDir ?? 'memory://';
  const inMemory = dir.startsWith('memory://');
  let dataFolder: string | undefined;
  if (!inMemory) {
    dataFolder = path.join(dir, 'pglite');
    mkdirSync(dataFolder, { recursive: true });
  }
  const client = new PGlite(inMemory ? dir : dataFolder);
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    backend: 'pglite',
    location: inMemory ? 'embedded (in memory)' : `embedded (${dir})`,
    // One process owns an embedded database: its notifications cannot be missed.
    async listen(channel, onNotify, onListening) {
      const unsubscribe = await client.listen(channel, onNotify);
      onListening();
      return unsubscribe;
    },
    close: () => client.close(),
  };
}

const MIGRATION_LOCK_KEY = 727_001; // pg_advisory_lock key held while migrating

/**
 * Apply pending migrations. On Postgres several replicas may start at once,
 * so the run holds an advisory lock on its own connection.
 */
export async function migrateStore(store: Store, databaseUrl?: string): Promise<void> {
  if (store.backend === 'pglite') {
    await migratePglite(store.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  if (!databaseUrl) throw new Error('migrateStore: the Postgres URL is required');
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePostgres(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_FOLDER });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** How many migrations the code ships (for readiness checks). */
export function shippedMigrationCount(): number {
  const journal = path.join(MIGRATIONS_FOLDER, 'meta/_journal.json');
  if (!existsSync(journal)) return 0;
  return (JSON.parse(readFileSync(journal, 'utf8')) as { entries: unknown[] }).entries.length;
}

/** One round trip to the database; throws when it does not answer. */
export async function pingDatabase(db: Db): Promise<void> {
  await queryRows(db, sql`select 1`);
}

/** How many migrations the database has applied; 0 before the first (drizzle's table does not exist yet). */
export async function appliedMigrationCount(db: Db): Promise<number> {
  try {
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    return Number(row?.n ?? 0);
  } catch {
    return 0;
  }
}

interface PreparingClient {
  unsafe(query: string, params: unknown[], options: { prepare: boolean }): Promise<unknown[]>;
}

/**
 * Run a raw statement and return its rows, whichever driver is underneath.
 * On Postgres the statement is prepared (drizzle's `execute` never prepares):
 * the lifecycle's and SCIM's statements have a fixed text with their data in
 * parameters, so each connection parses and plans them once, not per call.
 */
export interface QueryOptions {
  /**
   * Plan the statement with its parameters at every call (an unnamed statement), never
   * with a plan Postgres kept for the statement. After five calls Postgres may keep a
   * generic plan, costed once against the table as it was then: for a keyed read first
   * asked on an IdP's first push, an empty table, where a probe of the unique
   * (tenant, lower(userName)) index and a read of the whole tenant through
   * users_tenant_email_idx cost the same, and the kept plan went on reading the tenant
   * once it held 10,000 users (issue 15: 7 ms per `userName eq` that finds nothing).
   * It costs a parse and a plan per call, so it is for the few statements whose
   * indexes compete on a small table, and that are batched.
   */
  planEachCall?: boolean;
}

export async function queryRows<T = Record<string, unknown>>(db: Db, query: SQL, options: QueryOptions = {}): Promise<T[]> {
  const internals = db as unknown as {
    session?: { client?: Partial<PreparingClient> };
    dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } };
  };
  const client = internals.session?.client;
  if (typeof client?.unsafe === 'function') {
    const { sql: text, params } = internals.dialect.sqlToQuery(query);
    return (await (client as PreparingClient).unsafe(text, params, { prepare: options.planEachCall !== true })) as T[];
  }
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
