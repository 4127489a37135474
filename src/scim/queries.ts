/**
 * Reads behind the SCIM routes. Every query is scoped to the caller's
 * connection (and tenant) in its WHERE clause: a token can name another
 * connection's id, but never see or change it.
 */
import { sql, type SQL } from 'drizzle-orm';
import { isUuid, queryRows, type Db } from '../store/index.js';
import type { GroupRowForScim } from './resources/group.js';
import type { UserRowForScim } from './resources/user.js';

export interface ScimScope {
  tenantId: string;
  connectionId: string;
}

const version = (alias: string) => sql.raw(`(extract(epoch from ${alias}.updated_at) * 1000000)::bigint::text as version`);
const inScope = (alias: string, scope: ScimScope) =>
  sql`${sql.raw(alias)}.tenant_id = ${scope.tenantId}::uuid and ${sql.raw(alias)}.connection_id = ${scope.connectionId}::uuid`;

export interface Page<T> {
  rows: T[];
  total: number;
}

export interface ListOptions {
  where?: SQL | undefined;
  orderBy?: SQL | undefined;
  descending?: boolean;
  /** 0-based. */
  offset: number;
  limit: number;
}

async function page<T>(db: Db, table: 'users' | 'groups', alias: string, scope: ScimScope, options: ListOptions): Promise<Page<T>> {
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
    sql`select ${sql.raw(alias)}.*, ${version(alias)}, (count(*) over ())::int as total
        from ${sql.raw(table)} ${sql.raw(alias)} where ${where}
        order by ${order} offset ${options.offset} limit ${options.limit}`,
  );
  if (rows.length === 0 && options.offset > 0) return page(db, table, alias, scope, { ...options, limit: 0 });
  return { rows, total: rows[0]?.total ?? 0 };
}

export const listUserRows = (db: Db, scope: ScimScope, options: ListOptions) => page<UserRowForScim>(db, 'users', 'u', scope, options);
export const listGroupRows = (db: Db, scope: ScimScope, options: ListOptions) => page<GroupRowForScim>(db, 'groups', 'g', scope, options);

/** The rows of this connection among `ids`, by id: one query for many requests' reads (see RowLoader). */
async function rowsById<Row extends { id: string }>(db: Db, table: 'users' | 'groups', alias: string, scope: ScimScope, ids: string[]): Promise<Map<string, Row>> {
  const candidates = ids.filter(isUuid);
  if (candidates.length === 0) return new Map();
  const rows = await queryRows<Row>(
    db,
    sql`select ${sql.raw(alias)}.*, ${version(alias)} from ${sql.raw(table)} ${sql.raw(alias)}
        where ${sql.raw(alias)}.id = any(array(select value::uuid from json_array_elements_text(${JSON.stringify(candidates)}::text::json)))
          and ${inScope(alias, scope)}`,
  );
  return new Map(rows.map((r) => [r.id, r]));
}

export const getUsersById = (db: Db, scope: ScimScope, ids: string[]) => rowsById<UserRowForScim>(db, 'users', 'u', scope, ids);
export const getGroupsById = (db: Db, scope: ScimScope, ids: string[]) => rowsById<GroupRowForScim>(db, 'groups', 'g', scope, ids);

/**
 * The users of this connection with these userNames, by the name as asked:
 * `userName eq` compares case-insensitively, with the same `lower()` as the
 * filter's SQL and the unique index.
 */
export async function getUsersByUserName(db: Db, scope: ScimScope, names: string[]): Promise<Map<string, UserRowForScim>> {
  const rows = await queryRows<UserRowForScim & { asked: string }>(
    db,
    sql`select k.asked, u.*, ${version('u')}
        from json_array_elements_text(${JSON.stringify(names)}::text::json) as k(asked)
        join users u on lower(u.user_name) = lower(k.asked) and ${inScope('u', scope)}`,
  );
  return new Map(rows.map(({ asked, ...row }) => [asked, row as UserRowForScim]));
}

/** Members of the given groups, by group id: one query for a whole page of groups. */
export async function membersOf(
  db: Db,
  scope: ScimScope,
  groupIds: string[],
): Promise<Map<string, Array<{ id: string; display: string | null }>>> {
  const result = new Map<string, Array<{ id: string; display: string | null }>>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return result;
  const rows = await queryRows<{ group_id: string; id: string; display: string | null }>(
    db,
    sql`select m.group_id, u.id, coalesce(m.display, u.display_name, u.user_name) as display
        from group_memberships m join users u on u.id = m.user_id
        where m.tenant_id = ${scope.tenantId}::uuid and u.connection_id = ${scope.connectionId}::uuid
          and m.group_id in (select value::uuid from json_array_elements_text(${JSON.stringify(groupIds)}::text::json))
        order by m.group_id, u.user_name`,
  );
  for (const r of rows) result.get(r.group_id)?.push({ id: r.id, display: r.display });
  return result;
}

/** A user of this connection with this externalId or userName: what a POST may link to. */
export async function findLinkableUser(db: Db, scope: ScimScope, externalId: string | null, userName: string): Promise<UserRowForScim | undefined> {
  const [row] = await queryRows<UserRowForScim>(
    db,
    sql`select u.*, ${version('u')} from users u
        where ${inScope('u', scope)} and (${externalId === null ? sql`false` : sql`u.external_id = ${externalId}`} or lower(u.user_name) = lower(${userName}))
        order by (u.external_id = ${externalId ?? ''}) desc limit 1`,
  );
  return row;
}
