/** Bulk handlers for user changes: create, update, deactivate, reactivate, delete. */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import { queryRows, schema } from '../store/index.js';
import type { ChangeOf } from './changes.js';
import { assertIds, auditInsert, count, firstRow, jsonInput, missingIds, notFound, probeByKey, recordColumns, schemaColumns, type ApplyContext } from './sql.js';

const USER_COLUMNS = `ord int, ${recordColumns(schema.users, ['id', 'connectionId', 'externalId', 'userName', 'email', 'displayName', 'givenName', 'familyName', 'profile', 'customAttributes', 'active', 'sourceHash'])}`;

function requireUserName(userName: unknown): string {
  if (typeof userName !== 'string' || userName.trim() === '') throw new ValidationError('userName is required');
  return userName;
}

export async function createUsers(ctx: ApplyContext, changes: ChangeOf<'user.create'>[]): Promise<void> {
  assertIds('connection id', changes.map((c) => c.connectionId));
  const rows = changes.map((c, ord) => {
    const id = c.id ?? randomUUID();
    ctx.result.createdIds.push(id);
    const a = c.attributes;
    return {
      ord,
      id,
      connection_id: c.connectionId,
      external_id: c.externalId ?? null,
      user_name: requireUserName(a.userName),
      email: a.email ?? null,
      display_name: a.displayName ?? null,
      given_name: a.givenName ?? null,
      family_name: a.familyName ?? null,
      profile: a.profile ?? null,
      custom_attributes: a.customAttributes ?? null,
      active: c.active ?? true,
      source_hash: c.sourceHash ?? null,
    };
  });
  assertIds('user id', rows.map((r) => r.id));
  const t = ctx.tenantId;
  const { n } = await firstRow<{ n: number }>(
    ctx.tx,
    sql`with input as (${jsonInput(rows, USER_COLUMNS)}),
    ins as (
      insert into users (id, tenant_id, connection_id, external_id, user_name, email, display_name, given_name, family_name, profile, custom_attributes, active, source_hash, deactivated_at)
      select i.id, ${t}::uuid, i.connection_id, i.external_id, i.user_name, i.email, i.display_name, i.given_name, i.family_name, i.profile, i.custom_attributes,
             i.active, i.source_hash, case when i.active then null else now() end
      from input i join connections c on c.id = i.connection_id and c.tenant_id = ${t}::uuid
      order by i.ord
      on conflict do nothing
      returning *
    ),
    aud as (${auditInsert(ctx, { action: 'user.created', entityType: 'user', from: 'ins', entityId: 'ins.id', connectionId: 'ins.connection_id', before: 'null', after: 'to_jsonb(ins)' })})
    select count(*)::int as n from ins`,
  );
  if (n !== rows.length) throw await explainCreateConflict(ctx, rows);
  count(ctx, 'usersCreated', n);
}

/** Only on the error path: say which user could not be created, and why. */
async function explainCreateConflict(ctx: ApplyContext, rows: Array<{ id: string; connection_id: string; external_id: string | null; user_name: string }>) {
  const t = ctx.tenantId;
  const [problem] = await queryRows<{ user_name: string; why: string }>(
    ctx.tx,
    sql`with input as (${jsonInput(rows, USER_COLUMNS)})
    select i.user_name,
      case
        when not exists (select 1 from connections c where c.id = i.connection_id and c.tenant_id = ${t}::uuid) then 'connection'
        when exists (select 1 from users u where u.id = i.id and u.tenant_id = ${t}::uuid
                     and (u.user_name <> i.user_name or u.connection_id <> i.connection_id)) then 'id'
        when (select count(*) from input j where lower(j.user_name) = lower(i.user_name)) > 1 then 'batch'
        else 'userName'
      end as why
    from input i
    where not exists (select 1 from users u where u.id = i.id and u.tenant_id = ${t}::uuid and u.user_name = i.user_name and u.connection_id = i.connection_id)
       or (select count(*) from input j where lower(j.user_name) = lower(i.user_name)) > 1
    order by i.ord limit 1`,
  );
  if (!problem) return new ConflictError('some users could not be created (conflicting rows)');
  switch (problem.why) {
    case 'connection':
      return new NotFoundError(`connection of user "${problem.user_name}" not found in this tenant`);
    case 'batch':
      return new ConflictError(`userName "${problem.user_name}" appears twice in one batch`);
    case 'id':
      return new ConflictError(`the id given for user "${problem.user_name}" is already in use`);
    default:
      return new ConflictError(`userName "${problem.user_name}" is already taken in this tenant`, { details: { userName: problem.user_name } });
  }
}

/** What a user update may set, by attribute (the schema's key): its column and SQL type. */
const UPDATABLE = schemaColumns(schema.users, ['userName', 'email', 'displayName', 'givenName', 'familyName', 'externalId', 'profile', 'customAttributes', 'sourceHash']);

/**
 * The source hash is the fingerprint of the (mapped) source record: an update
 * that carries the hash already stored is unchanged by definition. Checking
 * ids and hashes first keeps an unchanged re-sync to one light statement per
 * chunk, instead of shipping and comparing every attribute.
 */
async function dropUnchangedByHash(ctx: ApplyContext, changes: ChangeOf<'user.update'>[]): Promise<ChangeOf<'user.update'>[]> {
  const pairs = changes.map((c) => ({ id: c.userId, h: c.sourceHash }));
  const rows = await queryRows<{ id: string | null; found: number }>(
    ctx.tx,
    sql`with input as (${jsonInput(pairs, 'id uuid, h text')}),
    found as (select u.id, u.source_hash, i.h from input i join users u on u.id = i.id and u.tenant_id = ${ctx.tenantId}::uuid${probeByKey(pairs.length, 'u')})
    select id, (select count(*) from found)::int as found from found where source_hash is distinct from h
    union all select null, (select count(*) from found)::int`,
  );
  if ((rows[0]?.found ?? 0) !== new Set(changes.map((c) => c.userId)).size) return changes; // let the full path report what is missing
  const changed = new Set(rows.filter((r) => r.id !== null).map((r) => r.id as string));
  return changes.filter((c) => changed.has(c.userId));
}

export async function updateUsers(ctx: ApplyContext, all: ChangeOf<'user.update'>[]): Promise<void> {
  assertIds('user id', all.map((c) => c.userId));
  // Without hashes there is nothing to ask first, and the update is issued at once (see `oneStatement`).
  const changes = all.every((c) => typeof c.sourceHash === 'string') ? await dropUnchangedByHash(ctx, all) : all;
  if (changes.length === 0) return;
  const rows = changes.map((c) => {
    const row: Record<string, unknown> = { id: c.userId };
    const given: Record<string, unknown> = { ...c.attributes, sourceHash: c.sourceHash };
    for (const [field, column] of UPDATABLE) {
      if (given[field] === undefined) continue;
      if (field === 'userName') requireUserName(given[field]);
      row[`s_${column}`] = true;
      row[column] = given[field];
    }
    return row;
  });
  const columns = ['id uuid', ...UPDATABLE.map(([, col, type]) => `s_${col} boolean, ${col} ${type}`)].join(', ');
  const setters = UPDATABLE.map(([, col]) => `${col} = case when i.s_${col} then i.${col} else u.${col} end`).join(', ');
  const differs = UPDATABLE.map(([, col]) => `(i.s_${col} is true and u.${col} is distinct from i.${col})`).join(' or ');
  const t = ctx.tenantId;
  const { found, written, audited } = await firstRow<{ found: number; written: number; audited: number }>(
    ctx.tx,
    sql`with input as (${jsonInput(rows, columns)}),
    old as (select u.* from users u join input i on i.id = u.id where u.tenant_id = ${t}::uuid${probeByKey(rows.length, 'u')}),
    upd as (
      update users u set ${sql.raw(setters)}, updated_at = now()
      from input i
      where u.id = i.id and u.tenant_id = ${t}::uuid${probeByKey(rows.length, 'u')} and (${sql.raw(differs)})
      returning u.*
    ),
    -- A change of the source hash alone (an IdP field Roster does not keep) is written but not audited.
    aud as (${auditInsert(ctx, { action: 'user.updated', entityType: 'user', from: 'upd join old on old.id = upd.id', entityId: 'upd.id', connectionId: 'upd.connection_id', before: 'to_jsonb(old)', after: 'to_jsonb(upd)' })}
      where (to_jsonb(old) - 'source_hash' - 'updated_at') <> (to_jsonb(upd) - 'source_hash' - 'updated_at')
      returning 1)
    select (select count(distinct id) from old)::int as found, (select count(*) from upd)::int as written,
           (select count(*) from aud)::int as audited`,
  );
  const distinct = new Set(changes.map((c) => c.userId)).size;
  if (found !== distinct) throw notFound('user', await missingIds(ctx, 'users', [...new Set(changes.map((c) => c.userId))]));
  count(ctx, 'usersUpdated', written, audited);
}

/** Deactivate or reactivate: flips `active`, writes the event, and queues a role recompute. */
async function setActive(
  ctx: ApplyContext,
  changes: Array<ChangeOf<'user.deactivate'> | ChangeOf<'user.reactivate'>>,
  active: boolean,
): Promise<void> {
  assertIds('user id', changes.map((c) => c.userId));
  const rows = changes.map((c) => ({ id: c.userId, reason: 'reason' in c ? (c.reason ?? null) : null }));
  const t = ctx.tenantId;
  const action = active ? 'user.reactivated' : 'user.deactivated';
  // The users to recompute: all of the input, a superset of those written (a user whose roles are
  // right is left alone), so the statement answers with counts, not a row per user.
  for (const c of changes) ctx.affectedUsers.add(c.userId);
  const { found, written } = await firstRow<{ found: number; written: number }>(
    ctx.tx,
    sql`with input as (${jsonInput(rows, 'id uuid, reason text')}),
    old as (select u.* from users u join input i on i.id = u.id where u.tenant_id = ${t}::uuid${probeByKey(rows.length, 'u')}),
    upd as (
      update users u set active = ${active}, deactivated_at = ${active ? sql`null` : sql`now()`}, updated_at = now()
      from input i
      where u.id = i.id and u.tenant_id = ${t}::uuid${probeByKey(rows.length, 'u')} and u.active = ${!active}
      returning u.*, i.reason as change_reason
    ),
    aud as (${auditInsert(ctx, { action, entityType: 'user', from: 'upd join old on old.id = upd.id', entityId: 'upd.id', connectionId: 'upd.connection_id', before: 'to_jsonb(old)', after: "to_jsonb(upd) - 'change_reason'", reason: 'upd.change_reason' })})
    select (select count(distinct id) from old)::int as found, (select count(*) from upd)::int as written`,
  );
  const ids = [...new Set(changes.map((c) => c.userId))];
  if (found !== ids.length) throw notFound('user', await missingIds(ctx, 'users', ids));
  count(ctx, active ? 'usersReactivated' : 'usersDeactivated', written);
}

export const deactivateUsers = (ctx: ApplyContext, changes: ChangeOf<'user.deactivate'>[]) => setActive(ctx, changes, false);
export const reactivateUsers = (ctx: ApplyContext, changes: ChangeOf<'user.reactivate'>[]) => setActive(ctx, changes, true);

export async function deleteUsers(ctx: ApplyContext, changes: ChangeOf<'user.delete'>[]): Promise<void> {
  const ids = [...new Set(changes.map((c) => c.userId))];
  assertIds('user id', ids);
  const t = ctx.tenantId;
  // The audit event keeps what the user had: the delete cascades to memberships and roles.
  const { n } = await firstRow<{ n: number }>(
    ctx.tx,
    sql`with input as (select (value)::uuid as id from json_array_elements_text(${JSON.stringify(ids)}::text::json)),
    del as (delete from users u using input i where u.id = i.id and u.tenant_id = ${t}::uuid${probeByKey(ids.length, 'u')} returning u.*),
    aud as (${auditInsert(ctx, {
      action: 'user.deleted',
      entityType: 'user',
      from: 'del',
      entityId: 'del.id',
      connectionId: 'del.connection_id',
      before: `to_jsonb(del) || jsonb_build_object(
        'groupIds', coalesce((select jsonb_agg(m.group_id) from group_memberships m where m.user_id = del.id), '[]'::jsonb),
        'roles', coalesce((select jsonb_agg(jsonb_build_object('roleId', ur.role_id, 'source', ur.source)) from user_roles ur where ur.user_id = del.id), '[]'::jsonb))`,
      after: 'null',
    })})
    select count(*)::int as n from del`,
  );
  if (n !== ids.length) throw notFound('user', await missingIds(ctx, 'users', ids));
  count(ctx, 'usersDeleted', n);
}
