/**
 * What a filter may name, per resource type, and where Roster keeps it.
 *
 * Attribute types and `caseExact` follow RFC 7643 §4.1 (User), §4.2 (Group)
 * and §4.3 (Enterprise User); §7 fixes the schema URNs. Keys are normalized
 * paths (see `normalizeAttributeKey`): lower case, the core schema URN
 * stripped, an extension URN kept as its own namespace.
 *
 * The catalog is data: sql.ts has one rule per storage kind, not one per
 * attribute, so adding an attribute is adding a line here.
 */
import type { AttributePath } from './parse.js';
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from '../resources/common.js';

export { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA };

/** RFC 7643 §2.3 data types Roster evaluates (`reference` compares as a string). */
export type AttributeType = 'string' | 'boolean' | 'dateTime' | 'number';

/** A column of the resource's row (or, inside a relation, of the related row). */
export interface ColumnStorage {
  kind: 'column';
  column: string;
  /** A uuid column: `eq`/`ne` compare as uuid (index-friendly), other operators on its text. */
  uuid?: boolean;
  /** Never null in the schema (so `ne` needs no null handling). */
  notNull?: boolean;
}

/** A path of object keys inside a jsonb document: the row's `profile`, or one array element. */
export interface JsonStorage {
  kind: 'json';
  path: readonly string[];
}

export interface ScalarAttribute {
  kind: 'scalar';
  /** Canonical spelling, for messages. */
  name: string;
  type: AttributeType;
  caseExact: boolean;
  storage: ColumnStorage | JsonStorage;
}

/** Where the elements of a multi-valued attribute live. */
export type ElementSource =
  /** A jsonb array in the row's `profile`: `jsonb_array_elements(profile -> 'emails')`. */
  | { kind: 'jsonArray'; path: readonly string[] }
  /** Rows of another table that point at the resource: `group_memberships where group_id = <row>.id`. */
  | { kind: 'relation'; table: string; parentColumn: string };

export interface MultiValuedAttribute {
  kind: 'multiValued';
  name: string;
  elements: ElementSource;
  /** Sub-attributes that can be filtered on, keyed lower case; storage is relative to one element. */
  subAttributes: Readonly<Record<string, ScalarAttribute>>;
  /**
   * A row column that also holds a value of a sub-attribute: the user's
   * `email` column is one of their `emails.value`s (a pulled user may have no
   * `profile.emails` at all). Used for `emails.value op x`, not inside `[...]`:
   * the column carries no `type` or `primary` to filter on.
   */
  mirroredColumns?: Readonly<Record<string, ColumnStorage>>;
}

export type CatalogAttribute = ScalarAttribute | MultiValuedAttribute;

export interface FilterCatalog {
  resourceType: 'User' | 'Group';
  /** The core schema URN, which a client may put in front of any core attribute. */
  coreSchema: string;
  attributes: Readonly<Record<string, CatalogAttribute>>;
}

const column = (
  name: string,
  type: AttributeType,
  caseExact: boolean,
  storage: Omit<ColumnStorage, 'kind'>,
): ScalarAttribute => ({ kind: 'scalar', name, type, caseExact, storage: { kind: 'column', ...storage } });

const json = (name: string, path: readonly string[], type: AttributeType = 'string', caseExact = false): ScalarAttribute => ({
  kind: 'scalar',
  name,
  type,
  caseExact,
  storage: { kind: 'json', path },
});

/** Sub-attributes of a multi-valued element, each read from the element's own key. */
function elementAttributes(
  specs: Record<string, { type?: AttributeType; caseExact?: boolean }>,
): Record<string, ScalarAttribute> {
  const out: Record<string, ScalarAttribute> = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name.toLowerCase()] = json(name, [name], spec.type ?? 'string', spec.caseExact ?? false);
  }
  return out;
}

const jsonArray = (
  name: string,
  specs: Record<string, { type?: AttributeType; caseExact?: boolean }>,
  mirroredColumns?: Record<string, ColumnStorage>,
): MultiValuedAttribute => ({
  kind: 'multiValued',
  name,
  elements: { kind: 'jsonArray', path: [name] },
  subAttributes: elementAttributes(specs),
  ...(mirroredColumns ? { mirroredColumns } : {}),
});

/** RFC 7643 §2.4: the common sub-attributes of multi-valued attributes. */
const STANDARD_ELEMENT = { value: {}, display: {}, type: {}, primary: { type: 'boolean' } } as const;

/** Group membership, either side: `members` of a group, `groups` of a user (RFC 7643 §4.1.2, §4.2). */
const membershipRelation = (name: string, parentColumn: string, valueColumn: string): MultiValuedAttribute => ({
  kind: 'multiValued',
  name,
  elements: { kind: 'relation', table: 'group_memberships', parentColumn },
  subAttributes: { value: column('value', 'string', true, { column: valueColumn, uuid: true, notNull: true }) },
});

const meta = {
  'meta.created': column('meta.created', 'dateTime', false, { column: 'created_at', notNull: true }),
  'meta.lastmodified': column('meta.lastModified', 'dateTime', false, { column: 'updated_at', notNull: true }),
};

const enterprise = (name: string, path: readonly string[] = [name]): [string, ScalarAttribute] => [
  `${ENTERPRISE_USER_SCHEMA}:${name}`.toLowerCase(),
  json(`${ENTERPRISE_USER_SCHEMA}:${name}`, [ENTERPRISE_USER_SCHEMA, ...path]),
];

export const USER_FILTER_CATALOG: FilterCatalog = {
  resourceType: 'User',
  coreSchema: CORE_USER_SCHEMA,
  attributes: {
    id: column('id', 'string', true, { column: 'id', uuid: true, notNull: true }),
    externalid: column('externalId', 'string', true, { column: 'external_id' }),
    // Case-insensitive (RFC 7643 §4.1.1) and compared as lower(user_name): the unique index's expression.
    username: column('userName', 'string', false, { column: 'user_name', notNull: true }),
    displayname: column('displayName', 'string', false, { column: 'display_name' }),
    'name.givenname': column('name.givenName', 'string', false, { column: 'given_name' }),
    'name.familyname': column('name.familyName', 'string', false, { column: 'family_name' }),
    'name.formatted': json('name.formatted', ['name', 'formatted']),
    'name.middlename': json('name.middleName', ['name', 'middleName']),
    'name.honorificprefix': json('name.honorificPrefix', ['name', 'honorificPrefix']),
    'name.honorificsuffix': json('name.honorificSuffix', ['name', 'honorificSuffix']),
    nickname: json('nickName', ['nickName']),
    profileurl: json('profileUrl', ['profileUrl']),
    title: json('title', ['title']),
    usertype: json('userType', ['userType']),
    preferredlanguage: json('preferredLanguage', ['preferredLanguage']),
    locale: json('locale', ['locale']),
    timezone: json('timezone', ['timezone']),
    active: column('active', 'boolean', false, { column: 'active', notNull: true }),
    ...meta,
    emails: jsonArray('emails', STANDARD_ELEMENT, { value: { kind: 'column', column: 'email' } }),
    phonenumbers: jsonArray('phoneNumbers', STANDARD_ELEMENT),
    ims: jsonArray('ims', STANDARD_ELEMENT),
    photos: jsonArray('photos', { ...STANDARD_ELEMENT, value: { caseExact: true } }),
    addresses: jsonArray('addresses', {
      formatted: {},
      streetAddress: {},
      locality: {},
      region: {},
      postalCode: {},
      country: {},
      type: {},
      primary: { type: 'boolean' },
    }),
    entitlements: jsonArray('entitlements', STANDARD_ELEMENT),
    roles: jsonArray('roles', STANDARD_ELEMENT),
    groups: membershipRelation('groups', 'user_id', 'group_id'),
    ...Object.fromEntries([
      enterprise('employeeNumber'),
      enterprise('costCenter'),
      enterprise('organization'),
      enterprise('division'),
      enterprise('department'),
      enterprise('manager.value', ['manager', 'value']),
      // The manager is a complex attribute compared by its value (Entra filters `manager eq "<id>"`).
      enterprise('manager', ['manager', 'value']),
      enterprise('manager.displayName', ['manager', 'displayName']),
    ]),
    // Entra in one of its documented modes names the manager at the core level; it is
    // stored (and so filtered) as the enterprise extension's manager.value.
    manager: json(`${ENTERPRISE_USER_SCHEMA}:manager.value`, [ENTERPRISE_USER_SCHEMA, 'manager', 'value']),
    'manager.value': json(`${ENTERPRISE_USER_SCHEMA}:manager.value`, [ENTERPRISE_USER_SCHEMA, 'manager', 'value']),
  },
};

export const GROUP_FILTER_CATALOG: FilterCatalog = {
  resourceType: 'Group',
  coreSchema: CORE_GROUP_SCHEMA,
  attributes: {
    id: column('id', 'string', true, { column: 'id', uuid: true, notNull: true }),
    externalid: column('externalId', 'string', true, { column: 'external_id' }),
    displayname: column('displayName', 'string', false, { column: 'display_name', notNull: true }),
    ...meta,
    members: membershipRelation('members', 'group_id', 'user_id'),
  },
};

/** `URN:…:core:2.0:User:Name.GivenName` → `name.givenname`; extension URNs stay as a prefix. */
export function normalizeAttributeKey(attribute: AttributePath, catalog: FilterCatalog): string {
  const dotted = attribute.names.join('.').toLowerCase();
  if (attribute.schema === undefined || attribute.schema.toLowerCase() === catalog.coreSchema.toLowerCase()) {
    return dotted;
  }
  return `${attribute.schema.toLowerCase()}:${dotted}`;
}

export const formatAttributePath = (attribute: AttributePath): string =>
  (attribute.schema ? `${attribute.schema}:` : '') + attribute.names.join('.');

/** What an attribute path resolves to in a catalog. */
export type ResolvedAttribute =
  | { kind: 'scalar'; attribute: ScalarAttribute }
  /** `emails` (sub undefined) or `emails.value` (sub = the value sub-attribute). */
  | { kind: 'multiValued'; attribute: MultiValuedAttribute; sub?: ScalarAttribute; subKey?: string };

/** Looks an attribute path up; undefined when the catalog has no such attribute. */
export function resolveAttribute(attribute: AttributePath, catalog: FilterCatalog): ResolvedAttribute | undefined {
  const key = normalizeAttributeKey(attribute, catalog);
  const entry = catalog.attributes[key];
  if (entry?.kind === 'scalar') return { kind: 'scalar', attribute: entry };
  if (entry?.kind === 'multiValued') return { kind: 'multiValued', attribute: entry };
  const dot = key.lastIndexOf('.');
  const parent = dot > 0 ? catalog.attributes[key.slice(0, dot)] : undefined;
  if (parent?.kind !== 'multiValued') return undefined;
  const subKey = key.slice(dot + 1);
  const sub = parent.subAttributes[subKey];
  return sub ? { kind: 'multiValued', attribute: parent, sub, subKey } : undefined;
}
