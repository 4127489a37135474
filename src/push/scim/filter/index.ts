/**
 * SCIM filtering and sorting for list requests (RFC 7644 §3.4.2.2, §3.4.2.3):
 * parse the `filter` text, translate it to a SQL condition over a users or
 * groups row, and map `sortBy` to an ORDER BY expression. The SQL is
 * written in ./sql.ts alone (the compiler DESIGN.md allows beside the store).
 */
export { parseScimFilter, parseAttributePath } from './parse.js';
export type { AttributePath, CompareOperator, FilterNode, FilterValue } from './parse.js';
export { filterToSql, sortColumn, type FilterSqlOptions } from './sql.js';
export {
  USER_FILTER_CATALOG,
  GROUP_FILTER_CATALOG,
  CORE_USER_SCHEMA,
  CORE_GROUP_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  type FilterCatalog,
} from './catalog.js';
