/**
 * Planning a Group PATCH, RFC 7644 §3.5.2, without the current member list:
 * groups can have tens of thousands of members, so membership operations are
 * folded into id lists the caller applies in SQL. Member ids are returned as
 * sent; the route drops unknown ids so one stale id does not fail the request.
 *
 * Shapes handled (see test/push/scim/patch/group-patch.test.ts for the bodies):
 * - Entra ID: `Add`/`Remove` with `path: "members"` and a value array.
 * - Okta: `remove` with `members[value eq "id"]`; rename with a no-path
 *   `replace` whose value carries the group's own `id`.
 * - JumpCloud: `add` with `path: "members"`; no-path `replace` of displayName.
 * - Microsoft's reference collection: members with `displayName` instead of
 *   `display`, and bare-string member values (`"value": "string id 1"`, which
 *   it expects to succeed); both accepted.
 *
 * Attributes other than displayName, externalId and members (and the ignored
 * `schemas`/`meta` of a no-path value) are ignored: Roster keeps no other group
 * attributes, and failing an IdP's whole push over one would stall the group.
 */
import { fail, ok, scimErrors, type Result } from '../errors.js';
import { findKey, isPlainObject } from './attributes.js';
import { isClearing } from './multi-valued.js';
import { filterValueIds } from './value-filter.js';
import type { GroupPatchPlan, PatchOpKind, PatchOperation, PatchPath } from './types.js';

export interface GroupPatchOptions {
  /** The group's id: a no-path value carrying a different `id` is a mutability error. */
  groupId?: string;
}

export function planGroupPatch(ops: readonly PatchOperation[], options: GroupPatchOptions = {}): Result<GroupPatchPlan> {
  const plan: GroupPatchPlan = { members: { add: [], remove: [] } };
  for (const op of ops) {
    if (op.path === undefined) {
      for (const entry of op.entries) {
        const planned = planOne(plan, op.op, entry.path, entry.value, { ...options, fromResource: true });
        if (!planned.ok) return planned;
      }
    } else {
      const planned = planOne(plan, op.op, op.path, op.value, { ...options, fromResource: false });
      if (!planned.ok) return planned;
    }
  }
  return ok(plan);
}

function planOne(
  plan: GroupPatchPlan,
  op: PatchOpKind,
  path: PatchPath,
  value: unknown,
  ctx: GroupPatchOptions & { fromResource: boolean },
): Result<void> {
  if (path.schema !== undefined) return ok(undefined);
  const { attribute } = path;
  if (attribute === 'members') return planMembers(plan.members, op, path, value);
  if ((path.filter || path.subAttribute !== undefined) && ['displayName', 'externalId', 'id'].includes(attribute)) {
    return fail(scimErrors.invalidPath(`"${attribute}" has no sub-attributes`));
  }
  switch (attribute) {
    case 'displayName':
      if (op === 'remove' || isClearing(value)) return fail(scimErrors.invalidValue('"displayName" is required'));
      if (typeof value !== 'string') return fail(scimErrors.invalidValue('"displayName" must be a string'));
      plan.displayName = value;
      return ok(undefined);
    case 'externalId':
      if (op === 'remove' || isClearing(value)) plan.externalId = null;
      else if (typeof value === 'string') plan.externalId = value;
      else return fail(scimErrors.invalidValue('"externalId" must be a string'));
      return ok(undefined);
    case 'id':
      // Okta sends the group's own id inside its rename; an unchanged id is ignored (RFC 7643 §3.1 read-only).
      if (op !== 'remove' && (ctx.groupId === undefined || value === ctx.groupId)) return ok(undefined);
      return fail(scimErrors.mutability('"id" is read-only'));
    case 'meta':
      return ctx.fromResource ? ok(undefined) : fail(scimErrors.mutability('"meta" is read-only'));
    default:
      return ok(undefined);
  }
}

function planMembers(members: GroupPatchPlan['members'], op: PatchOpKind, path: PatchPath, value: unknown): Result<void> {
  if (path.subAttribute !== undefined) return fail(scimErrors.invalidPath(`"${path.text}": members are changed as a whole`));
  if (path.filter) {
    if (op !== 'remove') return fail(scimErrors.invalidPath(`"${path.text}": only remove takes a members filter`));
    const ids = filterValueIds(path.filter);
    if (!ids) {
      return fail(scimErrors.invalidFilter(`"${path.text}": members filters must be value eq "id" (joined by or)`));
    }
    removeMembers(members, ids);
    return ok(undefined);
  }
  if (op === 'remove' && (value === undefined || isClearing(value))) {
    // RFC 7644 §3.5.2.2: remove of "members" without a filter removes them all.
    replaceMembers(members, []);
    return ok(undefined);
  }
  const ids = memberIds(isClearing(value) ? [] : value);
  if (!ids.ok) return ids;
  const displays = op === 'remove' ? {} : memberDisplays(value);
  if (Object.keys(displays).length) Object.assign((members.displays ??= {}), displays);
  if (op === 'add') addMembers(members, ids.value);
  else if (op === 'replace') replaceMembers(members, ids.value);
  else removeMembers(members, ids.value);
  return ok(undefined);
}

/** Ids from `[{"value": "id", "display"|"displayName": ...}]`, a single such object, or bare strings. */
function memberIds(value: unknown): Result<string[]> {
  const ids: string[] = [];
  for (const item of Array.isArray(value) ? value : [value]) {
    const key = isPlainObject(item) ? findKey(item, 'value') : undefined;
    const id = typeof item === 'string' ? item : isPlainObject(item) && key !== undefined ? item[key] : undefined;
    if (typeof id !== 'string' || id === '') {
      return fail(scimErrors.invalidValue(`a member must be an object with a string "value", got ${JSON.stringify(item)}`));
    }
    ids.push(id);
  }
  return ok(ids);
}

/** `display` (RFC 7643) or `displayName` (as Microsoft's reference client sends it) of each member object. */
function memberDisplays(value: unknown): Record<string, string> {
  const displays: Record<string, string> = {};
  for (const item of Array.isArray(value) ? value : [value]) {
    if (!isPlainObject(item)) continue;
    const id = item[findKey(item, 'value') ?? ''];
    const display = item[findKey(item, 'display') ?? findKey(item, 'displayName') ?? ''];
    if (typeof id === 'string' && typeof display === 'string' && display !== '') displays[id] = display;
  }
  return displays;
}

const unique = (ids: string[]) => [...new Set(ids)];

function addMembers(members: GroupPatchPlan['members'], ids: string[]): void {
  if (members.replaceWith) {
    members.replaceWith = unique([...members.replaceWith, ...ids]);
    return;
  }
  members.remove = members.remove.filter((id) => !ids.includes(id));
  members.add = unique([...members.add, ...ids]);
}

function removeMembers(members: GroupPatchPlan['members'], ids: string[]): void {
  if (members.replaceWith) {
    members.replaceWith = members.replaceWith.filter((id) => !ids.includes(id));
    return;
  }
  members.add = members.add.filter((id) => !ids.includes(id));
  members.remove = unique([...members.remove, ...ids]);
}

function replaceMembers(members: GroupPatchPlan['members'], ids: string[]): void {
  members.replaceWith = unique(ids);
  members.add = [];
  members.remove = [];
}
