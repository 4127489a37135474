/**
 * Applying PATCH operations to a SCIM User, RFC 7644 §3.5.2, in the shapes
 * Entra ID, Okta and JumpCloud send. Pure: the input user is never changed.
 *
 * Why not the `scim-patch` package: it keeps `active: "False"` as a string,
 * stores Entra's bare-string manager as `manager: "id"`, treats `""` as a value
 * rather than a clear, does not keep `primary` unique, throws instead of
 * returning results, and cannot tell a read-only `id` from any other attribute.
 * Wrapping it in pre- and post-passes for each of these would be larger than
 * this file.
 *
 * Unknown attributes (core or extension, e.g. Entra's custom extension
 * `urn:ietf:params:scim:schemas:extension:custom:2.0:User:worksiteId`) are kept
 * as sent, since IdP attribute mappings add them freely and rejecting one would
 * fail the whole provisioning cycle; they end up in the user's profile.
 */
import { fail, ok, scimErrors, type Result } from '../errors.js';
import { BOOLEAN_ATTRIBUTES, USER_IGNORED, USER_MULTI_VALUED, canonicalName, findKey, isPlainObject } from './attributes.js';
import {
  appendElements, applyValuePath, coerceBoolean, coerceSubValue, isClearing, keepOnePrimary, normalizeElements,
  removeElements,
} from './multi-valued.js';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, type PatchOpKind, type PatchOperation, type PatchPath, type ScimUser } from './types.js';

type Draft = Record<string, unknown>;

/** Core attributes that must stay strings (a number or object here is a client error). */
const STRING_ATTRIBUTES = new Set([
  'userName', 'externalId', 'displayName', 'nickName', 'profileUrl', 'title', 'userType',
  'preferredLanguage', 'locale', 'timezone',
]);

export function applyUserPatch(user: ScimUser, ops: readonly PatchOperation[]): Result<ScimUser> {
  const draft = structuredClone(user) as Draft;
  for (const op of ops) {
    if (op.path === undefined) {
      // No path: each attribute of the value object (plain, dotted or URN key) is applied in turn.
      for (const entry of op.entries) {
        const applied = applyToPath(draft, op.op, entry.path, entry.value, { fromResource: true });
        if (!applied.ok) return applied;
      }
    } else {
      const applied = applyToPath(draft, op.op, op.path, op.value, { fromResource: false });
      if (!applied.ok) return applied;
    }
  }
  syncSchemas(draft);
  return ok(draft as ScimUser);
}

function applyToPath(
  draft: Draft, op: PatchOpKind, given: PatchPath, value: unknown, ctx: { fromResource: boolean },
): Result<void> {
  // Entra names the manager at the core level in one of its modes: it is the enterprise one.
  const path = given.schema === undefined && given.attribute === 'manager' ? { ...given, schema: ENTERPRISE_USER_SCHEMA } : given;
  if (path.schema === undefined) {
    if (USER_IGNORED.has(path.attribute)) return ok(undefined);
    const readOnly = checkReadOnly(draft, op, path, value, ctx);
    if (readOnly !== 'writable') return readOnly;
    // RFC 7643 §4.1.1 does not require `active`, but an unassigned one would read as
    // active and silently reactivate a leaver (or, the other way, surprise a deactivation).
    if (path.attribute === 'active' && (op === 'remove' || isClearing(value))) {
      return fail(scimErrors.mutability('"active" cannot be removed or cleared: send replace with true or false'));
    }
    if (/^urn:/i.test(path.attribute)) return applyToExtension(draft, op, path.attribute, value);
  }
  const schemaKey = path.schema === undefined ? undefined : (findKey(draft, path.schema) ?? path.schema);
  const container = schemaKey === undefined ? draft : extensionObject(draft, schemaKey);
  const key = findKey(container, path.attribute) ?? path.attribute;
  const result = applyToAttribute(container, key, op, path, value);
  if (schemaKey !== undefined && Object.keys(container).length === 0) delete draft[schemaKey];
  return result;
}

/**
 * RFC 7643 §3.1: `id` and `meta` are read-only. Okta sends the resource's own
 * `id` back inside no-path replaces, so an unchanged id is accepted and ignored;
 * a `meta` echoed inside a no-path value is ignored too (clients send the whole
 * resource back), while a path aimed at either is a mutability error.
 */
function checkReadOnly(
  draft: Draft, op: PatchOpKind, path: PatchPath, value: unknown, ctx: { fromResource: boolean },
): Result<void> | 'writable' {
  if (path.attribute === 'id') {
    if (op !== 'remove' && path.subAttribute === undefined && value === draft.id) return ok(undefined);
    return fail(scimErrors.mutability('"id" is read-only'));
  }
  if (path.attribute === 'meta') {
    return ctx.fromResource ? ok(undefined) : fail(scimErrors.mutability('"meta" is read-only'));
  }
  return 'writable';
}

/** The object holding an extension's attributes, created on first write. */
function extensionObject(draft: Draft, key: string): Draft {
  const existing = draft[key];
  if (isPlainObject(existing)) return existing;
  const created: Draft = {};
  draft[key] = created;
  return created;
}

/** A path naming an extension itself: `{"urn:...:enterprise:2.0:User": {"department": "X"}}`. */
function applyToExtension(draft: Draft, op: PatchOpKind, schema: string, value: unknown): Result<void> {
  const key = findKey(draft, schema) ?? schema;
  if (op === 'remove' || isClearing(value)) {
    delete draft[key];
    return ok(undefined);
  }
  if (!isPlainObject(value)) return fail(scimErrors.invalidValue(`"${schema}" must be an object of attributes`));
  for (const [name, sub] of Object.entries(value)) {
    const applied = applyToPath(draft, op, { text: `${schema}:${name}`, schema, attribute: canonicalName(name) }, sub, {
      fromResource: true,
    });
    if (!applied.ok) return applied;
  }
  return ok(undefined);
}

function applyToAttribute(container: Draft, key: string, op: PatchOpKind, path: PatchPath, value: unknown): Result<void> {
  const current = container[key];
  const multiValued = USER_MULTI_VALUED.has(key) || Array.isArray(current);

  if (path.filter) {
    if (!multiValued && current !== undefined) return fail(scimErrors.invalidPath(`"${key}" is not multi-valued`));
    const list = Array.isArray(current) ? (current as Draft[]) : [];
    const next = applyValuePath(list, { ...path, filter: path.filter }, op, value);
    if (!next.ok) return next;
    setOrDelete(container, key, next.value.length > 0 ? next.value : undefined);
    return ok(undefined);
  }

  if (path.subAttribute !== undefined) {
    if (multiValued) return fail(scimErrors.invalidPath(`select one value of "${key}" with a filter, e.g. ${key}[type eq "work"]`));
    if (op === 'remove' && !isPlainObject(current)) return ok(undefined);
    const parent = isPlainObject(current) ? current : {};
    const set = setSubAttribute(parent, path.subAttribute, op, value);
    if (!set.ok) return set;
    setOrDelete(container, key, Object.keys(parent).length > 0 ? parent : undefined);
    return ok(undefined);
  }

  if (op === 'remove') {
    // Entra removes values of a multi-valued attribute by listing them: {"op":"Remove","path":"roles","value":[...]}.
    if (multiValued && Array.isArray(current) && value !== undefined && !isClearing(value)) {
      const incoming = normalizeElements(key, value);
      if (!incoming.ok) return incoming;
      const rest = removeElements(current as Draft[], incoming.value);
      setOrDelete(container, key, rest.length > 0 ? rest : undefined);
    } else {
      delete container[key];
    }
    return ok(undefined);
  }

  if (isClearing(value)) {
    if (key === 'userName') return fail(scimErrors.invalidValue('"userName" is required'));
    delete container[key];
    return ok(undefined);
  }
  if (key === 'manager' && path.schema === ENTERPRISE_USER_SCHEMA) return setManager(container, key, value);
  if (multiValued) return setMultiValued(container, key, op, value);
  if (isPlainObject(value)) {
    // RFC 7644 §3.5.2.1/§3.5.2.3: a complex attribute's sub-attributes are merged; unnamed ones stay.
    const parent = isPlainObject(current) ? current : {};
    for (const [name, sub] of Object.entries(value)) {
      const set = setSubAttribute(parent, canonicalName(name), op, sub);
      if (!set.ok) return set;
    }
    setOrDelete(container, key, Object.keys(parent).length > 0 ? parent : undefined);
    return ok(undefined);
  }
  return setScalar(container, key, value);
}

function setScalar(container: Draft, key: string, value: unknown): Result<void> {
  if (BOOLEAN_ATTRIBUTES.has(key)) {
    const bool = coerceBoolean(key, value);
    if (!bool.ok) return bool;
    container[key] = bool.value;
    return ok(undefined);
  }
  if (STRING_ATTRIBUTES.has(key) && typeof value !== 'string') {
    return fail(scimErrors.invalidValue(`"${key}" must be a string, got ${JSON.stringify(value)}`));
  }
  container[key] = value;
  return ok(undefined);
}

function setSubAttribute(parent: Draft, sub: string, op: PatchOpKind, value: unknown): Result<void> {
  const key = findKey(parent, sub) ?? sub;
  if (op === 'remove' || isClearing(value)) {
    delete parent[key];
    return ok(undefined);
  }
  const coerced = coerceSubValue(sub, value);
  if (!coerced.ok) return coerced;
  parent[key] = coerced.value;
  return ok(undefined);
}

function setMultiValued(container: Draft, key: string, op: 'add' | 'replace', value: unknown): Result<void> {
  const incoming = normalizeElements(key, value);
  if (!incoming.ok) return incoming;
  const current = Array.isArray(container[key]) ? (container[key] as Draft[]) : [];
  const { list, touched } = op === 'add' ? appendElements(current, incoming.value) : { list: incoming.value, touched: incoming.value };
  keepOnePrimary(list, touched);
  setOrDelete(container, key, list.length > 0 ? list : undefined);
  return ok(undefined);
}

/**
 * RFC 7643 §4.3 manager. Entra ID sends it two ways: `"value": "<id>"` (a bare
 * string) and `"value": {"value": "<id>"}`; `""` or `{"value": ""}` clears it.
 * A new manager replaces the whole object, so a previous displayName does not linger.
 */
function setManager(container: Draft, key: string, value: unknown): Result<void> {
  const raw = isPlainObject(value) ? value : { value };
  const manager: Draft = {};
  for (const [name, sub] of Object.entries(raw)) if (!isClearing(sub)) manager[canonicalName(name)] = sub;
  if (manager.value === undefined) {
    delete container[key];
    return ok(undefined);
  }
  if (typeof manager.value !== 'string') return fail(scimErrors.invalidValue('"manager.value" must be a string id'));
  container[key] = manager;
  return ok(undefined);
}

function setOrDelete(container: Draft, key: string, value: unknown): void {
  if (value === undefined) delete container[key];
  else container[key] = value;
}

/** Keeps `schemas` in step with the extensions the user has (RFC 7643 §3). */
function syncSchemas(draft: Draft): void {
  const schemas = Array.isArray(draft.schemas) ? (draft.schemas as unknown[]).filter((s) => typeof s === 'string') : [];
  const set = new Set<string>(schemas.length > 0 ? (schemas as string[]) : [CORE_USER_SCHEMA]);
  if (isPlainObject(draft[ENTERPRISE_USER_SCHEMA])) set.add(ENTERPRISE_USER_SCHEMA);
  else set.delete(ENTERPRISE_USER_SCHEMA);
  draft.schemas = [...set];
}
