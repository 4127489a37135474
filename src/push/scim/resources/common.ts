/** What every SCIM resource shares: schema URNs, `meta`, and no null values on the wire. */
import type { VersionedRow } from '../../../core/store/index.js';

export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Roster's extension: the named custom attributes a connection's attribute expressions compute (read-only). */
export const CUSTOM_USER_SCHEMA = 'urn:roster:params:scim:schemas:extension:custom:2.0:User';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** Columns every SCIM query selects besides the resource's own. */
export type ResourceRow = VersionedRow;

const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();

export function etagOf(row: Pick<ResourceRow, 'version'>): string {
  return `W/"${row.version}"`;
}

/** RFC 7643 §3.1 `meta`. */
export function metaOf(resourceType: 'User' | 'Group', row: ResourceRow, location: string) {
  return {
    resourceType,
    created: iso(row.created_at),
    lastModified: iso(row.updated_at),
    location,
    version: etagOf(row),
  };
}

/** Drop null and undefined values at any depth, and objects left empty by it (RFC 7643 §2.5: unassigned = absent). */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map((v) => withoutNulls(v)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    const cleaned = withoutNulls(v);
    if (cleaned !== null && typeof cleaned === 'object' && !Array.isArray(cleaned) && Object.keys(cleaned).length === 0) continue;
    out[k] = cleaned;
  }
  return out as T;
}
