/**
 * Discovery endpoints (RFC 7644 §4): ServiceProviderConfig, ResourceTypes and
 * Schemas (RFC 7643 §5-§7), as list responses without null values. They say
 * what Roster really does: PATCH, filter, sort and ETags yes; bulk and
 * password changes no.
 */
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, CUSTOM_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, LIST_RESPONSE_SCHEMA } from './resources/common.js';

/** Most resources a list response returns at once (`count` above it is capped). */
export const MAX_PAGE_SIZE = 200;

type Attr = Record<string, unknown>;

function attribute(name: string, type: string, extra: Partial<Attr> = {}): Attr {
  return {
    name,
    type,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...(type === 'string' || type === 'reference' ? {} : { caseExact: undefined }),
    ...extra,
  };
}

const str = (name: string, extra: Partial<Attr> = {}) => attribute(name, 'string', extra);
const complex = (name: string, subAttributes: Attr[], extra: Partial<Attr> = {}) => attribute(name, 'complex', { subAttributes, ...extra });
const multi = (name: string, typeCanonical: string[], extra: Attr[] = []) =>
  complex(
    name,
    [str('value'), str('display'), str('type', { canonicalValues: typeCanonical }), attribute('primary', 'boolean'), ...extra],
    { multiValued: true },
  );

const USER_ATTRIBUTES: Attr[] = [
  str('userName', { required: true, uniqueness: 'server' }),
  complex('name', ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => str(n))),
  str('displayName'),
  str('nickName'),
  attribute('profileUrl', 'reference', { referenceTypes: ['external'] }),
  str('title'),
  str('userType'),
  str('preferredLanguage'),
  str('locale'),
  str('timezone'),
  attribute('active', 'boolean'),
  str('password', { mutability: 'writeOnly', returned: 'never' }),
  multi('emails', ['work', 'home', 'other']),
  multi('phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  complex(
    'addresses',
    ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'].map((n) => str(n)).concat(attribute('primary', 'boolean')),
    { multiValued: true },
  ),
  complex('groups', [str('value', { mutability: 'readOnly' }), str('display', { mutability: 'readOnly' })], {
    multiValued: true,
    mutability: 'readOnly',
  }),
];

const ENTERPRISE_ATTRIBUTES: Attr[] = [
  ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) => str(n)),
  complex('manager', [str('value'), attribute('$ref', 'reference', { referenceTypes: ['User'] }), str('displayName', { mutability: 'readOnly' })]),
];

const GROUP_ATTRIBUTES: Attr[] = [
  str('displayName', { required: true }),
  complex('members', [str('value', { mutability: 'immutable' }), attribute('$ref', 'reference', { referenceTypes: ['User', 'Group'] }), str('type')], {
    multiValued: true,
  }),
];

function schema(id: string, name: string, description: string, attributes: Attr[], baseUrl: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id,
    name,
    description,
    attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  };
}

export function listResponse(resources: unknown[]) {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: resources.length, itemsPerPage: resources.length, startIndex: 1, Resources: resources };
}

export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE_SIZE },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A bearer token created with `roster token create <connection>`',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string) {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: CORE_USER_SCHEMA,
      schemaExtensions: [
        { schema: ENTERPRISE_USER_SCHEMA, required: false },
        { schema: CUSTOM_USER_SCHEMA, required: false },
      ],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: CORE_GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

/**
 * The custom extension's attributes are the connection's own (the names in
 * its settings.expressions.custom): computed by Roster, so read-only. Their
 * values may also be numbers, booleans or arrays; SCIM has no "any" type, so
 * they are declared as strings.
 */
function customAttributes(names: readonly string[]): Attr[] {
  return names.map((n) => str(n, { mutability: 'readOnly', description: "Computed by the connection's attribute expression of this name" }));
}

/** `customNames`: the custom attributes of the caller's connection. */
export function schemas(baseUrl: string, customNames: readonly string[] = []) {
  return [
    schema(CORE_USER_SCHEMA, 'User', 'User Account', USER_ATTRIBUTES, baseUrl),
    schema(ENTERPRISE_USER_SCHEMA, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRIBUTES, baseUrl),
    schema(CUSTOM_USER_SCHEMA, 'RosterCustomUser', "Named custom attributes from the connection's attribute expressions", customAttributes(customNames), baseUrl),
    schema(CORE_GROUP_SCHEMA, 'Group', 'Group', GROUP_ATTRIBUTES, baseUrl),
  ];
}
