/**
 * SCIM Groups as lifecycle changes. Membership is changed by difference, never
 * by reloading a large group into memory for a PATCH: an add or remove names
 * the members it touches, and only a wholesale replace reads the current list.
 * Member ids that are not users of this connection are skipped, not fatal
 * (one stale id must not fail an IdP's whole batch).
 */
import { randomUUID } from 'node:crypto';
import { overLimit } from '../../../core/input/index.js';
import type { LifecycleChange } from '../../../core/lifecycle/index.js';
import type { Logger } from '../../../core/logging/index.js';
import { membersOf, type Db } from '../../../core/store/index.js';
import { scimErrors } from '../errors.js';
import { parsePatchRequest, planGroupPatch } from '../patch/index.js';
import { etagOf } from '../resources/common.js';
import { parseGroup, renderGroup, type GroupRowForScim } from '../resources/group.js';
import { orThrow, write, type ScimRequestContext } from './context.js';
import { checkIfMatch } from './users.js';

export interface GroupResult {
  resource: Record<string, unknown>;
  etag: string;
}

async function load(ctx: ScimRequestContext, db: Db, id: string): Promise<GroupRowForScim> {
  const row = await ctx.groupRows.load(db, ctx.scope, id);
  if (!row) throw scimErrors.notFound(`Group ${id} not found`);
  return row;
}

export async function renderGroups(ctx: ScimRequestContext, rows: GroupRowForScim[], withMembers: boolean) {
  const members = withMembers ? await membersOf(ctx.db, ctx.scope, rows.map((r) => r.id)) : undefined;
  return rows.map((row) =>
    renderGroup(
      row,
      members?.get(row.id)?.map((m) => ({ value: m.id, display: m.display, location: `${ctx.baseUrl}/Users/${m.id}` })),
      `${ctx.baseUrl}/Groups/${row.id}`,
    ),
  );
}

export async function getGroup(ctx: ScimRequestContext, id: string, withMembers: boolean): Promise<GroupResult> {
  return readGroup(ctx, ctx.db, id, withMembers);
}

/** The group and (if wanted) its members, asked for at once: on a pipelined connection, one round trip. */
async function readGroup(ctx: ScimRequestContext, db: Db, id: string, withMembers: boolean): Promise<GroupResult> {
  const [row, members] = await Promise.all([load(ctx, db, id), withMembers ? membersOf(db, ctx.scope, [id]) : undefined]);
  const resource = renderGroup(
    row,
    members?.get(row.id)?.map((m) => ({ value: m.id, display: m.display, location: `${ctx.baseUrl}/Users/${m.id}` })),
    `${ctx.baseUrl}/Groups/${row.id}`,
  );
  return { resource, etag: etagOf(row) };
}

/** The users of this connection among `ids` (read with other requests' reads), the others logged and skipped. */
async function knownMembers(ctx: ScimRequestContext, ids: string[], logger: Logger): Promise<string[]> {
  const unique = [...new Set(ids)];
  const users = await Promise.all(unique.map((userId) => ctx.userRows.load(ctx.db, ctx.scope, userId)));
  return skipUnknown(ctx, unique, unique.filter((_, i) => users[i] !== undefined), logger);
}

/** `ids` without those not in `known` (users of this connection), which are logged. */
function skipUnknown(ctx: ScimRequestContext, ids: string[], known: string[], logger: Logger): string[] {
  if (known.length < ids.length) {
    const unknown = ids.filter((id) => !known.includes(id));
    logger.warn('SCIM group change names members that are not users of this connection; skipped', {
      connectionId: ctx.scope.connectionId,
      skipped: unknown.slice(0, 10),
      count: unknown.length,
    });
  }
  return known;
}

function membershipChanges(groupId: string, add: string[], remove: string[], displays: Record<string, string> = {}): LifecycleChange[] {
  return [
    ...add.map((userId): LifecycleChange => ({ kind: 'membership.add', groupId, userId, display: displays[userId] ?? null })),
    ...remove.map((userId): LifecycleChange => ({ kind: 'membership.remove', groupId, userId })),
  ];
}

/** The adds and removes that turn the current member list into `wanted`. */
async function replaceMembers(
  ctx: ScimRequestContext,
  groupId: string,
  wanted: string[],
  displays: Record<string, string> = {},
): Promise<LifecycleChange[]> {
  const current = new Set((await membersOf(ctx.db, ctx.scope, [groupId])).get(groupId)?.map((m) => m.id));
  const target = new Set(wanted);
  return membershipChanges(
    groupId,
    wanted.filter((id) => !current.has(id)),
    [...current].filter((id) => !target.has(id)),
    displays,
  );
}

/** POST: the group and its members in one transaction, so a failure leaves no memberless group behind. */
export async function createGroup(ctx: ScimRequestContext, body: unknown, logger: Logger): Promise<GroupResult> {
  const parsed = orThrow(parseGroup(body));
  const members = await knownMembers(ctx, parsed.memberIds, logger);
  const id = randomUUID();
  const changes: LifecycleChange[] = [
    {
      kind: 'group.create',
      id,
      connectionId: ctx.scope.connectionId,
      externalId: parsed.externalId,
      displayName: parsed.displayName,
      profile: parsed.profile,
    },
    ...membershipChanges(id, members, [], parsed.memberDisplays),
  ];
  return write(ctx, changes, (db) => readGroup(ctx, db, id, true));
}

export async function replaceGroup(ctx: ScimRequestContext, id: string, body: unknown, logger: Logger, ifMatch?: string): Promise<GroupResult> {
  const row = await load(ctx, ctx.db, id);
  checkIfMatch(ifMatch, etagOf(row));
  const sentId = (body as { id?: unknown } | null)?.id;
  if (typeof sentId === 'string' && sentId !== id) throw scimErrors.mutability('"id" is read-only and does not match the URL');
  const parsed = orThrow(parseGroup(body));
  const members = await knownMembers(ctx, parsed.memberIds, logger);
  const changes: LifecycleChange[] = [
    { kind: 'group.update', groupId: id, displayName: parsed.displayName, externalId: parsed.externalId, profile: parsed.profile },
    ...(await replaceMembers(ctx, id, members, parsed.memberDisplays)),
  ];
  return write(ctx, changes, (db) => readGroup(ctx, db, id, true));
}

/** PATCH, answered with the group as it is after the change (`withMembers` false when the client excluded them). */
export async function patchGroup(
  ctx: ScimRequestContext,
  id: string,
  body: unknown,
  logger: Logger,
  options: { ifMatch?: string | undefined; withMembers: boolean },
): Promise<GroupResult> {
  const { ifMatch, withMembers } = options;
  const ops = orThrow(parsePatchRequest(body));
  const plan = orThrow(planGroupPatch(ops, { groupId: id }));
  const tooLong = overLimit('groupDisplayName', plan.displayName, 'displayName') ?? overLimit('externalId', plan.externalId);
  if (tooLong) throw scimErrors.invalidValue(tooLong);
  // The group and the members named, read together (with other requests' reads).
  const named = [...new Set([...plan.members.add, ...plan.members.remove])];
  const [row, ...users] = await Promise.all([load(ctx, ctx.db, id), ...named.map((userId) => ctx.userRows.load(ctx.db, ctx.scope, userId))]);
  checkIfMatch(ifMatch, etagOf(row));
  const known = new Set(users.flatMap((u) => (u ? [u.id] : [])));
  const changes: LifecycleChange[] = [];
  if (plan.displayName !== undefined || plan.externalId !== undefined) {
    changes.push({
      kind: 'group.update',
      groupId: id,
      ...(plan.displayName !== undefined ? { displayName: plan.displayName } : {}),
      ...(plan.externalId !== undefined ? { externalId: plan.externalId } : {}),
    });
  }
  const displays = plan.members.displays ?? {};
  if (plan.members.replaceWith) {
    changes.push(...(await replaceMembers(ctx, id, await knownMembers(ctx, plan.members.replaceWith, logger), displays)));
  }
  const adding = [...new Set(plan.members.add)];
  const add = skipUnknown(ctx, adding, adding.filter((userId) => known.has(userId)), logger);
  const remove = [...new Set(plan.members.remove)].filter((userId) => known.has(userId));
  changes.push(...membershipChanges(id, add, remove, displays));
  return write(ctx, changes, (db) => readGroup(ctx, db, id, withMembers));
}

export async function deleteGroup(ctx: ScimRequestContext, id: string, ifMatch?: string): Promise<void> {
  const row = await load(ctx, ctx.db, id);
  checkIfMatch(ifMatch, etagOf(row));
  await write(ctx, [{ kind: 'group.delete', groupId: id }], async () => undefined);
}
