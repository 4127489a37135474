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
const join = (path: string, key: string) => (path ? `${path}.${plainKey(key)}` : plainKey(key));

/** With the `u` flag a surrogate pair is one code point: only a lone half matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a string cannot be stored, or undefined when it can. */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\u0000')) return 'a NUL character (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** The first problem in a parsed JSON value, or undefined. `root` prefixes the paths it reports. */
export function inspectJson(value: unknown, root = ''): InputProblem | undefined {
  return walk(value, root, 0);
}

function walk(value: unknown, path: string, depth: number): InputProblem | undefined {
  if (typeof value === 'string') {
    const why = unstorableText(value);
    return why ? { kind: 'character', path, message: `${describe(path)} contains ${why}, which cannot be stored` } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_JSON_DEPTH) {
    return { kind: 'depth', path, message: `the JSON is nested more than ${MAX_JSON_DEPTH} levels deep${path ? ` (at "${path}")` : ''}` };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = walk(value[i], `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const why = unstorableText(key);
    if (why) return { kind: 'character', path: join(path, key), message: `the key ${JSON.stringify(key)}${path ? ` in "${path}"` : ''} contains ${why}, which cannot be stored` };
    const problem = walk(item, join(path, key), depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

const describe = (path: string) => (path ? `"${path}"` : 'the value');
