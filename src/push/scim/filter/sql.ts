/**
 * A parsed SCIM filter (RFC 7644 §3.4.2.2) as a SQL condition over one
 * resource row, to be ANDed by the caller with `tenant_id = $t and
 * connection_id = $c`. Filters are evaluated in the database, never by
 * loading resources into memory.
 *
 * Rules that hold for every attribute:
 * - Every compared value is a bound parameter. The only text spliced into
 *   SQL is catalog data (column names, jsonb keys), checked below.
 * - Leaves stay index-shaped: `userName eq` is exactly
 *   `lower(<alias>.user_name) = lower($1)` (the unique index expression),
 *   `externalId eq` is `<alias>.external_id = $1`, `id eq` is `<alias>.id = $1::uuid`.
 * - A leaf may be NULL in SQL (an absent attribute); `not (...)` is compiled as
 *   `not coalesce(..., false)` so that "not (title eq x)" includes users
 *   without a title, as SCIM means it.
 * - `ne` is true when the attribute is absent (`is distinct from`); on a
 *   multi-valued attribute `emails.value ne x` means "no e-mail is x".
 * - `attr eq null` means "attr is absent" (`not (attr pr)`) and `attr ne null`
 *   means `attr pr`: RFC 7643 §2.5 treats null and unassigned alike, and the
 *   RFC 7644 grammar allows null as a compValue. Other operators with null are
 *   invalidFilter.
 * - A comparison Roster cannot evaluate (`gt` on a boolean, `co` on a date,
 *   a string against a boolean) is invalidFilter, never a database error.
 */
import { sql, type SQL } from 'drizzle-orm';
import { isUuid } from '../../../core/store/ids.js';
import { fail, ok, scimErrors, type Result } from '../errors.js';
import {
  formatAttributePath,
  resolveAttribute,
  type ColumnStorage,
  type FilterCatalog,
  type MultiValuedAttribute,
  type ScalarAttribute,
} from './catalog.js';
import { parseAttributePath, type AttributePath, type CompareOperator, type FilterNode, type FilterValue } from './parse.js';

export interface FilterSqlOptions {
  /** The SQL alias (or table name) of the resource row the condition is about. */
  alias: string;
}

/** Where attributes of the current scope live: a row (columns + profile) or one multi-valued element. */
interface Scope {
  /** The row or related row whose columns a column storage names. */
  columns?: SQL;
  /** The jsonb document a json storage path starts from. */
  json?: SQL;
}

/** Inside `emails[...]`: attribute paths name sub-attributes of `attribute`'s elements. */
interface ElementContext {
  attribute: MultiValuedAttribute;
  scope: Scope;
}

class FilterSqlError {
  constructor(readonly detail: string) {}
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** jsonb keys come from the catalog; this guards the literal they are written as. */
const JSON_KEY = /^[A-Za-z0-9:._$-]+$/;

const jsonKey = (key: string): SQL => {
  if (!JSON_KEY.test(key)) throw new Error(`filter catalog: unsafe jsonb key ${JSON.stringify(key)}`);
  return sql.raw(`'${key}'`);
};

/** `base -> 'a' -> 'b'` (jsonb) and `base -> 'a' ->> 'b'` (text). Literal keys keep expression indexes usable. */
function jsonPath(base: SQL, path: readonly string[]): { json: SQL; text: SQL } {
  let json = base;
  for (const key of path.slice(0, -1)) json = sql`${json} -> ${jsonKey(key)}`;
  const last = jsonKey(path[path.length - 1]!);
  return { json: sql`${json} -> ${last}`, text: sql`${json} ->> ${last}` };
}

/** LIKE pattern for co/sw/ew with `\`, `%` and `_` escaped (used with `escape '\'`). */
export function likePattern(value: string, operator: 'co' | 'sw' | 'ew'): string {
  const escaped = value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  return operator === 'sw' ? `${escaped}%` : operator === 'ew' ? `%${escaped}` : `%${escaped}%`;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))?$/i;

/**
 * An xsd:dateTime (RFC 7643 §2.3.5) that Postgres will accept, or undefined.
 * Checked here because a value Postgres rejects would be a database error (a
 * 500). Without a zone the value is read as UTC.
 */
export function checkedDateTime(value: string): string | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const zoneOk = m[8] === undefined || m[8].toUpperCase() === 'Z' || (Number(m[9]) <= 14 && Number(m[10]) <= 59);
  const valid =
    year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59;
  if (!valid || !zoneOk) return undefined;
  return m[8] === undefined ? `${value}Z` : value;
}

const SQL_OPERATOR: Record<'eq' | 'gt' | 'ge' | 'lt' | 'le', SQL> = {
  eq: sql.raw('='),
  gt: sql.raw('>'),
  ge: sql.raw('>='),
  lt: sql.raw('<'),
  le: sql.raw('<='),
};

/** `a = b`, or for `ne` `a <> b` / `a is distinct from b` (true when a is absent). */
function compareSql(left: SQL, operator: CompareOperator, right: SQL, notNull: boolean): SQL {
  if (operator === 'ne') return notNull ? sql`${left} <> ${right}` : sql`${left} is distinct from ${right}`;
  return sql`${left} ${SQL_OPERATOR[operator as keyof typeof SQL_OPERATOR]} ${right}`;
}

const isSubstring = (operator: CompareOperator): operator is 'co' | 'sw' | 'ew' =>
  operator === 'co' || operator === 'sw' || operator === 'ew';

class FilterCompiler {
  private elementAliases = 0;
  private readonly row: SQL;

  constructor(
    private readonly catalog: FilterCatalog,
    alias: string,
  ) {
    if (!IDENTIFIER.test(alias)) throw new Error(`filterToSql: invalid alias ${JSON.stringify(alias)}`);
    this.row = sql`${sql.identifier(alias)}`;
  }

  compile(node: FilterNode, element?: ElementContext): SQL {
    switch (node.kind) {
      case 'and':
      case 'or':
        return sql`(${sql.join(
          node.filters.map((f) => this.compile(f, element)),
          sql.raw(` ${node.kind} `),
        )})`;
      case 'not':
        return sql`not coalesce(${this.compile(node.filter, element)}, false)`;
      case 'present':
        return this.present(node.attribute, element);
      case 'compare':
        if (node.value === null) return this.compareNull(node, element);
        return this.compare(node.attribute, node.operator, node.value, element);
      case 'valuePath':
        return this.valuePath(node.attribute, node.filter, element);
    }
  }

  private rowScope(): Scope {
    return { columns: this.row, json: sql`${this.row}.${sql.identifier('profile')}` };
  }

  private compareNull(node: Extract<FilterNode, { kind: 'compare' }>, element?: ElementContext): SQL {
    const present = this.present(node.attribute, element);
    if (node.operator === 'eq') return sql`not coalesce(${present}, false)`;
    if (node.operator === 'ne') return present;
    throw new FilterSqlError(`'${node.operator}' cannot compare with null; use 'pr' or 'eq null'`);
  }

  /** An attribute of the resource, or inside `[...]` a sub-attribute of the element. */
  private resolve(attribute: AttributePath, element?: ElementContext) {
    const written = formatAttributePath(attribute);
    if (element) {
      const sub = attribute.schema === undefined && attribute.names.length === 1
        ? element.attribute.subAttributes[attribute.names[0]!.toLowerCase()]
        : undefined;
      if (!sub) throw new FilterSqlError(`'${written}' is not a filterable sub-attribute of ${element.attribute.name}`);
      return { kind: 'scalar' as const, attribute: sub, scope: element.scope };
    }
    const resolved = resolveAttribute(attribute, this.catalog);
    if (!resolved) throw new FilterSqlError(`unknown attribute '${written}' in a ${this.catalog.resourceType} filter`);
    if (resolved.kind === 'scalar') return { ...resolved, scope: this.rowScope() };
    return resolved;
  }

  private compare(attribute: AttributePath, operator: CompareOperator, value: Exclude<FilterValue, null>, element?: ElementContext): SQL {
    const resolved = this.resolve(attribute, element);
    if (resolved.kind === 'scalar') return this.scalarCompare(resolved.attribute, resolved.scope, operator, value);
    // `emails co "x"` compares the elements' `value` (RFC 7644 §3.4.2.2 example `emails co "example.com"`).
    const subKey = resolved.subKey ?? 'value';
    const sub = resolved.sub ?? resolved.attribute.subAttributes[subKey];
    if (!sub) throw new FilterSqlError(`${resolved.attribute.name} is complex: compare one of its sub-attributes`);
    // Multi-valued: "matches if any of the values match" (§3.4.2.2); so `ne` is "no value equals".
    if (operator === 'ne') {
      return sql`not coalesce(${this.anyValue(resolved.attribute, sub, subKey, 'eq', value)}, false)`;
    }
    return this.anyValue(resolved.attribute, sub, subKey, operator, value);
  }

  private anyValue(
    attribute: MultiValuedAttribute,
    sub: ScalarAttribute,
    subKey: string,
    operator: CompareOperator,
    value: Exclude<FilterValue, null>,
  ): SQL {
    const inElements = this.exists(attribute, (scope) => this.scalarCompare(sub, scope, operator, value));
    const mirrored = attribute.mirroredColumns?.[subKey];
    if (!mirrored) return inElements;
    const onColumn = this.scalarCompare({ ...sub, storage: mirrored }, this.rowScope(), operator, value);
    return sql`(${onColumn} or ${inElements})`;
  }

  private present(attribute: AttributePath, element?: ElementContext): SQL {
    const resolved = this.resolve(attribute, element);
    if (resolved.kind === 'scalar') return this.scalarPresent(resolved.attribute, resolved.scope);
    const { attribute: multi, sub, subKey } = resolved;
    const mirrored = subKey === undefined ? Object.values(multi.mirroredColumns ?? {}) : [multi.mirroredColumns?.[subKey]];
    const parts = mirrored
      .filter((storage): storage is ColumnStorage => storage !== undefined)
      .map((storage) => this.scalarPresent({ kind: 'scalar', name: multi.name, type: 'string', caseExact: false, storage }, this.rowScope()));
    // RFC 7644 §3.4.2.2 "pr": a multi-valued attribute is present when it has an element.
    parts.push(this.exists(multi, (scope) => (sub ? this.scalarPresent(sub, scope) : undefined)));
    return parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` or `)})`;
  }

  private valuePath(attribute: AttributePath, filter: FilterNode, element?: ElementContext): SQL {
    const written = formatAttributePath(attribute);
    if (element) throw new FilterSqlError(`value paths cannot be nested (${written} inside ${element.attribute.name})`);
    const resolved = resolveAttribute(attribute, this.catalog);
    if (!resolved) throw new FilterSqlError(`unknown attribute '${written}' in a ${this.catalog.resourceType} filter`);
    if (resolved.kind !== 'multiValued' || resolved.sub) {
      throw new FilterSqlError(`'${written}[...]' needs a multi-valued attribute such as emails or members`);
    }
    const multi = resolved.attribute;
    return this.exists(multi, (scope) => this.compile(filter, { attribute: multi, scope }));
  }

  /** `exists (select 1 from <elements> where <condition on one element>)`. */
  private exists(attribute: MultiValuedAttribute, condition: (scope: Scope) => SQL | undefined): SQL {
    const alias = sql`${sql.identifier(`el${++this.elementAliases}`)}`;
    const source = attribute.elements;
    if (source.kind === 'relation') {
      const where = condition({ columns: alias });
      const parent = sql`${alias}.${sql.identifier(source.parentColumn)} = ${this.row}.${sql.identifier('id')}`;
      return sql`exists (select 1 from ${sql.identifier(source.table)} as ${alias} where ${parent}${where ? sql` and ${where}` : sql``})`;
    }
    // A profile that holds a non-array here would make jsonb_array_elements raise; read it as empty.
    const array = jsonPath(this.rowScope().json!, source.path).json;
    const safeArray = sql`case when jsonb_typeof(${array}) = 'array' then ${array} else '[]'::jsonb end`;
    const where = condition({ json: alias });
    return sql`exists (select 1 from jsonb_array_elements(${safeArray}) as ${alias}${where ? sql` where ${where}` : sql``})`;
  }

  private target(attribute: ScalarAttribute, scope: Scope): { text: SQL; json?: SQL; column?: SQL; notNull: boolean } {
    const storage = attribute.storage;
    if (storage.kind === 'column') {
      if (!scope.columns) throw new Error(`filter catalog: ${attribute.name} is a column outside a row`);
      const column = sql`${scope.columns}.${sql.identifier(storage.column)}`;
      return { text: storage.uuid ? sql`${column}::text` : column, column, notNull: storage.notNull === true };
    }
    if (!scope.json) throw new Error(`filter catalog: ${attribute.name} is a json path outside a document`);
    return { ...jsonPath(scope.json, storage.path), notNull: false };
  }

  private scalarPresent(attribute: ScalarAttribute, scope: Scope): SQL {
    const target = this.target(attribute, scope);
    if (target.json) {
      return sql`coalesce(${target.json}, 'null'::jsonb) not in ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb)`;
    }
    if (attribute.type === 'string' && !(attribute.storage.kind === 'column' && attribute.storage.uuid)) {
      return target.notNull ? sql`${target.text} <> ''` : sql`(${target.text} is not null and ${target.text} <> '')`;
    }
    return target.notNull ? sql`true` : sql`${target.column!} is not null`;
  }

  private scalarCompare(attribute: ScalarAttribute, scope: Scope, operator: CompareOperator, value: Exclude<FilterValue, null>): SQL {
    const target = this.target(attribute, scope);
    const name = attribute.name;
    switch (attribute.type) {
      case 'string': {
        if (typeof value === 'boolean') throw new FilterSqlError(`${name} is a string; it cannot be compared with ${value}`);
        const text = String(value);
        if (attribute.storage.kind === 'column' && attribute.storage.uuid && (operator === 'eq' || operator === 'ne')) {
          // A value that is not a uuid can never equal a uuid column; never cast it (the cast would raise).
          if (!isUuid(text)) return operator === 'eq' ? sql`false` : sql`true`;
          return compareSql(target.column!, operator, sql`${text}::uuid`, target.notNull);
        }
        const left = attribute.caseExact ? target.text : sql`lower(${target.text})`;
        if (isSubstring(operator)) {
          const pattern = likePattern(text, operator);
          return sql`${left} like ${attribute.caseExact ? sql`${pattern}` : sql`lower(${pattern})`} escape '\\'`;
        }
        return compareSql(left, operator, attribute.caseExact ? sql`${text}` : sql`lower(${text})`, target.notNull);
      }
      case 'boolean': {
        const flag = typeof value === 'boolean' ? value : typeof value === 'string' ? parseBooleanText(value) : undefined;
        if (flag === undefined) throw new FilterSqlError(`${name} is a boolean; compare it with true or false`);
        if (operator !== 'eq' && operator !== 'ne') throw new FilterSqlError(`'${operator}' cannot be applied to the boolean ${name}`);
        // In jsonb a boolean may arrive as true or as "True" (Entra); compare the lower-cased text.
        if (target.json) return compareSql(sql`lower(${target.text})`, operator, sql`${String(flag)}`, false);
        return compareSql(target.column!, operator, sql`${flag}`, target.notNull);
      }
      case 'dateTime': {
        const at = typeof value === 'string' ? checkedDateTime(value) : undefined;
        if (at === undefined) throw new FilterSqlError(`${name} is a dateTime; compare it with a string like "2024-05-01T00:00:00Z"`);
        if (isSubstring(operator)) throw new FilterSqlError(`'${operator}' applies to strings, not to the dateTime ${name}`);
        if (!target.column) throw new Error(`filter catalog: dateTime ${name} must be a column`);
        return compareSql(target.column, operator, sql`${at}::timestamptz`, target.notNull);
      }
      case 'number': {
        const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
        if (!Number.isFinite(number)) throw new FilterSqlError(`${name} is a number; it cannot be compared with ${JSON.stringify(value)}`);
        if (isSubstring(operator)) throw new FilterSqlError(`'${operator}' applies to strings, not to the number ${name}`);
        // Guarded cast: a non-number in the document reads as absent instead of raising.
        const left = target.json
          ? sql`(case when jsonb_typeof(${target.json}) = 'number' then (${target.text})::numeric end)`
          : target.column!;
        return compareSql(left, operator, sql`${String(number)}::numeric`, target.notNull);
      }
    }
  }
}

function parseBooleanText(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/**
 * The SQL condition for a parsed filter over the row `options.alias`, or an
 * `invalidFilter` for attributes the catalog lacks and comparisons Roster
 * cannot evaluate.
 */
export function filterToSql(node: FilterNode, catalog: FilterCatalog, options: FilterSqlOptions): Result<SQL> {
  try {
    return ok(new FilterCompiler(catalog, options.alias).compile(node));
  } catch (err) {
    if (err instanceof FilterSqlError) return fail(scimErrors.invalidFilter(err.detail));
    throw err;
  }
}

/**
 * The ORDER BY expression for `sortBy` (RFC 7644 §3.4.2.3) over the row
 * `options.alias`. Only attributes stored in a column sort; a case-insensitive
 * string sorts by `lower(column)` (the RFC sorts by the attribute's caseExact
 * rules). A known attribute that is not a column (profile data, multi-valued
 * attributes) gives `ok(undefined)`: the RFC lets a service provider ignore a
 * sort it does not support, and the caller then keeps its default order. An
 * unknown or malformed attribute is `invalidValue`. The caller should add
 * `id` as a tie-breaker so that paging stays stable.
 */
export function sortColumn(
  attributePath: string,
  catalog: FilterCatalog,
  options: { alias: string },
): Result<SQL | undefined> {
  const parsed = parseAttributePath(attributePath);
  if (!parsed.ok) return parsed;
  const resolved = resolveAttribute(parsed.value, catalog);
  if (!resolved) {
    return fail(scimErrors.invalidValue(`unknown sortBy attribute '${formatAttributePath(parsed.value)}' for ${catalog.resourceType}`));
  }
  if (resolved.kind !== 'scalar' || resolved.attribute.storage.kind !== 'column') return ok(undefined);
  const { type, caseExact, storage } = resolved.attribute;
  const column = sql`${sql.identifier(options.alias)}.${sql.identifier(storage.column)}`;
  return ok(type === 'string' && !caseExact && !storage.uuid ? sql`lower(${column})` : column);
}
