/**
 * Reads of one connection's users or groups as raw rows (snake_case columns,
 * with the version that SCIM's ETags carry), for the SCIM routes. Every
 * query is scoped to the connection (and tenant) in its WHERE clause: a
 * token can name another connection's id, but never see or change it.
 * Used by users.ts and groups.ts; not exported from the store on its own.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';
import { isUuid } from './ids.js';

/** The connection (and its tenant) a SCIM caller's reads are confined to. */
export interface ConnectionScope {
  tenantId: string;
  connectionId: string;
}

/** A row as SQL returns it, with its version. */
export interface VersionedRow {
  id: string;
  created_at: Date | string;
  updated_at: Date | string;
  /** updated_at in microseconds, as text: the ETag (a millisecond Date would let two writes share one). */
  version: string;
}

export interface Page<T> {
  rows: T[];
  total: number;
}

export interface ListOptions {
  /** A condition from the SCIM filter compiler (src/push/scim/filter). */
  where?: SQL | undefined;
  orderBy?: SQL | undefined;
  descending?: boolean;
  /** 0-based. */
  offset: number;
  limit: number;
}

export type ScopedTable = 'users' | 'groups';
const ALIAS: Record<ScopedTable, string> = { users: 'u', groups: 'g' };

export const versionColumn = (alias: string) => sql.raw(`(extract(epoch from ${alias}.updated_at) * 1000000)::bigint::text as version`);
export const inScope = (alias: string, scope: ConnectionScope) =>
  sql`${sql.raw(alias)}.tenant_id = ${scope.tenantId}::uuid and ${sql.raw(alias)}.connection_id = ${scope.connectionId}::uuid`;

/**
 * One index probe per asked key, whatever the planner's statistics say. The
 * keyed reads (by id, by `userName eq`) join the keys asked to the table, and
 * on a table nobody has analysed yet (a fresh database right after an IdP's
 * first push or a first pull) the planner guesses 0.5% for each of
 * `tenant_id = $1` and `connection_id = $2`: it takes the whole tenant for a
 * few dozen rows, reads it through the tenant's index and compares every row
 * with every key (at 10,000 users, 4.5 ms of database time per `userName eq`
 * instead of 20 µs: README, Benchmarks). A LATERAL subquery with
 * LIMIT is planned on its own for one key (the LIMIT keeps the planner from
 * flattening it into the join), where an equality on every column of a unique
 * index is one row by the index's definition, not by statistics: the unique
 * index wins from the first row on. The LIMIT never drops a row, since the key
 * is unique. (Analysing after large batches would also do, until the next one:
 * a plan that needs no statistics cannot go stale.)
 */
export const probe = (oneRow: SQL) => sql`${oneRow} limit 1`;

/** A page of the connection's rows, with the total count (one query; a second only past the end). */
export async function pageOf<T>(db: Db, table: ScopedTable, scope: ConnectionScope, options: ListOptions): Promise<Page<T>> {
  const alias = ALIAS[table];
  const where = options.where ? sql`${inScope(alias, scope)} and (${options.where})` : inScope(alias, scope);
  const direction = sql.raw(options.descending ? 'desc' : 'asc');
  // id breaks ties so that paging is stable whatever the sort.
  const order = options.orderBy ? sql`${options.orderBy} ${direction}, ${sql.raw(alias)}.id` : sql`${sql.raw(alias)}.id`;
  if (options.limit === 0) {
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.raw(table)} ${sql.raw(alias)} where ${where}`);
    return { rows: [], total: row!.n };
  }
  const rows = await queryRows<T & { total: number }>(
    db,
    sql`select ${sql.raw(alias)}.*, ${versionColumn(alias)}, (count(*) over ())::int as total
        from ${sql.raw(table)} ${sql.raw(alias)} where ${where}
        order by ${order} offset ${options.offset} limit ${options.limit}`,
  );
  if (rows.length === 0 && options.offset > 0) return pageOf(db, table, scope, { ...options, limit: 0 });
  return { rows, total: rows[0]?.total ?? 0 };
}

/** Keys asked in one scope: the unit of a read batched across callers (src/push/scim/service/loader.ts). */
export interface ScopedKeys {
  scope: ConnectionScope;
  keys: string[];
}

/** The keys of every scope as one document: `[{o: the scope's place, t, c, k}, ...]`. */
export function scopedKeysDocument(asks: ScopedKeys[], accept: (key: string) => boolean = () => true): { doc: string; count: number } {
  const rows = asks.flatMap((a, o) => a.keys.filter(accept).map((k) => ({ o, t: a.scope.tenantId, c: a.scope.connectionId, k })));
  return { doc: JSON.stringify(rows), count: rows.length };
}

/**
 * The rows among the ids of each scope, a map per scope in the order asked:
 * one query for many requests' reads, of one tenant or of many (each id is
 * checked against its own scope in the query).
 */
export async function rowsByIdIn<Row extends { id: string }>(db: Db, table: ScopedTable, asks: ScopedKeys[]): Promise<Array<Map<string, Row>>> {
  const out = asks.map(() => new Map<string, Row>());
  const { doc, count } = scopedKeysDocument(asks, isUuid);
  if (count === 0) return out;
  for (const { ask_, ...row } of await queryRows<Row & { ask_: number }>(db, rowsByIdInQuery(table, doc))) out[ask_]!.set(row.id, row as unknown as Row);
  return out;
}

/** The rows of this connection among `ids`, by id. */
export async function rowsById<Row extends { id: string }>(db: Db, table: ScopedTable, scope: ConnectionScope, ids: string[]): Promise<Map<string, Row>> {
  return (await rowsByIdIn<Row>(db, table, [{ scope, keys: ids }]))[0]!;
}

/** rowsById's statement for one scope (uuids only), apart so that a test can EXPLAIN it. */
export function rowsByIdQuery(table: ScopedTable, scope: ConnectionScope, ids: string[]): SQL {
  return rowsByIdInQuery(table, scopedKeysDocument([{ scope, keys: ids }]).doc);
}

/**
 * rowsByIdIn's statement over scopedKeysDocument's document. The scope is
 * checked on the row found, outside the probe: inside, a plan made while the
 * table was small (prepared statements keep one) could read the tenant's
 * index instead of the primary key.
 */
function rowsByIdInQuery(table: ScopedTable, doc: string): SQL {
  const alias = ALIAS[table];
  return sql`select k.o as ask_, r.* from json_to_recordset(${doc}::text::json) as k(o int, t uuid, c uuid, k text)
        cross join lateral (${probe(sql`select ${sql.raw(alias)}.*, ${versionColumn(alias)} from ${sql.raw(table)} ${sql.raw(alias)}
          where ${sql.raw(alias)}.id = k.k::uuid`)}) r
        where r.tenant_id = k.t and r.connection_id = k.c`;
}
