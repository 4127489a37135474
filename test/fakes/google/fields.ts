/**
 * Partial responses: the `fields` system parameter every Google API takes,
 * as the Admin SDK documents it
 * (https://developers.google.com/admin-sdk/directory/v1/guides/performance#partial):
 *   - `a,b` selects several fields;
 *   - `a/b` selects field `b` inside `a`;
 *   - `a(b,c)` selects `b` and `c` inside `a` (a sub-selector);
 *   - `*` selects every field at that level;
 *   - a selection inside an array applies to each of its elements.
 * A malformed selection is a 400 (Google: "Invalid field selection").
 * Google also refuses a field its schema does not have; the fake knows no
 * schema and leaves an unknown field out, as it does a field with no value.
 *
 * No vitest imports: the benchmark and `roster demo` serve through this.
 */

/** A parsed selection: per field, null for the whole field or the selection inside it. */
export type FieldSelection = Map<string, FieldSelection | null>;

export class FieldSelectionError extends Error {}

const NAME = /^(?:\*|[A-Za-z_$][\w$@.-]*)/;

/** Parses a `fields` value; throws FieldSelectionError when it is not one. */
export function parseFields(text: string): FieldSelection {
  let at = 0;
  const fail = (): never => {
    throw new FieldSelectionError(`Invalid field selection ${text}`);
  };
  const list = (): FieldSelection => {
    const selection: FieldSelection = new Map();
    for (;;) {
      // One item: a path `a/b/c`, then an optional sub-selector `(…)`.
      const path: string[] = [];
      for (;;) {
        const m = NAME.exec(text.slice(at));
        if (!m) fail();
        path.push(m![0]);
        at += m![0].length;
        if (text[at] !== '/') break;
        at += 1;
      }
      let inner: FieldSelection | null = null;
      if (text[at] === '(') {
        at += 1;
        inner = list();
        if (text[at] !== ')') fail();
        at += 1;
      }
      add(selection, path, inner);
      if (text[at] !== ',') return selection;
      at += 1;
    }
  };
  const selection = list();
  if (at !== text.length) fail();
  return selection;
}

/** Adds `path` (with `inner` below its last step) to a selection; a whole field wins over any part of it. */
function add(selection: FieldSelection, path: string[], inner: FieldSelection | null): void {
  const [head, ...rest] = path as [string, ...string[]];
  const below = rest.length ? addInto(new Map(), rest, inner) : inner;
  if (!selection.has(head)) {
    selection.set(head, below);
    return;
  }
  const existing = selection.get(head)!;
  if (existing === null || below === null) selection.set(head, null);
  else for (const [k, v] of below) add(existing, [k], v);
}

function addInto(selection: FieldSelection, path: string[], inner: FieldSelection | null): FieldSelection {
  add(selection, path, inner);
  return selection;
}

/** The part of a response a selection keeps. */
export function applyFields(value: unknown, selection: FieldSelection | null): unknown {
  if (selection === null) return value;
  if (Array.isArray(value)) return value.map((item) => applyFields(item, selection));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [field, inner] of selection) {
    if (field === '*') {
      for (const key of Object.keys(source)) out[key] = applyFields(source[key], inner);
    } else if (source[field] !== undefined) {
      out[field] = applyFields(source[field], inner);
    }
  }
  return out;
}
