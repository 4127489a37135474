/**
 * RFC 7644 §3.4.3: querying with POST to `.search`. The SearchRequest body
 * carries what a GET carries in its query string; it is turned into that same
 * shape, so a search is answered by exactly the code that answers a GET list
 * (paging, filter, sort and attribute rules included).
 */
import { fail, ok, scimErrors, type Result } from './errors.js';

export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** A list request as a GET's query string has it. */
export interface SearchQuery {
  filter?: string;
  startIndex?: string;
  count?: string;
  attributes?: string;
  excludedAttributes?: string;
  sortBy?: string;
  sortOrder?: string;
}

const STRING_FIELDS = ['filter', 'sortBy', 'sortOrder'] as const;
const INTEGER_FIELDS = ['startIndex', 'count'] as const;
const LIST_FIELDS = ['attributes', 'excludedAttributes'] as const;

/** A body key, found case-insensitively (RFC 7643 §2.1). */
function field(body: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

export function parseSearchRequest(input: unknown): Result<SearchQuery> {
  if (input === null || input === undefined || typeof input !== 'object' || Array.isArray(input)) {
    return fail(scimErrors.invalidSyntax(`the body of a .search must be a SearchRequest object (schemas ["${SEARCH_REQUEST_SCHEMA}"])`));
  }
  const body = input as Record<string, unknown>;
  const schemas = field(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase())) {
    return fail(scimErrors.invalidSyntax(`a SearchRequest's "schemas" must contain "${SEARCH_REQUEST_SCHEMA}"`));
  }
  const query: SearchQuery = {};
  for (const name of STRING_FIELDS) {
    const value = field(body, name);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return fail(scimErrors.invalidValue(`"${name}" must be a string`));
    query[name] = value;
  }
  if (query.sortOrder !== undefined && !/^(ascending|descending)$/i.test(query.sortOrder)) {
    return fail(scimErrors.invalidValue('"sortOrder" must be "ascending" or "descending"'));
  }
  for (const name of INTEGER_FIELDS) {
    const value = field(body, name);
    if (value === undefined || value === null) continue;
    // A JSON integer (or its decimal text); the GET path's rules then apply to it as to a query parameter.
    if (typeof value === 'number' && Number.isInteger(value)) query[name] = BigInt(value).toString();
    else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) query[name] = value.trim();
    else return fail(scimErrors.invalidValue(`"${name}" must be an integer`));
  }
  for (const name of LIST_FIELDS) {
    const value = field(body, name);
    if (value === undefined || value === null) continue;
    // RFC 7644 §3.4.3 makes these multi-valued strings; a comma-separated string is taken too.
    const items = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(items) || !items.every((i) => typeof i === 'string')) {
      return fail(scimErrors.invalidValue(`"${name}" must be an array of attribute names`));
    }
    if (items.length) query[name] = items.join(',');
  }
  return ok(query);
}
