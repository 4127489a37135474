/**
 * PATCH path parsing, RFC 7644 §3.5.2 (ABNF in §3.10):
 *   PATH      = attrPath / valuePath [subAttr]
 *   attrPath  = [URI ":"] ATTRNAME *1subAttr
 *   valuePath = attrPath "[" valFilter "]"
 */
import { fail, ok, scimErrors, type Result } from '../errors.js';
import { canonicalName, isCoreSchema, knownSchema } from './attributes.js';
import { parseValueFilter } from './value-filter.js';
import type { PatchPath, ValueFilter } from './types.js';

const ATTRNAME = /^(\$ref|[A-Za-z][\w-]*)$/;
/** A URN segment such as `2.0`, which precedes the resource name in a schema URN. */
const VERSION_SEGMENT = /^\d+(\.\d+)*$/;

export function parsePatchPath(text: string): Result<PatchPath> {
  const invalid = (why: string) => fail(scimErrors.invalidPath(`invalid path "${text}": ${why}`));
  const trimmed = text.trim();
  if (trimmed === '') return invalid('empty');

  let attrPart = trimmed;
  let filter: ValueFilter | undefined;
  let afterFilterSub: string | undefined;
  const open = trimmed.indexOf('[');
  if (open !== -1) {
    const close = closingBracket(trimmed, open);
    if (close === -1) return invalid('unclosed "["');
    const parsed = parseValueFilter(trimmed.slice(open + 1, close));
    if (!parsed.ok) return parsed;
    filter = parsed.value;
    attrPart = trimmed.slice(0, open);
    const rest = trimmed.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith('.') || !ATTRNAME.test(rest.slice(1))) return invalid(`unexpected "${rest}" after the filter`);
      afterFilterSub = canonicalName(rest.slice(1));
    }
  }

  let schema: string | undefined;
  let names = attrPart;
  if (/^urn:/i.test(attrPart)) {
    const split = splitUrn(attrPart);
    if (split.attribute === undefined) {
      // The path names a schema itself, e.g. "urn:...:enterprise:2.0:User".
      if (filter || isCoreSchema(split.schema)) return invalid('a core schema URN is not an attribute');
      return ok({ text, attribute: split.schema });
    }
    schema = isCoreSchema(split.schema) ? undefined : split.schema;
    names = split.attribute;
  }

  const parts = names.split('.');
  if (parts.length > 2 || !parts.every((p) => ATTRNAME.test(p))) return invalid('not an attribute name');
  if (filter && parts.length > 1) return invalid('a value filter applies to a multi-valued attribute, not a sub-attribute');
  const attribute = canonicalName(parts[0] as string);
  const subAttribute = parts[1] !== undefined ? canonicalName(parts[1]) : afterFilterSub;
  return ok({
    text,
    attribute,
    ...(schema !== undefined && { schema }),
    ...(filter !== undefined && { filter }),
    ...(subAttribute !== undefined && { subAttribute }),
  });
}

/** Index of the "]" closing the "[" at `open`, skipping quoted strings; -1 if none. */
function closingBracket(text: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === ']') return i;
  }
  return -1;
}

/**
 * Splits "urn:...:2.0:User:department" into the schema URN and the attribute.
 * A URN whose last segment follows a version segment ("...:2.0:User") names a
 * schema, not an attribute; known schemas are recognised in any case.
 */
function splitUrn(text: string): { schema: string; attribute?: string } {
  const known = knownSchema(text);
  if (known) return { schema: known };
  const segments = text.split(':');
  const last = segments[segments.length - 1] ?? '';
  const beforeLast = segments[segments.length - 2] ?? '';
  if (VERSION_SEGMENT.test(beforeLast)) return { schema: text };
  const urn = segments.slice(0, -1).join(':');
  return { schema: knownSchema(urn) ?? urn, attribute: last };
}
