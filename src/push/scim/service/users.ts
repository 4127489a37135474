/**
 * SCIM Users as lifecycle changes. The routes parse and format; this module
 * decides what a POST, PUT, PATCH or DELETE means and hands the lifecycle
 * layer typed changes, so deactivation over SCIM follows the same rules as
 * deactivation by sync.
 */
import { randomUUID } from 'node:crypto';
import type { LifecycleChange } from '../../../core/lifecycle/index.js';
import { evaluateMapping } from '../../../core/mapping/index.js';
import { findLinkableUser, type Db } from '../../../core/store/index.js';
import { scimErrors } from '../errors.js';
import { applyUserPatch, parsePatchRequest, type ScimUser as PatchableUser } from '../patch/index.js';
import { etagOf } from '../resources/common.js';
import { parseUser, renderUser, type ParsedUser, type ScimUser, type UserRowForScim } from '../resources/user.js';
import { orThrow, write, type ScimRequestContext } from './context.js';
import { isProviderKind } from '../../../pull/providers/index.js';

export interface UserResult {
  resource: ScimUser;
  etag: string;
  /** True when a POST created the user (201), false when it linked an existing one. */
  created?: boolean;
}

function render(ctx: ScimRequestContext, row: UserRowForScim): UserResult {
  return { resource: renderUser(row, `${ctx.baseUrl}/Users/${row.id}`), etag: etagOf(row) };
}

async function load(ctx: ScimRequestContext, db: Db, id: string): Promise<UserRowForScim> {
  const row = await ctx.userRows.load(db, ctx.scope, id);
  if (!row) throw scimErrors.notFound(`User ${id} not found`);
  return row;
}

/** Apply the changes and read the user back in the same round trip as the commit. */
async function applyAndLoad(ctx: ScimRequestContext, id: string, changes: LifecycleChange[]): Promise<UserRowForScim> {
  return write(ctx, changes, (db) => load(ctx, db, id));
}

/** RFC 7644 §3.14: a write with If-Match applies only to the version the client saw. */
export function checkIfMatch(ifMatch: string | undefined, etag: string): void {
  if (!ifMatch) return;
  const accepted = ifMatch.split(',').map((s) => s.trim());
  if (!accepted.includes('*') && !accepted.includes(etag)) {
    throw scimErrors.preconditionFailed(`the resource has changed (version ${etag}); fetch it again`);
  }
}

/** JSON with object keys sorted, so two equal documents compare equal whatever their key order (as jsonb does). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/**
 * Whether storing `parsed` would change `row`. The comparison is with the row
 * as a client sees it, parsed the same way: rendering fills `emails` and
 * `name` from the columns, so a PATCH that only flips `active` compares equal
 * and costs no update statement.
 */
function attributesDiffer(row: UserRowForScim, parsed: ParsedUser): boolean {
  if (parsed.attributes.customAttributes !== undefined && canonicalJson(row.custom_attributes ?? null) !== canonicalJson(parsed.attributes.customAttributes)) return true;
  const current = parseUser(renderUser(row, ''));
  if (!current.ok) return true;
  return canonicalJson({ ...current.value, active: null, activeSent: null }) !== canonicalJson({ ...parsed, active: null, activeSent: null });
}

/**
 * The connection's attribute expressions over the User as the client sent it
 * (a PATCH: as it is after the operations), enterprise and custom schema
 * attributes included: the fields they name replace the parsed ones, and the
 * named custom attributes are set. A userName that comes out empty keeps the
 * one sent. Without expressions (or on a pull connection), `parsed` as it is.
 */
async function withExpressions(ctx: ScimRequestContext, parsed: ParsedUser, resource: unknown): Promise<ParsedUser> {
  // A pull connection's expressions read its IdP's API record, not a SCIM User: a push to it
  // (scimPush) leaves the custom attributes and fields the pull computed alone.
  if (!ctx.mapping || isProviderKind(ctx.connectionKind)) return parsed;
  const result = await evaluateMapping(ctx.mapping, resource);
  const attributes = { ...parsed.attributes };
  for (const [field, value] of Object.entries(result.fields)) {
    if (field === 'userName') attributes.userName = value ?? attributes.userName;
    else attributes[field as Exclude<keyof typeof result.fields, 'userName'>] = value ?? null;
  }
  if (result.custom) attributes.customAttributes = result.custom;
  return { ...parsed, attributes };
}

/** The changes that make a stored user equal to `parsed`: attributes, then the active state (when the body gave one). */
function changesToMatch(row: UserRowForScim, parsed: ParsedUser, reason: string): LifecycleChange[] {
  const changes: LifecycleChange[] = [];
  if (attributesDiffer(row, parsed)) {
    changes.push({ kind: 'user.update', userId: row.id, attributes: { ...parsed.attributes, externalId: parsed.externalId } });
  }
  if (!parsed.activeSent) return changes;
  if (row.active && !parsed.active) changes.push({ kind: 'user.deactivate', userId: row.id, reason });
  if (!row.active && parsed.active) changes.push({ kind: 'user.reactivate', userId: row.id });
  return changes;
}

export async function getUser(ctx: ScimRequestContext, id: string): Promise<UserResult> {
  return render(ctx, await load(ctx, ctx.db, id));
}

/**
 * POST creates the user. On a pull connection that also accepts pushes, a
 * user the pull already brought in (same externalId or userName) is linked
 * and updated instead of duplicated; on a SCIM connection a second POST of a
 * userName is a 409 uniqueness error, as RFC 7644 §3.3 and Okta expect.
 */
export async function createUser(ctx: ScimRequestContext, body: unknown): Promise<UserResult> {
  const parsed = await withExpressions(ctx, orThrow(parseUser(body)), body);
  if (isProviderKind(ctx.connectionKind)) {
    const existing = await findLinkableUser(ctx.db, ctx.scope, parsed.externalId, parsed.attributes.userName);
    if (existing) {
      const changes = changesToMatch(existing, parsed, 'SCIM active:false');
      return { ...render(ctx, await applyAndLoad(ctx, existing.id, changes)), created: false };
    }
  }
  const id = randomUUID();
  const row = await applyAndLoad(ctx, id, [
    {
      kind: 'user.create',
      id,
      connectionId: ctx.scope.connectionId,
      externalId: parsed.externalId,
      attributes: parsed.attributes,
      active: parsed.active,
    },
  ]);
  return { ...render(ctx, row), created: true };
}

/** PUT replaces the user (Okta deactivates with PUT active:false as well as with PATCH). */
export async function replaceUser(ctx: ScimRequestContext, id: string, body: unknown, ifMatch?: string): Promise<UserResult> {
  const row = await load(ctx, ctx.db, id);
  checkIfMatch(ifMatch, etagOf(row));
  const sentId = (body as { id?: unknown } | null)?.id;
  if (typeof sentId === 'string' && sentId !== id) throw scimErrors.mutability('"id" is read-only and does not match the URL');
  const parsed = await withExpressions(ctx, orThrow(parseUser(body)), body);
  const changes = changesToMatch(row, parsed, 'SCIM PUT active:false');
  return render(ctx, changes.length ? await applyAndLoad(ctx, id, changes) : row);
}

/** PATCH (RFC 7644 §3.5.2): apply the operations to the resource as the client sees it, then store the result. */
export async function patchUser(ctx: ScimRequestContext, id: string, body: unknown, ifMatch?: string): Promise<UserResult> {
  const ops = orThrow(parsePatchRequest(body));
  const row = await load(ctx, ctx.db, id);
  checkIfMatch(ifMatch, etagOf(row));
  const current = renderUser(row, '');
  const patched = orThrow(applyUserPatch(current as unknown as PatchableUser, ops));
  const parsed = await withExpressions(ctx, orThrow(parseUser(patched)), patched);
  const changes = changesToMatch(row, parsed, 'SCIM PATCH active:false');
  if (changes.length === 0) return render(ctx, row);
  return render(ctx, await applyAndLoad(ctx, id, changes));
}

/** DELETE is a hard delete (the IdP really removed the user); the audit history stays. */
export async function deleteUser(ctx: ScimRequestContext, id: string, ifMatch?: string): Promise<void> {
  const row = await load(ctx, ctx.db, id);
  checkIfMatch(ifMatch, etagOf(row));
  await write(ctx, [{ kind: 'user.delete', userId: id }], async () => undefined);
}
