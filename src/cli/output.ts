/** Readable output for people; `--json` output bypasses all of this. */
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
