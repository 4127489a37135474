/** Bulk handlers for groups and memberships. Membership changes queue a role recompute for the users they touch. */
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import { queryRows, schema } from '../store/index.js';
import type { ChangeOf } from './changes.js';
import { flatJsonArray } from './encode.js';
import { assertIds, auditInsert, count, firstRow, jsonInput, missingIds, notFound, PROBE_UP_TO, probeByKey, recordColumns, schemaColumns, type ApplyContext } from './sql.js';

/** A group update's input: per updatable column, whether it is set (`s_<column>`) and its value. */
const GROUP_UPDATE_COLUMNS = [
  'id uuid',
  ...schemaColumns(schema.groups, ['displayName', 'externalId', 'profile', 'sourceHash']).map(([, column, type]) => `s_${column} boolean, ${column} ${type}`),
].join(', ');

function requireDisplayName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw new ValidationError('group displayName is required');
  return name;
}

export async function createGroups(ctx: ApplyContext, changes: ChangeOf<'group.create'>[]): Promise<void> {
  assertIds('connection id', changes.map((c) => c.connectionId));
  const rows = changes.map((c, ord) => {
    const id = c.id ?? randomUUID();
    ctx.result.createdIds.push(id);
    return {
      ord,
      id,
      connection_id: c.connectionId,
      external_id: c.externalId ?? null,
      display_name: requireDisplayName(c.displayName),
      profile: c.profile ?? null,
      source_hash: c.sourceHash ?? null,
    };
  });
  assertIds('group id', rows.map((r) => r.id));
  const t = ctx.tenantId;
  const columns = `ord int, ${recordColumns(schema.groups, ['id', 'connectionId', 'externalId', 'displayName', 'profile', 'sourceHash'])}`;
  const { n } = await firstRow<{ n: number }>(
    ctx.tx,
    sql`with input as (${jsonInput(rows, columns)}),
    ins as (
      insert into groups (id, tenant_id, connection_id, external_id, display_name, profile, source_hash)
      select i.id, ${t}::uuid, i.connection_id, i.external_id, i.display_name, i.profile, i.source_hash
      from input i join connections c on c.id = i.connection_id and c.tenant_id = ${t}::uuid
      order by i.ord
      on conflict do nothing
      returning *
    ),
    aud as (${auditInsert(ctx, { action: 'group.created', entityType: 'group', from: 'ins', entityId: 'ins.id', connectionId: 'ins.connection_id', before: 'null', after: 'to_jsonb(ins)' })})
    select count(*)::int as n from ins`,
  );
  if (n !== rows.length) {
    const [problem] = await queryRows<{ display_name: string; connection_ok: boolean }>(
      ctx.tx,
      sql`with input as (${jsonInput(rows, columns)})
      select i.display_name,
        exists (select 1 from connections c where c.id = i.connection_id and c.tenant_id = ${t}::uuid) as connection_ok
      from input i where not exists (select 1 from groups g where g.id = i.id and g.tenant_id = ${t}::uuid)
      order by i.ord limit 1`,
    );
    if (problem && !problem.connection_ok) throw new NotFoundError(`connection of group "${problem.display_name}" not found in this tenant`);
    throw new ConflictError(`the id given for group "${problem?.display_name ?? '?'}" is already in use`);
  }
  count(ctx, 'groupsCreated', n);
}

/** The current members of the given groups: their roles may change with the group. */
async function queueMembers(ctx: ApplyContext, groupIds: string[]): Promise<void> {
  const rows = await queryRows<{ user_id: string }>(ctx.tx, queueMembersQuery(ctx.tenantId, groupIds));
  for (const r of rows) ctx.affectedUsers.add(r.user_id);
}

/**
 * queueMembers' statement: a range of the memberships' primary key per group
 * (OFFSET 0 keeps each apart, as membersOfQuery does), not the tenant's every
 * membership, which `group_id in (…)` read on a never-analysed table.
 */
export const queueMembersQuery = (tenantId: string, groupIds: string[]) =>
  sql`select distinct m.user_id from json_array_elements_text(${JSON.stringify(groupIds)}::text::json) as k(id)
      cross join lateral (select m.user_id from group_memberships m where m.group_id = k.id::uuid and m.tenant_id = ${tenantId}::uuid offset 0) m`;

export async function updateGroups(ctx: ApplyContext, changes: ChangeOf<'group.update'>[]): Promise<void> {
  assertIds('group id', changes.map((c) => c.groupId));
  const rows = changes.map((c) => {
    if (c.displayName !== undefined) requireDisplayName(c.displayName);
    return {
      id: c.groupId,
      s_display_name: c.displayName !== undefined,
      display_name: c.displayName ?? null,
      s_external_id: c.externalId !== undefined,
      external_id: c.externalId ?? null,
      s_profile: c.profile !== undefined,
      profile: c.profile ?? null,
      s_source_hash: c.sourceHash !== undefined,
      source_hash: c.sourceHash ?? null,
    };
  });
  const t = ctx.tenantId;
  const result = await queryRows<{ id: string | null; renamed: boolean; found: number }>(
    ctx.tx,
    sql`with input as (${jsonInput(rows, GROUP_UPDATE_COLUMNS)}),
    old as (select g.* from groups g join input i on i.id = g.id where g.tenant_id = ${t}::uuid${probeByKey(rows.length, 'g')}),
    upd as (
      update groups g set
        display_name = case when i.s_display_name then i.display_name else g.display_name end,
        external_id = case when i.s_external_id then i.external_id else g.external_id end,
        profile = case when i.s_profile then i.profile else g.profile end,
        source_hash = case when i.s_source_hash then i.source_hash else g.source_hash end,
        updated_at = now()
      from input i
      where g.id = i.id and g.tenant_id = ${t}::uuid${probeByKey(rows.length, 'g')} and (
        (i.s_display_name and g.display_name is distinct from i.display_name) or
        (i.s_external_id and g.external_id is distinct from i.external_id) or
        (i.s_profile and g.profile is distinct from i.profile) or
        (i.s_source_hash and g.source_hash is distinct from i.source_hash))
      returning g.*
    ),
    aud as (${auditInsert(ctx, { action: 'group.updated', entityType: 'group', from: 'upd join old on old.id = upd.id', entityId: 'upd.id', connectionId: 'upd.connection_id', before: 'to_jsonb(old)', after: 'to_jsonb(upd)' })})
    select upd.id, (upd.display_name <> old.display_name or upd.external_id is distinct from old.external_id) as renamed,
           (select count(distinct id) from old)::int as found
    from upd join old on old.id = upd.id
    union all select null, false, (select count(distinct id) from old)::int`,
  );
  const ids = [...new Set(changes.map((c) => c.groupId))];
  if ((result[0]?.found ?? 0) !== ids.length) throw notFound('group', await missingIds(ctx, 'groups', ids));
  const written = result.filter((r) => r.id !== null);
  // A renamed group may now match a different role mapping.
  const renamed = written.filter((r) => r.renamed).map((r) => r.id as string);
  if (renamed.length) await queueMembers(ctx, renamed);
  count(ctx, 'groupsUpdated', written.length);
}

export async function deleteGroups(ctx: ApplyContext, changes: ChangeOf<'group.delete'>[]): Promise<void> {
  const ids = [...new Set(changes.map((c) => c.groupId))];
  assertIds('group id', ids);
  await queueMembers(ctx, ids);
  const t = ctx.tenantId;
  const { n } = await firstRow<{ n: number }>(
    ctx.tx,
    sql`with input as (select (value)::uuid as id from json_array_elements_text(${JSON.stringify(ids)}::text::json)),
    del as (delete from groups g using input i where g.id = i.id and g.tenant_id = ${t}::uuid${probeByKey(ids.length, 'g')} returning g.*),
    aud as (${auditInsert(ctx, {
      action: 'group.deleted',
      entityType: 'group',
      from: 'del',
      entityId: 'del.id',
      connectionId: 'del.connection_id',
      before: `to_jsonb(del) || jsonb_build_object('memberIds',
        coalesce((select jsonb_agg(m.user_id) from group_memberships m where m.group_id = del.id), '[]'::jsonb))`,
      after: 'null',
    })})
    select count(*)::int as n from del`,
  );
  if (n !== ids.length) throw notFound('group', await missingIds(ctx, 'groups', ids));
  count(ctx, 'groupsDeleted', n);
}

type MemberChange = ChangeOf<'membership.add'> | ChangeOf<'membership.remove'>;

/**
 * Memberships per statement. A document this size (~40 bytes a membership)
 * stays under V8's large-object size (128 KB): a larger one is allocated in
 * the large-object space, which only a full collection frees, and a first
 * sync sends 500k memberships. (Measured on Postgres: as fast as 5,000.)
 */
export const MEMBERS_PER_STATEMENT = 2500;

/**
 * The changes as one compact JSON document, by group in order of first
 * appearance: `[[groupId, [userId, ...], [display, ...]?], ...]`. A chunk
 * drawn group by group names each group once, so a membership costs its user
 * id (~39 bytes; a row object with key names cost ~95). The displays are
 * there only when some change of the group has one (SCIM `members.display`).
 */
export function encodeMembers(changes: MemberChange[]): string {
  const byGroup = new Map<string, { users: string[]; displays?: Array<string | null> }>();
  for (const c of changes) {
    let g = byGroup.get(c.groupId);
    if (!g) byGroup.set(c.groupId, (g = { users: [] }));
    const display = 'display' in c ? (c.display ?? null) : null;
    if (display !== null && !g.displays) g.displays = g.users.map(() => null);
    g.users.push(c.userId);
    g.displays?.push(display);
  }
  return flatJsonArray([...byGroup].map(([groupId, g]) => (g.displays ? [groupId, g.users, g.displays] : [groupId, g.users])));
}

/** The rows of `encodeMembers`' document: group_id, user_id, display (jsonb: `->` indexes, json would re-parse the group per row). */
const membersInput = (doc: string) =>
  sql`select (g->>0)::uuid as group_id, (u.id)::uuid as user_id, (g->2)->>(u.n::int - 1) as display
      from jsonb_array_elements(${doc}::text::jsonb) g, jsonb_array_elements_text(g->1) with ordinality as u(id, n)`;

/**
 * Add or remove memberships, a statement per MEMBERS_PER_STATEMENT. The
 * statement answers with counts only (a row per membership written cost a
 * parsed row object each, 500k on a first sync); the users whose IdP roles
 * may move are the input's users, a superset of those written (a user whose
 * roles are right is left alone by the recompute).
 */
async function changeMembers(ctx: ApplyContext, changes: MemberChange[], add: boolean): Promise<void> {
  assertIds('group id', changes.map((c) => c.groupId));
  assertIds('user id', changes.map((c) => c.userId));
  for (const c of changes) ctx.affectedUsers.add(c.userId);
  for (let i = 0; i < changes.length; i += MEMBERS_PER_STATEMENT) {
    await changeMembersOnce(ctx, changes.slice(i, i + MEMBERS_PER_STATEMENT), add);
  }
}

async function changeMembersOnce(ctx: ApplyContext, changes: MemberChange[], add: boolean): Promise<void> {
  const { written, valid: validCount } = await firstRow<{ written: number; valid: number }>(ctx.tx, changeMembersStatement(ctx, changes, add));
  if (validCount !== changes.length) {
    const groups = await missingIds(ctx, 'groups', [...new Set(changes.map((c) => c.groupId))]);
    if (groups.length) throw notFound('group', groups);
    throw notFound('user', await missingIds(ctx, 'users', [...new Set(changes.map((c) => c.userId))]));
  }
  count(ctx, add ? 'membershipsAdded' : 'membershipsRemoved', written);
}

/** changeMembersOnce's statement, apart so that a test can EXPLAIN it: writes, audits, and counts the valid input. */
export function changeMembersStatement(ctx: Pick<ApplyContext, 'tenantId' | 'actor'>, changes: MemberChange[], add: boolean): SQL {
  const t = ctx.tenantId;
  // Both ends must belong to the tenant: the join enforces it, the count reports it.
  // Up to PROBE_UP_TO memberships each end is probed by key; a larger batch (a first sync) hash-joins.
  const valid = changes.length <= PROBE_UP_TO
    ? // A probe of each primary key per membership (LIMIT keeps each apart, see probe in
      // scoped-reads.ts): joined as a whole with `tenant_id = $t`, a never-analysed table
      // had the planner AND a bitmap of the tenant's every user with the ids asked. The
      // tenant is checked on the row found, outside the LIMIT: inside, a plan made while the
      // table was small (a prepared statement keeps one) could take the tenant's index instead.
      sql`select i.group_id, i.user_id, i.display, g.connection_id from input i
      cross join lateral (select g.connection_id, g.tenant_id from groups g where g.id = i.group_id limit 1) g
      cross join lateral (select u.tenant_id from users u where u.id = i.user_id limit 1) u
      where g.tenant_id = ${t}::uuid and u.tenant_id = ${t}::uuid`
    : sql`select i.group_id, i.user_id, i.display, g.connection_id from input i
      join groups g on g.id = i.group_id and g.tenant_id = ${t}::uuid
      join users u on u.id = i.user_id and u.tenant_id = ${t}::uuid`;
  const write = add
    ? sql`insert into group_memberships (group_id, user_id, tenant_id, display)
          select v.group_id, v.user_id, ${t}::uuid, v.display from valid v on conflict do nothing
          returning group_id, user_id`
    : sql`delete from group_memberships m using valid v
          where m.group_id = v.group_id and m.user_id = v.user_id and m.tenant_id = ${t}::uuid
          returning m.group_id, m.user_id, v.connection_id`;
  return sql`with input as (${membersInput(encodeMembers(changes))}),
    valid as (${valid}),
    w as (${write}),
    aud as (${auditInsert(ctx, {
      action: add ? 'membership.added' : 'membership.removed',
      entityType: 'group',
      // The group's connection from the validated input: a lookup per written row cost ~1 µs each (500k on a first sync).
      from: add ? 'w join (select distinct group_id, connection_id from valid) gc on gc.group_id = w.group_id' : 'w',
      entityId: 'w.group_id',
      connectionId: add ? 'gc.connection_id' : 'w.connection_id',
      before: add ? 'null' : "jsonb_build_object('groupId', w.group_id, 'userId', w.user_id)",
      after: add ? "jsonb_build_object('groupId', w.group_id, 'userId', w.user_id)" : 'null',
    })}),
    -- A membership change is a change of the group: its updated_at (and so its ETag) moves. The groups
    -- of w are the tenant's (valid checked each): by id alone, no tenant_id for the planner to read all
    -- of the tenant's groups by, as it did on a never-analysed table.
    touched as (update groups g set updated_at = now() where g.id in (select group_id from w))
    select (select count(*) from w)::int as written, (select count(*) from valid)::int as valid`;
}

export const addMembers = (ctx: ApplyContext, changes: ChangeOf<'membership.add'>[]) => changeMembers(ctx, changes, true);
export const removeMembers = (ctx: ApplyContext, changes: ChangeOf<'membership.remove'>[]) => changeMembers(ctx, changes, false);
