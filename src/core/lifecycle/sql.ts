/**
 * Building blocks of the lifecycle's bulk statements. A run of same-kind
 * changes travels to the database as one JSON document (one parameter,
 * whatever the batch size), is unpacked with json_to_recordset, and the
 * change and its audit events are written by one statement.
 */
import { getTableColumns, sql, type Column, type SQL, type Table } from 'drizzle-orm';
import { isUuid, queryRows, type Db } from '../store/index.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { ApplyCounts, ApplyResult, Actor } from './changes.js';

export interface ApplyContext {
  tx: Db;
  tenantId: string;
  actor: Actor;
  result: ApplyResult;
  /** Users whose IdP-mapped roles must be recomputed before the transaction ends. */
  affectedUsers: Set<string>;
  /** A mapping changed: recompute every user of the tenant. */
  recomputeAll: boolean;
}

/** Rows per statement: large enough to amortise the round trip, small enough to keep JSON documents modest. */
export const CHUNK_SIZE = 5000;

export function chunks<T>(items: T[], size = CHUNK_SIZE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Up to this many rows, a batch probes its keys one by one; a larger one hash-joins (see probeByKey). */
export const PROBE_UP_TO = 1000;

/**
 * For a small batch, `AND <alias>.<column> = ANY(ARRAY(SELECT ... FROM input))`: the
 * planner guesses 100 rows for any json_to_recordset and would rather scan a
 * tenant's rows than probe the primary key; the array makes it probe. A large
 * batch keeps the hash join, which is faster there.
 */
export function probeByKey(rowCount: number, alias: string, column = 'id', inputColumn = 'id'): SQL {
  if (rowCount > PROBE_UP_TO) return sql``;
  return sql.raw(` and ${alias}.${column} = any(array(select ${inputColumn} from input))`);
}

/** Columns of a table as the schema declares them (src/core/store/schema.ts): `[key, column name, SQL type]`. */
export function schemaColumns<T extends Table>(table: T, keys: ReadonlyArray<keyof T['_']['columns'] & string>): Array<[key: string, column: string, type: string]> {
  const columns: Record<string, Column> = getTableColumns(table);
  return keys.map((key) => [key, columns[key]!.name, columns[key]!.getSQLType()]);
}

/** `column type, ...`: a json_to_recordset column list of these schema columns, so no column's type is written twice. */
export function recordColumns<T extends Table>(table: T, keys: ReadonlyArray<keyof T['_']['columns'] & string>): string {
  return schemaColumns(table, keys)
    .map(([, column, type]) => `${column} ${type}`)
    .join(', ');
}

/** `json_to_recordset($1) AS i(columns)` over the given rows. */
export function jsonInput(rows: unknown[], columns: string): SQL {
  return sql`select * from json_to_recordset(${JSON.stringify(rows)}::text::json) as i(${sql.raw(columns)})`;
}

export interface AuditSpec {
  action: string;
  /** A SQL expression giving the action per row, instead of the constant `action`. */
  actionExpr?: string;
  entityType: 'user' | 'group' | 'role' | 'mapping';
  /** FROM clause naming the CTE(s) the events come from. */
  from: string;
  entityId: string;
  connectionId: string;
  before: string;
  after: string;
  reason?: string;
}

/** `INSERT INTO audit_events ... SELECT ...` for use as a data-modifying CTE. */
export function auditInsert(ctx: Pick<ApplyContext, 'tenantId' | 'actor'>, spec: AuditSpec): SQL {
  return sql`insert into audit_events
      (tenant_id, connection_id, action, entity_type, entity_id, actor_type, actor_id, run_id, request_id, reason, before, after)
    select ${ctx.tenantId}::uuid, ${sql.raw(spec.connectionId)}, ${spec.actionExpr ? sql.raw(spec.actionExpr) : spec.action}, ${spec.entityType},
      ${sql.raw(spec.entityId)}::text, ${ctx.actor.type}, ${ctx.actor.id ?? null}::text, ${ctx.actor.runId ?? null}::uuid, ${requestIdOf(ctx.actor, spec.entityId)},
      ${sql.raw(spec.reason ?? 'null')}::text, ${sql.raw(spec.before)}, ${sql.raw(spec.after)}
    from ${sql.raw(spec.from)}`;
}

/** The request id column of an event: the actor's, or the one its object's request had (Actor.requestIds). */
function requestIdOf(actor: Actor, entityId: string): SQL {
  if (!actor.requestIds) return sql`${actor.requestId ?? null}::text`;
  return sql`coalesce(${JSON.stringify(actor.requestIds)}::jsonb ->> (${sql.raw(entityId)})::text, ${actor.requestId ?? null}::text)`;
}

export async function firstRow<T>(db: Db, query: SQL): Promise<T> {
  const rows = await queryRows<T>(db, query);
  if (!rows[0]) throw new Error('statement returned no row');
  return rows[0];
}

export function count(ctx: ApplyContext, key: keyof ApplyCounts, written: number, audited = written): void {
  ctx.result.counts[key] += written;
  ctx.result.rowsWritten += written;
  ctx.result.auditEvents += audited;
}

export function notFound(what: string, ids: string[]): NotFoundError {
  const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? ` and ${ids.length - 5} more` : '');
  return new NotFoundError(`${what} not found in this tenant: ${shown}`, { details: { ids: ids.slice(0, 100) } });
}

/** Ids of `wanted` that have no row in `table` within the tenant. */
export async function missingIds(ctx: ApplyContext, table: 'users' | 'groups' | 'roles' | 'group_role_mappings', wanted: string[]): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    ctx.tx,
    sql`select w.id from json_array_elements_text(${JSON.stringify(wanted)}::text::json) as w(id)
        where not exists (select 1 from ${sql.raw(table)} t where t.id::text = w.id and t.tenant_id = ${ctx.tenantId}::uuid)`,
  );
  return rows.map((r) => r.id);
}

/** Ids are checked before they reach SQL, so a typo is a clear 400, not a cast error. */
export function assertIds(what: string, ids: Iterable<string>): void {
  for (const id of ids) {
    if (typeof id !== 'string' || !isUuid(id)) throw new ValidationError(`${what} "${String(id)}" is not a valid id`);
  }
}
