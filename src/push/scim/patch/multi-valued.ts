/**
 * Operations on multi-valued attributes (emails, phoneNumbers, addresses, ...),
 * RFC 7644 §3.5.2 with RFC 7643 §2.4 (`primary` true at most once).
 * Functions here change the draft they are given; user-patch.ts owns the draft.
 */
import { fail, ok, scimErrors, type Result } from '../errors.js';
import { BOOLEAN_ATTRIBUTES, canonicalName, isPlainObject } from './attributes.js';
import { filterEqualities, matchesFilter } from './value-filter.js';
import type { PatchOpKind, PatchPath, ValueFilter } from './types.js';

type Element = Record<string, unknown>;

/** `""` and `null` clear an attribute: Entra ID sends `"value": ""` to clear one. */
export function isClearing(value: unknown): boolean {
  return value === null || value === '';
}

/** Entra ID sends booleans as "True"/"False" strings; anything else non-boolean is invalid. */
export function coerceBoolean(name: string, value: unknown): Result<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return ok(value.toLowerCase() === 'true');
  return fail(scimErrors.invalidValue(`"${name}" must be a boolean, got ${JSON.stringify(value)}`));
}

export function coerceSubValue(sub: string, value: unknown): Result<unknown> {
  return BOOLEAN_ATTRIBUTES.has(sub) ? coerceBoolean(sub, value) : ok(value);
}

/** One element as sent, with canonical sub-attribute names and booleans coerced. */
export function normalizeElement(attribute: string, raw: unknown): Result<Element> {
  if (!isPlainObject(raw)) {
    return fail(scimErrors.invalidValue(`each value of "${attribute}" must be an object, got ${JSON.stringify(raw)}`));
  }
  const element: Element = {};
  for (const [key, value] of Object.entries(raw)) {
    if (isClearing(value)) continue;
    const sub = canonicalName(key);
    const coerced = coerceSubValue(sub, value);
    if (!coerced.ok) return coerced;
    element[sub] = coerced.value;
  }
  return ok(element);
}

export function normalizeElements(attribute: string, raw: unknown): Result<Element[]> {
  const list = Array.isArray(raw) ? raw : [raw];
  const out: Element[] = [];
  for (const item of list) {
    const element = normalizeElement(attribute, item);
    if (!element.ok) return element;
    out.push(element.value);
  }
  return ok(out);
}

const sameString = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;

/** Two elements are the same value when their `value` (and `type`, when both have one) agree. */
function sameValue(existing: Element, incoming: Element): boolean {
  if (incoming.value === undefined) return JSON.stringify(existing) === JSON.stringify(incoming);
  if (!sameString(existing.value, incoming.value)) return false;
  return existing.type === undefined || incoming.type === undefined || sameString(existing.type, incoming.type);
}

/**
 * `add` to a multi-valued attribute appends (§3.5.2.1); an element equal to an
 * existing one is merged into it rather than duplicated.
 */
export function appendElements(current: Element[], incoming: Element[]): { list: Element[]; touched: Element[] } {
  const list = [...current];
  const touched: Element[] = [];
  for (const element of incoming) {
    const existing = list.find((e) => sameValue(e, element));
    if (existing) Object.assign(existing, element);
    else list.push(element);
    touched.push(existing ?? element);
  }
  return { list, touched };
}

/** `remove` with a value array (the shape Entra ID uses for group members) removes equal elements. */
export function removeElements(current: Element[], incoming: Element[]): Element[] {
  return current.filter((e) => !incoming.some((i) => sameValue(e, i)));
}

/** RFC 7643 §2.4: the element just set primary stays primary; others lose the flag. */
export function keepOnePrimary(list: Element[], touched: Element[]): void {
  const winner = [...touched].reverse().find((e) => e.primary === true) ?? list.find((e) => e.primary === true);
  for (const element of list) if (element !== winner && element.primary === true) element.primary = false;
}

/**
 * A value-path operation (`emails[type eq "work"].value`). When nothing matches,
 * `add` and `replace` create the element from the filter's equalities: Entra ID
 * sends `Add`/`Replace` to `emails[type eq "work"].value` for a user who has no
 * work email yet (RFC 7644 §3.5.2.3 would answer noTarget to the replace).
 * Clearing or removing a value path's `value` (or the whole element) removes the element.
 */
export function applyValuePath(
  current: Element[],
  path: PatchPath & { filter: ValueFilter },
  op: PatchOpKind,
  value: unknown,
): Result<Element[]> {
  const sub = path.subAttribute;
  const matched = current.filter((e) => matchesFilter(path.filter, e));
  const clearing = op === 'remove' || isClearing(value);
  if (clearing) {
    // An element without its `value` means nothing (an email with no address), so it goes too.
    if (sub === undefined || sub === 'value') return ok(current.filter((e) => !matched.includes(e)));
    return ok(current.map((e) => (matched.includes(e) ? withoutKey(e, sub) : e)));
  }

  const list = current.map((e) => (matched.includes(e) ? { ...e } : e));
  let touched = list.filter((_, i) => matched.includes(current[i] as Element));
  if (touched.length === 0) {
    const seed = filterEqualities(path.filter);
    if (!seed) return fail(scimErrors.noTarget(`no value of "${path.attribute}" matches [${path.filter.source}]`));
    const created: Element = { ...seed };
    list.push(created);
    touched = [created];
  }
  for (const element of touched) {
    if (sub !== undefined) {
      const coerced = coerceSubValue(sub, value);
      if (!coerced.ok) return coerced;
      element[sub] = coerced.value;
    } else {
      const incoming = normalizeElement(path.attribute, value);
      if (!incoming.ok) return incoming;
      Object.assign(element, incoming.value);
    }
  }
  keepOnePrimary(list, touched);
  return ok(list);
}

function withoutKey(element: Element, key: string): Element {
  const { [key]: _removed, ...rest } = element;
  return rest;
}
