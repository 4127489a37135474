/**
 * What every request's input must be before anything stores it, whatever
 * the surface (SCIM, the admin API, login-sync, the CLI's command endpoint):
 *
 * - no NUL character (U+0000) in any string or key: Postgres `text` and
 *   `jsonb` cannot hold one, so it would fail in the database as a 500;
 * - no lone UTF-16 surrogate: it has no UTF-8 encoding, and `jsonb` refuses
 *   the `\ud800` escape JSON.stringify writes for it;
 * - JSON nested at most MAX_JSON_DEPTH deep: V8's JSON.parse copes with a
 *   million levels, but everything recursive after it (rendering, hashing,
 *   JSON.stringify, zod) would overflow the stack. No SCIM resource or API
 *   body comes close to 64 levels.
 *
 * The walk stops at the first problem and names where it is
 * (`name.givenName`, `emails[0].value`, `Operations[0].value`).
 */

export const MAX_JSON_DEPTH = 64;

export type InputProblem =
  | { kind: 'depth'; path: string; message: string }
  | { kind: 'character'; path: string; message: string };

/** Names that read well unquoted (URNs included); anything else is shown as a JSON string. */
const plainKey = (key: string) => (/^[\w$:.@-]+$/.test(key) ? key : JSON.stringify(key));

/** With the `u` flag a surrogate pair is one code point: only a lone half matches. */
const LONE_SURROGATE = /\p{Cs}/u;
const MAYBE_UNSTORABLE = /[\u0000\ud800-\udfff]/;

/** Why a string cannot be stored, or undefined when it can. */
export function unstorableText(value: string): string | undefined {
  // One quick scan first (any NUL or surrogate code unit): nearly every string has neither.
  if (!MAYBE_UNSTORABLE.test(value)) return undefined;
  if (value.includes('\u0000')) return 'a NUL character (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** The first problem in a parsed JSON value, or undefined. `root` prefixes the paths it reports. */
export function inspectJson(value: unknown, root = ''): InputProblem | undefined {
  const found = walk(value, 0);
  if (!found) return undefined;
  // The path is built only for a problem, on the way back up: a clean body costs no string work.
  let path = root;
  for (let i = found.trail.length - 1; i >= 0; i--) {
    const step = found.trail[i]!;
    path = typeof step === 'number' ? `${path}[${step}]` : path ? `${path}.${plainKey(step)}` : plainKey(step);
  }
  if (found.kind === 'depth') return { kind: 'depth', path, message: `the JSON is nested more than ${MAX_JSON_DEPTH} levels deep${path ? ` (at "${path}")` : ''}` };
  if (found.kind === 'key') {
    const key = found.trail[0] as string;
    const parent = path.slice(0, Math.max(0, path.length - plainKey(key).length - 1));
    return { kind: 'character', path, message: `the key ${JSON.stringify(key)}${parent ? ` in "${parent}"` : ''} contains ${found.why}, which cannot be stored` };
  }
  return { kind: 'character', path, message: `${describe(path)} contains ${found.why}, which cannot be stored` };
}

/** Where the problem is, innermost step first. */
interface Found {
  kind: 'depth' | 'key' | 'value';
  why?: string;
  trail: Array<string | number>;
}

function walk(value: unknown, depth: number): Found | undefined {
  if (typeof value === 'string') {
    const why = unstorableText(value);
    return why ? { kind: 'value', why, trail: [] } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_JSON_DEPTH) return { kind: 'depth', trail: [] };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], depth + 1);
      if (found) return (found.trail.push(i), found);
    }
    return undefined;
  }
  for (const key in value) {
    const why = unstorableText(key);
    if (why) return { kind: 'key', why, trail: [key] };
    const found = walk((value as Record<string, unknown>)[key], depth + 1);
    if (found) return (found.trail.push(key), found);
  }
  return undefined;
}

const describe = (path: string) => (path ? `"${path}"` : 'the value');
