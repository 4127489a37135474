/**
 * SCIM filtering and sorting for list requests (RFC 7644 §3.4.2.2, §3.4.2.3):
 * parse the `filter` text, translate it to a SQL condition over a users or
 * groups row, and map `sortBy` to an ORDER BY expression.
 */
import { sql, type SQL } from 'drizzle-orm';
import { fail, ok, scimErrors, type Result } from '../errors.js';
import { formatAttributePath, resolveAttribute, type FilterCatalog } from './catalog.js';
import { parseAttributePath } from './parse.js';

export { parseScimFilter, parseAttributePath } from './parse.js';
export type { AttributePath, CompareOperator, FilterNode, FilterValue } from './parse.js';
export { filterToSql, type FilterSqlOptions } from './sql.js';
export {
  USER_FILTER_CATALOG,
  GROUP_FILTER_CATALOG,
  CORE_USER_SCHEMA,
  CORE_GROUP_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  type FilterCatalog,
} from './catalog.js';

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
