/**
 * The subset of Okta's `search` / `filter` expression language the fake
 * understands: `attr op "value"` terms joined by `and` / `or` (and binds
 * tighter), parentheses, operators eq ne gt ge lt le sw co pr.
 * https://developer.okta.com/docs/reference/core-okta-api/#filter
 * https://developer.okta.com/docs/reference/api/users/#list-users-with-search
 *
 * Parsing returns a result, not an exception: the server turns an error into
 * Okta's 400 E0000031 body.
 */

export type QueryResult = { ok: true; value: Predicate } | { ok: false; error: string };
export type Predicate = (record: QueryRecord) => boolean;
/** What a predicate reads: top-level fields and `profile.*`. Dates are epoch ms. */
export type QueryRecord = Record<string, unknown> & { profile?: Record<string, unknown> };

type Op = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sw' | 'co' | 'pr';
const OPS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sw', 'co', 'pr']);
const DATE_ATTRS = new Set(['lastUpdated', 'lastMembershipUpdated', 'created', 'activated', 'statusChanged', 'lastLogin', 'passwordChanged']);

type Token = { kind: 'word'; text: string } | { kind: 'string'; text: string } | { kind: '(' } | { kind: ')' };

function tokenize(input: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c });
      i++;
    } else if (c === '"') {
      let text = '';
      i++;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        text += input[i];
        i++;
      }
      if (i >= input.length) return 'unterminated string';
      i++;
      tokens.push({ kind: 'string', text });
    } else {
      let text = '';
      while (i < input.length && !' \t\n()"'.includes(input[i]!)) text += input[i++];
      tokens.push({ kind: 'word', text });
    }
  }
  return tokens;
}

function readAttr(record: QueryRecord, attr: string): unknown {
  if (attr.startsWith('profile.')) return record.profile?.[attr.slice('profile.'.length)];
  if (attr === 'type.id') return (record.type as { id?: unknown } | undefined)?.id;
  return record[attr];
}

function compare(attr: string, op: Op, raw: string | undefined): Predicate {
  if (op === 'pr') return (r) => readAttr(r, attr) !== undefined && readAttr(r, attr) !== null;
  const isDate = DATE_ATTRS.has(attr);
  const want: unknown = isDate ? Date.parse(raw ?? '') : raw === 'true' ? true : raw === 'false' ? false : raw;
  return (r) => {
    const have = readAttr(r, attr);
    if (have === undefined || have === null) return op === 'ne';
    switch (op) {
      case 'eq':
        return typeof have === 'string' && typeof want === 'string' ? have.toLowerCase() === want.toLowerCase() : have === want;
      case 'ne':
        return have !== want;
      case 'gt':
        return (have as number) > (want as number);
      case 'ge':
        return (have as number) >= (want as number);
      case 'lt':
        return (have as number) < (want as number);
      case 'le':
        return (have as number) <= (want as number);
      case 'sw':
        return String(have).toLowerCase().startsWith(String(want).toLowerCase());
      case 'co':
        return String(have).toLowerCase().includes(String(want).toLowerCase());
    }
  };
}

/**
 * Parses an expression. `allowedAttrs`, when given, restricts the attributes
 * (Okta's user `filter` supports only status, lastUpdated, id, profile.login,
 * profile.email, profile.firstName and profile.lastName; `search` takes any).
 */
export function parseQuery(input: string, allowedAttrs?: ReadonlySet<string>): QueryResult {
  const tokens = tokenize(input);
  if (typeof tokens === 'string') return { ok: false, error: tokens };
  let pos = 0;

  const parseOr = (): Predicate | string => {
    const parts: Predicate[] = [];
    for (;;) {
      const p = parseAnd();
      if (typeof p === 'string') return p;
      parts.push(p);
      const t = tokens[pos];
      if (t?.kind === 'word' && t.text.toLowerCase() === 'or') pos++;
      else break;
    }
    return parts.length === 1 ? parts[0]! : (r) => parts.some((p) => p(r));
  };
  const parseAnd = (): Predicate | string => {
    const parts: Predicate[] = [];
    for (;;) {
      const p = parseTerm();
      if (typeof p === 'string') return p;
      parts.push(p);
      const t = tokens[pos];
      if (t?.kind === 'word' && t.text.toLowerCase() === 'and') pos++;
      else break;
    }
    return parts.length === 1 ? parts[0]! : (r) => parts.every((p) => p(r));
  };
  const parseTerm = (): Predicate | string => {
    const t = tokens[pos++];
    if (t?.kind === '(') {
      const inner = parseOr();
      if (typeof inner === 'string') return inner;
      if (tokens[pos++]?.kind !== ')') return 'missing )';
      return inner;
    }
    if (t?.kind !== 'word') return 'expected an attribute';
    const opTok = tokens[pos++];
    const op = opTok?.kind === 'word' ? opTok.text.toLowerCase() : '';
    if (!OPS.has(op)) return `unknown operator after ${t.text}`;
    if (allowedAttrs && !allowedAttrs.has(t.text)) return `attribute ${t.text} cannot be filtered on`;
    if (op === 'pr') return compare(t.text, 'pr', undefined);
    const v = tokens[pos++];
    if (v?.kind === 'string') return compare(t.text, op as Op, v.text);
    if (v?.kind === 'word' && /^(true|false|-?\d+(\.\d+)?)$/.test(v.text)) return compare(t.text, op as Op, v.text);
    return `expected a value after ${t.text} ${op}`;
  };

  const result = parseOr();
  if (typeof result === 'string') return { ok: false, error: result };
  if (pos !== tokens.length) return { ok: false, error: 'unexpected text after the expression' };
  return { ok: true, value: result };
}
