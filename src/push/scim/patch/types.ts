/**
 * Types of the SCIM PATCH engine (RFC 7644 §3.5.2). Wire shapes only: the
 * route maps them to and from store rows.
 */
import type { Filter } from 'scim2-parse-filter';
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from '../resources/common.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA };

/** RFC 7644 §3.5.2: the three operations (matched case-insensitively, Entra sends `Replace`). */
export type PatchOpKind = 'add' | 'replace' | 'remove';

/** A value filter inside `attr[...]` (RFC 7644 §3.5.2 "valuePath"), parsed once. */
export interface ValueFilter {
  readonly source: string;
  readonly ast: Filter;
}

/**
 * A parsed PATCH path (RFC 7644 §3.5.2, ABNF `PATH = attrPath / valuePath [subAttr]`).
 * Core schema URNs are dropped (`urn:...:core:2.0:User:userName` is `userName`);
 * an extension URN goes to `schema`. A path naming an extension itself
 * (`urn:...:enterprise:2.0:User`) has that URN as its `attribute`.
 * Known attribute names are put in their canonical case (RFC 7643 §2.1: names
 * are case-insensitive).
 */
export interface PatchPath {
  readonly text: string;
  readonly schema?: string;
  readonly attribute: string;
  readonly filter?: ValueFilter;
  readonly subAttribute?: string;
}

/** One attribute of a no-path operation's value object, with its key parsed as a path. */
export interface ResourceEntry {
  readonly path: PatchPath;
  readonly value: unknown;
}

/** An operation with a path. `value` is absent only for `remove`. */
export interface PathOperation {
  readonly op: PatchOpKind;
  readonly path: PatchPath;
  readonly value?: unknown;
}

/**
 * An `add`/`replace` without a path: the target is the resource itself and the
 * value's keys (plain, dotted or URN-qualified) are its attributes.
 */
export interface ResourceOperation {
  readonly op: 'add' | 'replace';
  readonly path?: undefined;
  readonly entries: readonly ResourceEntry[];
}

export type PatchOperation = PathOperation | ResourceOperation;

export interface ScimMultiValue {
  value?: string;
  display?: string;
  type?: string;
  primary?: boolean;
  $ref?: string;
  [subAttribute: string]: unknown;
}

export interface ScimManager {
  value?: string;
  $ref?: string;
  displayName?: string;
}

export interface ScimEnterpriseUser {
  employeeNumber?: string;
  costCenter?: string;
  organization?: string;
  division?: string;
  department?: string;
  manager?: ScimManager;
  [attribute: string]: unknown;
}

/** An RFC 7643 §4.1 User as Roster renders it. Unknown attributes are kept (see user-patch.ts). */
export interface ScimUser {
  schemas: string[];
  id: string;
  externalId?: string;
  userName: string;
  name?: { givenName?: string; familyName?: string; formatted?: string; middleName?: string; [sub: string]: unknown };
  displayName?: string;
  nickName?: string;
  title?: string;
  userType?: string;
  preferredLanguage?: string;
  locale?: string;
  timezone?: string;
  active?: boolean;
  emails?: ScimMultiValue[];
  phoneNumbers?: ScimMultiValue[];
  addresses?: ScimMultiValue[];
  [ENTERPRISE_USER_SCHEMA]?: ScimEnterpriseUser;
  meta?: Record<string, unknown>;
  [attribute: string]: unknown;
}

/**
 * What a group PATCH changes, computed without the current member list
 * (groups can have tens of thousands of members). Apply in this order:
 * if `replaceWith` is set, membership becomes exactly `replaceWith`; then add
 * `add`, then remove `remove`. Operations are folded in request order, so once
 * `replaceWith` is set `add` and `remove` are empty, and `add`/`remove` never
 * share an id. Member ids are returned as sent: the caller drops unknown ones.
 */
export interface GroupPatchPlan {
  displayName?: string;
  /** `null` clears the externalId. */
  externalId?: string | null;
  members: {
    add: string[];
    remove: string[];
    replaceWith?: string[];
    /** The `display` (or `displayName`) a client sent with an added member, by member id. */
    displays?: Record<string, string>;
  };
}
