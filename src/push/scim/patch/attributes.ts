/**
 * What the PATCH engine knows of the RFC 7643 schemas: canonical attribute
 * names (names are case-insensitive, RFC 7643 §2.1), which attributes are
 * multi-valued, boolean, read-only or ignored.
 */
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from './types.js';

const CANONICAL_NAMES = [
  // RFC 7643 §4.1 User, §4.2 Group, §3.1 common attributes
  'schemas', 'id', 'externalId', 'meta', 'userName', 'name', 'displayName', 'nickName', 'profileUrl',
  'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'active', 'password', 'emails',
  'phoneNumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements', 'roles', 'x509Certificates',
  'members',
  // sub-attributes of name, addresses and multi-valued attributes (§4.1.1, §4.1.2, §2.4)
  'formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix',
  'streetAddress', 'locality', 'region', 'postalCode', 'country', 'value', 'display', 'type',
  'primary', '$ref',
  // RFC 7643 §4.3 Enterprise User
  'employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager',
];
const CANONICAL_BY_LOWER = new Map(CANONICAL_NAMES.map((n) => [n.toLowerCase(), n]));

/** The canonical spelling of a known attribute name; unknown names are returned as sent. */
export function canonicalName(name: string): string {
  return CANONICAL_BY_LOWER.get(name.toLowerCase()) ?? name;
}

const KNOWN_SCHEMAS = [CORE_USER_SCHEMA, CORE_GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA];

/** The canonical spelling of a schema URN Roster knows, else undefined. */
export function knownSchema(urn: string): string | undefined {
  return KNOWN_SCHEMAS.find((s) => s.toLowerCase() === urn.toLowerCase());
}

export function isCoreSchema(urn: string): boolean {
  const known = knownSchema(urn);
  return known === CORE_USER_SCHEMA || known === CORE_GROUP_SCHEMA;
}

/** Multi-valued User attributes (RFC 7643 §4.1.2); `groups` is read-only and ignored. */
export const USER_MULTI_VALUED = new Set([
  'emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509Certificates',
]);

/**
 * Boolean attributes. Entra ID sends `active` (and sometimes `primary`) as the
 * strings "True"/"False" in PATCH, so these are coerced.
 */
export const BOOLEAN_ATTRIBUTES = new Set(['active', 'primary']);

/**
 * Client-sent attributes a User PATCH ignores: `password` (Roster keeps no
 * credentials), `groups` (read-only, RFC 7643 §4.1.2; membership is changed
 * through Groups) and `schemas` (Roster keeps it in step with the extensions present).
 */
export const USER_IGNORED = new Set(['password', 'groups', 'schemas']);

/** Key of `obj` equal to `name` ignoring case (attribute names are case-insensitive). */
export function findKey(obj: Record<string, unknown>, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
