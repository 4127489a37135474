/**
 * SCIM filter parser: RFC 7644 §3.4.2.2 (grammar in Figure 1), plus the one
 * shape outside that grammar that IdPs really send in filters:
 * `emails[type eq "work"].value eq "x"` (a value path followed by a
 * sub-attribute, borrowed from the PATCH path grammar of §3.5.2).
 *
 * Why not `scim2-parse-filter` (installed, 0.2.10): it parses that shape into
 * `emails[type eq "work"] and emails.value eq "x"`, two unrelated conditions
 * that can be met by two different e-mail addresses, and it does not decode
 * JSON escapes in values (`"\u0041"` stays six characters). A small
 * recursive-descent parser is shorter than the workarounds.
 *
 * Errors are returned as `invalidFilter` results, never thrown: the filter
 * text comes straight from a client.
 */
import { fail, ok, scimErrors, type Result } from '../errors.js';

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

/** An attribute as written: `urn:...:enterprise:2.0:User:manager.value` → schema + ['manager', 'value']. */
export interface AttributePath {
  /** The schema URN prefix (RFC 7644 §3.10), when the client wrote one. */
  schema?: string;
  /** The attribute, then at most one sub-attribute, in the client's spelling. */
  names: string[];
}

export type FilterNode =
  | { kind: 'compare'; attribute: AttributePath; operator: CompareOperator; value: FilterValue }
  | { kind: 'present'; attribute: AttributePath }
  | { kind: 'and'; filters: FilterNode[] }
  | { kind: 'or'; filters: FilterNode[] }
  | { kind: 'not'; filter: FilterNode }
  /**
   * `emails[type eq "work"]`: some element of a multi-valued attribute matches
   * `filter`, whose attribute paths name sub-attributes of that element.
   * `emails[type eq "work"].value eq "x"` becomes the value path
   * `emails[type eq "work" and value eq "x"]`: the same element must match both.
   */
  | { kind: 'valuePath'; attribute: AttributePath; filter: FilterNode };

const COMPARE_OPERATORS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

/** Bounds on hostile input: deep nesting would otherwise overflow the stack (a throw, so a 500). */
const MAX_NESTING = 32;
const MAX_ATTRIBUTE_EXPRESSIONS = 100;

type Token =
  | { type: 'punct'; text: '(' | ')' | '[' | ']' | '.'; at: number }
  | { type: 'word'; text: string; at: number }
  | { type: 'string'; value: string; text: string; at: number }
  | { type: 'number'; value: number; text: string; at: number }
  | { type: 'end'; text: ''; at: number };

const WORD = /[A-Za-z$][A-Za-z0-9:._$-]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ATTRIBUTE_NAME = /^(?:\$ref|[A-Za-z][A-Za-z0-9_-]*)$/;

/** A parse failure carried through the recursion; turned into a Result at the entry point. */
class FilterSyntaxError {
  constructor(readonly detail: string) {}
}

const describe = (token: Token): string =>
  token.type === 'end' ? 'the end of the filter' : `'${token.text}' at character ${token.at + 1}`;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
    } else if (ch === '(' || ch === ')' || ch === '[' || ch === ']' || ch === '.') {
      tokens.push({ type: 'punct', text: ch, at: i });
      i++;
    } else if (ch === '"') {
      i = readString(text, i, tokens);
    } else if (followsCompareOperator(tokens)) {
      i = readBareValue(text, i, tokens);
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      const end = i + (match?.[0].length ?? 0);
      if (!match || /[A-Za-z0-9_$.]/.test(text[end] ?? '')) {
        throw new FilterSyntaxError(`invalid number at character ${i + 1}`);
      }
      tokens.push({ type: 'number', value: Number(match[0]), text: match[0], at: i });
      i = end;
    } else if (/[A-Za-z$]/.test(ch)) {
      WORD.lastIndex = i;
      const word = WORD.exec(text)![0];
      tokens.push({ type: 'word', text: word, at: i });
      i += word.length;
    } else {
      throw new FilterSyntaxError(`unexpected character '${ch}' at character ${i + 1}`);
    }
  }
  tokens.push({ type: 'end', text: '', at: text.length });
  return tokens;
}


/** The previous token is a comparison operator that follows an attribute: a value comes next. */
function followsCompareOperator(tokens: Token[]): boolean {
  const op = tokens.at(-1);
  const attr = tokens.at(-2);
  return op?.type === 'word' && COMPARE_OPERATORS.has(op.text.toLowerCase()) && (attr?.type === 'word' || (attr?.type === 'punct' && attr.text === ']'));
}

/**
 * An unquoted value (`userName sw O`, `meta.created gt 2015-10-10T14:38:21-07:00`).
 * Not RFC 7644 syntax, but Microsoft's SCIM reference collection sends it and
 * expects results, so it is read leniently: up to a space, ')' or ']'; a bare
 * true/false/null or a whole JSON number keeps that type, anything else is a string.
 */
function readBareValue(text: string, start: number, tokens: Token[]): number {
  let end = start;
  while (end < text.length && !/[\s)\]]/.test(text[end]!)) end++;
  const raw = text.slice(start, end);
  NUMBER.lastIndex = 0;
  const number = NUMBER.exec(raw);
  if (/^(true|false|null)$/i.test(raw)) tokens.push({ type: 'word', text: raw, at: start });
  else if (number && number[0].length === raw.length) tokens.push({ type: 'number', value: Number(raw), text: raw, at: start });
  else tokens.push({ type: 'string', value: raw, text: raw, at: start });
  return end;
}

/** A JSON string (RFC 7644 §3.4.2.2: compValue is a JSON literal), escapes decoded by JSON.parse. */
function readString(text: string, start: number, tokens: Token[]): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  if (i >= text.length) throw new FilterSyntaxError(`unterminated string starting at character ${start + 1}`);
  const raw = text.slice(start, i + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new FilterSyntaxError(`invalid string ${raw} at character ${start + 1} (bad escape or control character)`);
  }
  // Postgres text cannot hold U+0000; binding it would be a database error (a 500), not a non-match.
  if ((value as string).includes('\u0000')) {
    throw new FilterSyntaxError(`the string at character ${start + 1} contains a NUL character, which no attribute can hold`);
  }
  tokens.push({ type: 'string', value: value as string, text: raw, at: start });
  return i + 1;
}

/** Splits `urn:…:User:name.givenName` at the last colon into schema and dotted names. */
function toAttributePath(token: Token): AttributePath {
  const text = token.text;
  const colon = text.lastIndexOf(':');
  const schema = colon >= 0 ? text.slice(0, colon) : undefined;
  const names = text.slice(colon + 1).split('.');
  if (schema !== undefined && !/^urn:[^:]+:/i.test(schema)) {
    throw new FilterSyntaxError(`'${text}' at character ${token.at + 1}: a schema prefix must be a URN`);
  }
  if (names.length > 2 || !names.every((name) => ATTRIBUTE_NAME.test(name))) {
    throw new FilterSyntaxError(`'${text}' at character ${token.at + 1} is not an attribute path`);
  }
  return schema === undefined ? { names } : { schema, names };
}

class Parser {
  private position = 0;
  private nesting = 0;
  private attributeExpressions = 0;

  constructor(private readonly tokens: Token[]) {}

  parseFilter(): FilterNode {
    const node = this.parseOr(false);
    const next = this.peek();
    if (next.type !== 'end') {
      throw new FilterSyntaxError(
        next.type === 'punct' && (next.text === ')' || next.text === ']')
          ? `unbalanced '${next.text}' at character ${next.at + 1}`
          : `unexpected ${describe(next)} after a complete expression (expected 'and', 'or' or the end)`,
      );
    }
    return node;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.position + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    this.position++;
    return token;
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.type === 'word' && token.text.toLowerCase() === keyword;
  }

  private isPunct(token: Token, text: string): boolean {
    return token.type === 'punct' && token.text === text;
  }

  private expectPunct(text: ')' | ']', opener: Token): void {
    const token = this.next();
    if (!this.isPunct(token, text)) {
      throw new FilterSyntaxError(
        `missing '${text}' for the '${opener.text}' at character ${opener.at + 1} (found ${describe(token)})`,
      );
    }
  }

  // logExp (RFC 7644 §3.4.2.2): "and" binds tighter than "or" (Table 4 precedence).
  private parseOr(inValuePath: boolean): FilterNode {
    const filters = [this.parseAnd(inValuePath)];
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      filters.push(this.parseAnd(inValuePath));
    }
    return filters.length === 1 ? filters[0]! : { kind: 'or', filters: filters.flatMap((f) => (f.kind === 'or' ? f.filters : [f])) };
  }

  private parseAnd(inValuePath: boolean): FilterNode {
    const filters = [this.parseUnary(inValuePath)];
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      filters.push(this.parseUnary(inValuePath));
    }
    return filters.length === 1 ? filters[0]! : { kind: 'and', filters: filters.flatMap((f) => (f.kind === 'and' ? f.filters : [f])) };
  }

  private parseUnary(inValuePath: boolean): FilterNode {
    const token = this.peek();
    // `not` is only a keyword before "(" (the grammar has no bare `not attrExp`).
    if (this.isKeyword(token, 'not') && this.isPunct(this.peek(1), '(')) {
      this.next();
      return { kind: 'not', filter: this.parseGroup(inValuePath) };
    }
    const after = this.peek(1);
    if (this.isKeyword(token, 'not') && after.type === 'word' && !COMPARE_OPERATORS.has(after.text.toLowerCase()) && after.text.toLowerCase() !== 'pr') {
      throw new FilterSyntaxError(`'not' at character ${token.at + 1} must be followed by '(' as in not (active eq true)`);
    }
    if (this.isPunct(token, '(')) return this.parseGroup(inValuePath);
    if (token.type === 'word') return this.parseAttributeExpression(inValuePath);
    throw new FilterSyntaxError(`expected an attribute, '(' or 'not (' but found ${describe(token)}`);
  }

  private parseGroup(inValuePath: boolean): FilterNode {
    const opener = this.next();
    if (++this.nesting > MAX_NESTING) throw new FilterSyntaxError(`parentheses nested deeper than ${MAX_NESTING}`);
    const inner = this.parseOr(inValuePath);
    this.expectPunct(')', opener);
    this.nesting--;
    return inner;
  }

  private parseAttributeExpression(inValuePath: boolean): FilterNode {
    if (++this.attributeExpressions > MAX_ATTRIBUTE_EXPRESSIONS) {
      throw new FilterSyntaxError(`more than ${MAX_ATTRIBUTE_EXPRESSIONS} conditions in one filter`);
    }
    const attributeToken = this.next();
    const attribute = toAttributePath(attributeToken);
    if (!this.isPunct(this.peek(), '[')) return this.parseComparison(attribute, attributeToken);

    // valuePath = attrPath "[" valFilter "]"; a valFilter holds no further value path.
    const opener = this.next();
    if (inValuePath) throw new FilterSyntaxError(`value paths cannot be nested ('[' at character ${opener.at + 1})`);
    const inner = this.parseOr(true);
    this.expectPunct(']', opener);
    if (!this.isPunct(this.peek(), '.')) return { kind: 'valuePath', attribute, filter: inner };

    const dot = this.next();
    const subToken = this.next();
    if (subToken.type !== 'word' || !ATTRIBUTE_NAME.test(subToken.text)) {
      throw new FilterSyntaxError(`expected a sub-attribute name after the '.' at character ${dot.at + 1}`);
    }
    const comparison = this.parseComparison({ names: [subToken.text] }, subToken);
    const filters = inner.kind === 'and' ? [...inner.filters, comparison] : [inner, comparison];
    return { kind: 'valuePath', attribute, filter: { kind: 'and', filters } };
  }

  // attrExp = (attrPath SP "pr") / (attrPath SP compareOp SP compValue); operators are case-insensitive.
  private parseComparison(attribute: AttributePath, attributeToken: Token): FilterNode {
    const operatorToken = this.next();
    if (operatorToken.type !== 'word') {
      throw new FilterSyntaxError(`expected an operator after '${attributeToken.text}' but found ${describe(operatorToken)}`);
    }
    const operator = operatorToken.text.toLowerCase();
    if (operator === 'pr') return { kind: 'present', attribute };
    if (!COMPARE_OPERATORS.has(operator)) {
      throw new FilterSyntaxError(
        `unknown operator '${operatorToken.text}' at character ${operatorToken.at + 1} (expected eq, ne, co, sw, ew, gt, ge, lt, le or pr)`,
      );
    }
    return { kind: 'compare', attribute, operator: operator as CompareOperator, value: this.parseValue(operatorToken) };
  }

  // compValue = false / null / true / number / string (JSON literals).
  private parseValue(operatorToken: Token): FilterValue {
    const token = this.next();
    if (token.type === 'string' || token.type === 'number') return token.value;
    if (token.type === 'word') {
      const literal = token.text.toLowerCase();
      if (literal === 'true') return true;
      if (literal === 'false') return false;
      if (literal === 'null') return null;
      throw new FilterSyntaxError(
        `invalid value '${token.text}' at character ${token.at + 1}: strings must be in double quotes`,
      );
    }
    throw new FilterSyntaxError(`missing value after '${operatorToken.text}' (found ${describe(token)})`);
  }
}

/** Parses a SCIM filter (RFC 7644 §3.4.2.2). Bad input is an `invalidFilter` result. */
export function parseScimFilter(text: string): Result<FilterNode> {
  if (text.trim() === '') return fail(scimErrors.invalidFilter('the filter is empty'));
  try {
    return ok(new Parser(tokenize(text)).parseFilter());
  } catch (err) {
    if (err instanceof FilterSyntaxError) return fail(scimErrors.invalidFilter(err.detail));
    throw err;
  }
}

/** Parses a bare attribute path, as in `sortBy` (RFC 7644 §3.4.2.3) or `attributes`. */
export function parseAttributePath(text: string): Result<AttributePath> {
  try {
    const tokens = tokenize(text.trim());
    if (tokens.length !== 2 || tokens[0]!.type !== 'word') {
      return fail(scimErrors.invalidValue(`'${text}' is not an attribute path`));
    }
    return ok(toAttributePath(tokens[0]!));
  } catch (err) {
    if (err instanceof FilterSyntaxError) return fail(scimErrors.invalidValue(err.detail));
    throw err;
  }
}
