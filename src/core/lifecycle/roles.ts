/**
 * Roles: manual grants (admins own them; sync never touches them), role and
 * mapping definitions, and the recompute that derives IdP-mapped roles from
 * group memberships. The recompute is the only writer of `source = 'idp'`.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { NotFoundError, ValidationError } from '../errors/index.js';
import { queryRows } from '../store/index.js';
import type { ChangeOf } from './changes.js';
import { assertIds, auditInsert, count, firstRow, jsonInput, missingIds, notFound, probeByKey, type ApplyContext } from './sql.js';

type RoleChange = ChangeOf<'role.grant'> | ChangeOf<'role.revoke'>;

async function changeManualRoles(ctx: ApplyContext, changes: RoleChange[], grant: boolean): Promise<void> {
  assertIds('user id', changes.map((c) => c.userId));
  assertIds('role id', changes.map((c) => c.roleId));
  const rows = changes.map((c) => ({ user_id: c.userId, role_id: c.roleId }));
  const t = ctx.tenantId;
  const write = grant
    ? sql`insert into user_roles (user_id, role_id, tenant_id, source, granted_by)
          select v.user_id, v.role_id, ${t}::uuid, 'manual', ${ctx.actor.id ?? ctx.actor.type} from valid v
          on conflict do nothing returning user_id, role_id`
    : sql`delete from user_roles ur using valid v
          where ur.user_id = v.user_id and ur.role_id = v.role_id and ur.source = 'manual' and ur.tenant_id = ${t}::uuid
          returning ur.user_id, ur.role_id`;
  const payload = "jsonb_build_object('roleId', w.role_id, 'role', v.role_name, 'source', 'manual')";
  const result = await queryRows<{ user_id: string | null; valid: number }>(
    ctx.tx,
    sql`with input as (${jsonInput(rows, 'user_id uuid, role_id uuid')}),
    valid as (select i.user_id, i.role_id, r.name as role_name, u.connection_id from input i
      join users u on u.id = i.user_id and u.tenant_id = ${t}::uuid${probeByKey(rows.length, 'u', 'id', 'user_id')}
      join roles r on r.id = i.role_id and r.tenant_id = ${t}::uuid),
    w as (${write}),
    aud as (${auditInsert(ctx, {
      action: grant ? 'role.granted' : 'role.revoked',
      entityType: 'user',
      from: 'w join valid v on v.user_id = w.user_id and v.role_id = w.role_id',
      entityId: 'w.user_id',
      connectionId: 'v.connection_id',
      before: grant ? 'null' : payload,
      after: grant ? payload : 'null',
    })})
    select w.user_id, (select count(*) from valid)::int as valid from w
    union all select null, (select count(*) from valid)::int`,
  );
  if ((result[0]?.valid ?? 0) !== rows.length) {
    const users = await missingIds(ctx, 'users', [...new Set(changes.map((c) => c.userId))]);
    if (users.length) throw notFound('user', users);
    throw notFound('role', await missingIds(ctx, 'roles', [...new Set(changes.map((c) => c.roleId))]));
  }
  const written = result.filter((r) => r.user_id !== null).length;
  count(ctx, grant ? 'rolesGranted' : 'rolesRevoked', written);
}

export const grantRoles = (ctx: ApplyContext, changes: ChangeOf<'role.grant'>[]) => changeManualRoles(ctx, changes, true);
export const revokeRoles = (ctx: ApplyContext, changes: ChangeOf<'role.revoke'>[]) => changeManualRoles(ctx, changes, false);

export async function createRoles(ctx: ApplyContext, changes: ChangeOf<'role.create'>[]): Promise<void> {
  for (const c of changes) {
    if (typeof c.name !== 'string' || c.name.trim() === '') throw new ValidationError('role name is required');
    const id = c.id ?? randomUUID();
    assertIds('role id', [id]);
    await ctx.tx.execute(sql`with ins as (
        insert into roles (id, tenant_id, name, description) values (${id}::uuid, ${ctx.tenantId}::uuid, ${c.name.trim()}, ${c.description ?? null})
        returning *)
      ${auditInsert(ctx, { action: 'role.created', entityType: 'role', from: 'ins', entityId: 'ins.id', connectionId: 'null::uuid', before: 'null', after: 'to_jsonb(ins)' })}`);
    ctx.result.createdIds.push(id);
    count(ctx, 'rolesCreated', 1);
  }
}

export async function addMappings(ctx: ApplyContext, changes: ChangeOf<'mapping.add'>[]): Promise<void> {
  for (const c of changes) {
    assertIds('role id', [c.roleId]);
    // A mapping without a connection once matched every connection's groups, so a SCIM
    // token could create "Admins" and earn the role meant for another IdP's "Admins".
    const tenantWide = c.tenantWide === true;
    if (tenantWide === Boolean(c.connectionId)) {
      throw new ValidationError('a mapping names its connection, or is explicitly tenant-wide (one of the two)');
    }
    if (c.connectionId) assertIds('connection id', [c.connectionId]);
    if (c.match.matchBy !== 'display_name' && c.match.matchBy !== 'external_id') {
      throw new ValidationError('a mapping matches a group by display_name or external_id');
    }
    if (!c.match.groupRef?.trim()) throw new ValidationError('a mapping needs the group display name or external id');
    const id = c.id ?? randomUUID();
    const t = ctx.tenantId;
    const rows = await queryRows<{ id: string }>(
      ctx.tx,
      sql`with ins as (
        insert into group_role_mappings (id, tenant_id, connection_id, tenant_wide, match_by, group_ref, role_id)
        select ${id}::uuid, ${t}::uuid, ${c.connectionId ?? null}::uuid, ${tenantWide}, ${c.match.matchBy}, ${c.match.groupRef.trim()}, r.id
        from roles r where r.id = ${c.roleId}::uuid and r.tenant_id = ${t}::uuid
          and (${c.connectionId ?? null}::uuid is null
               or exists (select 1 from connections k where k.id = ${c.connectionId ?? null}::uuid and k.tenant_id = ${t}::uuid))
        returning *),
      aud as (${auditInsert(ctx, { action: 'mapping.added', entityType: 'mapping', from: 'ins', entityId: 'ins.id', connectionId: 'ins.connection_id', before: 'null', after: 'to_jsonb(ins)' })})
      select id from ins`,
    );
    if (!rows.length) {
      if ((await missingIds(ctx, 'roles', [c.roleId])).length) throw notFound('role', [c.roleId]);
      throw new NotFoundError(`connection ${c.connectionId} not found in this tenant`);
    }
    ctx.result.createdIds.push(id);
    ctx.recomputeAll = true;
    count(ctx, 'mappingsAdded', 1);
  }
}

export async function removeMappings(ctx: ApplyContext, changes: ChangeOf<'mapping.remove'>[]): Promise<void> {
  const ids = [...new Set(changes.map((c) => c.mappingId))];
  assertIds('mapping id', ids);
  const { n } = await firstRow<{ n: number }>(
    ctx.tx,
    sql`with del as (delete from group_role_mappings m
        where m.tenant_id = ${ctx.tenantId}::uuid and m.id in (select (value)::uuid from json_array_elements_text(${JSON.stringify(ids)}::text::json))
        returning m.*),
      aud as (${auditInsert(ctx, { action: 'mapping.removed', entityType: 'mapping', from: 'del', entityId: 'del.id', connectionId: 'del.connection_id', before: 'to_jsonb(del)', after: 'null' })})
      select count(*)::int as n from del`,
  );
  if (n !== ids.length) throw notFound('mapping', await missingIds(ctx, 'group_role_mappings', ids));
  ctx.recomputeAll = true;
  count(ctx, 'mappingsRemoved', n);
}

/**
 * Bring the IdP-mapped roles of the affected users in line with their current
 * group memberships and the tenant's mappings. Inactive users get none (that
 * is what deactivation removes and reactivation restores); manual grants are
 * a different `source` and are never read or written here.
 */
export async function recomputeIdpRoles(ctx: ApplyContext): Promise<void> {
  if (!ctx.recomputeAll && ctx.affectedUsers.size === 0) return;
  const t = ctx.tenantId;
  if (!ctx.recomputeAll && ctx.affectedUsers.size > 1000) {
    // Many users touched, and no mapping and no stale IdP role in the tenant: nothing can
    // change, and one cheap check saves recomputing them all. (A few users are probed by key.)
    const { busy } = await firstRow<{ busy: boolean }>(
      ctx.tx,
      sql`select exists (select 1 from group_role_mappings where tenant_id = ${t}::uuid)
              or exists (select 1 from user_roles where tenant_id = ${t}::uuid and source = 'idp') as busy`,
    );
    if (!busy) return;
  }
  const affected = ctx.recomputeAll
    ? sql`select id from users where tenant_id = ${t}::uuid`
    : sql`select (value)::uuid as id from json_array_elements_text(${JSON.stringify([...ctx.affectedUsers])}::text::json)`;
  // A few affected users: probe by key rather than let the planner scan the tenant (see probeByKey).
  const few = !ctx.recomputeAll && ctx.affectedUsers.size <= 1000;
  const probeUsers = few ? sql.raw(' and u.id = any(array(select id from affected))') : sql``;
  const probeRoles = few ? sql.raw(' and ur.user_id = any(array(select id from affected))') : sql``;
  const payload = "jsonb_build_object('roleId', x.role_id, 'role', r.name, 'source', 'idp')";
  const [row] = await queryRows<{ granted: number; revoked: number }>(
    ctx.tx,
    sql`with affected as (${affected}),
    desired as (
      select distinct m.user_id, grm.role_id
      from affected a
      join users u on u.id = a.id and u.tenant_id = ${t}::uuid and u.active${probeUsers}
      join group_memberships m on m.user_id = u.id
      join groups g on g.id = m.group_id
      join group_role_mappings grm on grm.tenant_id = ${t}::uuid
        and (grm.tenant_wide or grm.connection_id = g.connection_id)
        and ((grm.match_by = 'external_id' and grm.group_ref = g.external_id)
          or (grm.match_by = 'display_name' and lower(grm.group_ref) = lower(g.display_name)))
    ),
    current as (
      select ur.user_id, ur.role_id from user_roles ur join affected a on a.id = ur.user_id
      where ur.source = 'idp' and ur.tenant_id = ${t}::uuid${probeRoles}
    ),
    del as (
      delete from user_roles ur using (select * from current except select * from desired) x
      where ur.user_id = x.user_id and ur.role_id = x.role_id and ur.source = 'idp'
      returning ur.user_id, ur.role_id
    ),
    ins as (
      insert into user_roles (user_id, role_id, tenant_id, source, granted_by)
      select user_id, role_id, ${t}::uuid, 'idp', 'group-mapping' from (select * from desired except select * from current) y
      on conflict do nothing
      returning user_id, role_id
    ),
    changes as (
      select 'role.granted' as action, ins.user_id, ins.role_id from ins
      union all select 'role.revoked', del.user_id, del.role_id from del
    ),
    aud as (${auditInsert(ctx, {
      action: 'role.changed',
      actionExpr: 'x.action',
      entityType: 'user',
      from: 'changes x join roles r on r.id = x.role_id join users u on u.id = x.user_id',
      entityId: 'x.user_id',
      connectionId: 'u.connection_id',
      before: `case when x.action = 'role.revoked' then ${payload} end`,
      after: `case when x.action = 'role.granted' then ${payload} end`,
    })})
    select (select count(*) from ins)::int as granted, (select count(*) from del)::int as revoked`,
  );
  ctx.result.counts.rolesGranted += row?.granted ?? 0;
  ctx.result.counts.rolesRevoked += row?.revoked ?? 0;
  ctx.result.rowsWritten += (row?.granted ?? 0) + (row?.revoked ?? 0);
  ctx.result.auditEvents += (row?.granted ?? 0) + (row?.revoked ?? 0);
  ctx.affectedUsers.clear();
  ctx.recomputeAll = false;
}
