/**
 * Value filters in PATCH paths (`emails[type eq "work"]`, `members[value eq "id"]`),
 * RFC 7644 §3.5.2 and §3.4.2.2. Parsing uses scim2-parse-filter's `parse`
 * (it handles quoting, escapes, case-insensitive operators and `and`/`or`/`not`);
 * its `filter()` evaluator is not used because it compares attribute names and
 * strings case-sensitively, while the sub-attributes IdPs filter on here
 * (`type`, `value` of emails/phoneNumbers, members' `value`) are caseExact:false.
 */
import { parse, type Filter } from 'scim2-parse-filter';
import { fail, ok, scimErrors, type Result } from '../errors.js';
import { canonicalName, findKey, isPlainObject } from './attributes.js';
import type { ValueFilter } from './types.js';

export function parseValueFilter(source: string): Result<ValueFilter> {
  let ast: Filter;
  try {
    ast = parse(source);
  } catch (err) {
    return fail(scimErrors.invalidPath(`invalid value filter "${source}": ${(err as Error).message}`));
  }
  if (containsValuePath(ast)) return fail(scimErrors.invalidPath(`nested value filter in "${source}"`));
  return ok({ source, ast });
}

function containsValuePath(f: Filter): boolean {
  switch (f.op) {
    case '[]':
      return true;
    case 'and':
    case 'or':
      return 'filters' in f && f.filters.some(containsValuePath);
    case 'not':
      return 'filter' in f && containsValuePath(f.filter);
    default:
      return false;
  }
}

/** Whether one element of a multi-valued attribute matches the filter. */
export function matchesFilter(filter: ValueFilter, element: unknown): boolean {
  return evaluate(filter.ast, element);
}

function evaluate(f: Filter, element: unknown): boolean {
  if (f.op === 'and' && 'filters' in f) return f.filters.every((g) => evaluate(g, element));
  if (f.op === 'or' && 'filters' in f) return f.filters.some((g) => evaluate(g, element));
  if (f.op === 'not' && 'filter' in f) return !evaluate(f.filter, element);
  if (!('attrPath' in f) || !isPlainObject(element)) return false;
  const key = findKey(element, f.attrPath);
  const actual = key === undefined ? undefined : element[key];
  if (f.op === 'pr') return actual !== undefined && actual !== null && actual !== '';
  if (!('compValue' in f)) return false;
  return compare(f.op, actual, f.compValue);
}

function compare(op: string, actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const a = actual.toLowerCase();
    const e = expected.toLowerCase();
    switch (op) {
      case 'eq': return a === e;
      case 'ne': return a !== e;
      case 'co': return a.includes(e);
      case 'sw': return a.startsWith(e);
      case 'ew': return a.endsWith(e);
      case 'gt': return a > e;
      case 'ge': return a >= e;
      case 'lt': return a < e;
      case 'le': return a <= e;
      default: return false;
    }
  }
  if (op === 'eq') return actual === expected;
  if (op === 'ne') return actual !== expected;
  if (typeof actual === 'number' && typeof expected === 'number') {
    if (op === 'gt') return actual > expected;
    if (op === 'ge') return actual >= expected;
    if (op === 'lt') return actual < expected;
    if (op === 'le') return actual <= expected;
  }
  return false;
}

/**
 * The sub-attribute values a filter pins down when it is `a eq x [and b eq y ...]`,
 * used to create the element a value path targets when none matches
 * (`emails[type eq "work"].value` on a user with no work email becomes
 * `{type: "work", value}`). Undefined when the filter is anything else.
 */
export function filterEqualities(filter: ValueFilter): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const collect = (f: Filter): boolean => {
    if (f.op === 'and' && 'filters' in f) return f.filters.every(collect);
    if (f.op === 'eq' && 'attrPath' in f && 'compValue' in f) {
      out[canonicalName(f.attrPath)] = f.compValue;
      return true;
    }
    return false;
  };
  return collect(filter.ast) ? out : undefined;
}

/**
 * The member ids of `members[value eq "a"]` or `members[value eq "a" or value eq "b"]`
 * (Okta's and Microsoft's remove shapes). Undefined for filters on anything
 * else, which would need the current member list to evaluate.
 */
export function filterValueIds(filter: ValueFilter): string[] | undefined {
  const ids: string[] = [];
  const collect = (f: Filter): boolean => {
    if (f.op === 'or' && 'filters' in f) return f.filters.every(collect);
    if (f.op === 'eq' && 'attrPath' in f && 'compValue' in f && f.attrPath.toLowerCase() === 'value') {
      if (typeof f.compValue !== 'string') return false;
      ids.push(f.compValue);
      return true;
    }
    return false;
  };
  return collect(filter.ast) ? ids : undefined;
}
