/**
 * Parsing a PATCH request body, RFC 7644 §3.5.2. Structural errors only: what
 * an operation means for a User or a Group is decided by user-patch.ts and
 * group-patch.ts.
 */
import { fail, ok, scimErrors, type Result } from '../errors.js';
import { findKey, isPlainObject } from './attributes.js';
import { parsePatchPath } from './path.js';
import { PATCH_OP_SCHEMA, type PatchOpKind, type PatchOperation, type ResourceEntry } from './types.js';

const OP_KINDS: readonly PatchOpKind[] = ['add', 'replace', 'remove'];

/** Member of a JSON object by case-insensitive name (RFC 7643 §2.1; some clients send `operations`). */
function member(obj: Record<string, unknown>, name: string): unknown {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

export function parsePatchRequest(body: unknown): Result<PatchOperation[]> {
  if (!isPlainObject(body)) return fail(scimErrors.invalidSyntax('the PATCH body must be a JSON object'));
  const schemas = member(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
    return fail(scimErrors.invalidSyntax(`"schemas" must contain "${PATCH_OP_SCHEMA}"`));
  }
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    return fail(scimErrors.invalidSyntax('"Operations" must be a non-empty array'));
  }
  const parsed: PatchOperation[] = [];
  for (const [index, raw] of operations.entries()) {
    const op = parseOperation(raw, index);
    if (!op.ok) return op;
    parsed.push(op.value);
  }
  return ok(parsed);
}

function parseOperation(raw: unknown, index: number): Result<PatchOperation> {
  const where = `Operations[${index}]`;
  if (!isPlainObject(raw)) return fail(scimErrors.invalidSyntax(`${where} must be an object`));
  const opText = member(raw, 'op');
  // Entra ID sends "Add"/"Replace"/"Remove"; RFC 7644 spells them in lower case.
  const op = typeof opText === 'string' ? OP_KINDS.find((k) => k === opText.toLowerCase()) : undefined;
  if (!op) return fail(scimErrors.invalidSyntax(`${where}.op must be "add", "replace" or "remove"`));

  const pathText = member(raw, 'path');
  if (pathText !== undefined && pathText !== null && typeof pathText !== 'string') {
    return fail(scimErrors.invalidPath(`${where}.path must be a string`));
  }
  const valueKey = findKey(raw, 'value');
  const hasValue = valueKey !== undefined;
  const value = hasValue ? raw[valueKey] : undefined;

  // An empty or absent path targets the resource itself (§3.5.2.1, §3.5.2.3).
  if (pathText === undefined || pathText === null || pathText.trim() === '') {
    if (op === 'remove') return fail(scimErrors.noTarget(`${where}: remove requires a path (RFC 7644 §3.5.2.2)`));
    if (!isPlainObject(value)) {
      return fail(scimErrors.invalidValue(`${where}: ${op} without a path needs an object of attributes as its value`));
    }
    const entries: ResourceEntry[] = [];
    for (const [key, entryValue] of Object.entries(value)) {
      const path = parsePatchPath(key);
      if (!path.ok) return path;
      entries.push({ path: path.value, value: entryValue });
    }
    return ok({ op, entries });
  }

  const path = parsePatchPath(pathText);
  if (!path.ok) return path;
  if (op !== 'remove' && !hasValue) return fail(scimErrors.invalidValue(`${where}: ${op} requires a value`));
  return ok(hasValue ? { op, path: path.value, value } : { op, path: path.value });
}
