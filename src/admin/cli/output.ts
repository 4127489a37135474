/**
 * Readable output for people; `--json` output bypasses all of this
 * (JSON.stringify already escapes every control character).
 */

/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts
 * colour, cursor and title sequences; CR rewrites a line), DEL, C1 controls
 * (U+009B is a one-byte CSI to some terminals), and the Unicode controls that
 * reorder or break text (bidi overrides and isolates, line separators).
 */
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A string from data (an IdP's userName, a display name, an error an IdP
 * sent) made safe to print: each control character shown as its escape
 * (`\x1b`, `\n`, `\u202e`), so it can neither drive the terminal nor fake
 * a line of output. Backslashes are left as they are (DOMAIN\user).
 */
export function escapeControl(text: string): string {
  return text.replace(TERMINAL_CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/** Every string in a result (at any depth) escaped, the shape kept: what human formatters receive. */
export function escapeStrings<T>(value: T): T {
  if (typeof value === 'string') return escapeControl(value) as T;
  if (Array.isArray(value)) return value.map((v) => escapeStrings(v)) as T;
  if (value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [escapeControl(k), escapeStrings(v)])) as T;
  }
  return value;
}

export type Column<T> = [header: string, value: (row: T) => unknown];

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function table<T>(rows: T[], columns: Column<T>[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => columns.map(([, value]) => cell(value(row))));
  const widths = columns.map(([header], i) => Math.max(header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(columns.map(([h]) => h)), ...cells.map(line)].join('\n');
}

/** `key: value` lines, nested objects as indented JSON. */
export function details(record: Record<string, unknown>): string {
  return Object.entries(record)
    .map(([key, value]) => {
      if (value !== null && typeof value === 'object') {
        return `${key}: ${JSON.stringify(value, null, 2)}`;
      }
      return `${key}: ${cell(value)}`;
    })
    .join('\n');
}
