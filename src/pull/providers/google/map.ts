/**
 * Google Directory API resources → Roster's common model.
 * Users resource: https://developers.google.com/admin-sdk/directory/reference/rest/v1/users
 * Members resource: https://developers.google.com/admin-sdk/directory/reference/rest/v1/members
 */
import type { admin_directory_v1 } from '@googleapis/admin';
import type { DirectoryEvent, DirectoryGroup, DirectoryUser } from '../types.js';
import type { AttributeMapping } from '../types.js';

type GoogleUser = admin_directory_v1.Schema$User;
type GoogleGroup = admin_directory_v1.Schema$Group;
type GoogleMember = admin_directory_v1.Schema$Member;

/** Which Google user field feeds each common-model field. */
export type GoogleAttributeMapping = AttributeMapping;

export const DEFAULT_MAPPING: GoogleAttributeMapping = {
  userName: 'primaryEmail',
  email: 'primaryEmail',
  displayName: 'name.fullName',
  givenName: 'name.givenName',
  familyName: 'name.familyName',
};

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/**
 * A CUSTOMER member means "every user of the Google customer" (members
 * resource, `type`). The provider models the customer as a synthetic group
 * with this external id prefix, lists its members from the user listing it
 * already made, and names it as a nested group of the group that had the
 * CUSTOMER member: the reconciler's ordinary nested-group flattening then
 * expands it, with no Google-specific code in shared code.
 */
export const CUSTOMER_GROUP_PREFIX = 'google-customer:';

export function customerGroup(customerId: string): DirectoryGroup {
  return {
    externalId: CUSTOMER_GROUP_PREFIX + customerId,
    displayName: `All users (Google customer ${customerId})`,
    profile: { synthetic: true, source: 'CUSTOMER member' },
  };
}

function at(user: GoogleUser, path: string): string | null {
  let value: unknown = user;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Google returns these repeated fields as arrays of objects (typed `any` in the SDK). */
function list(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object') : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** SCIM-shaped extras (RFC 7643 §4.1 title/phoneNumbers, §4.3 enterprise extension). */
function profileOf(user: GoogleUser): Record<string, unknown> {
  const orgs = list(user.organizations);
  const org = orgs.find((o) => o.primary === true) ?? orgs[0];
  const employeeNumber = str(list(user.externalIds).find((e) => e.type === 'organization')?.value);
  const manager = str(list(user.relations).find((r) => r.type === 'manager')?.value);
  const profile: Record<string, unknown> = {};
  const title = str(org?.title);
  if (title) profile.title = title;
  const phones = list(user.phones)
    .filter((p) => str(p.value))
    .map((p) => ({ value: p.value, type: str(p.type) ?? 'other', ...(p.primary === true ? { primary: true } : {}) }));
  if (phones.length) profile.phoneNumbers = phones;
  const enterprise: Record<string, unknown> = {};
  if (employeeNumber) enterprise.employeeNumber = employeeNumber;
  if (str(org?.department)) enterprise.department = org!.department;
  if (str(org?.costCenter)) enterprise.costCenter = org!.costCenter;
  if (str(org?.name)) enterprise.organization = org!.name;
  if (manager) enterprise.manager = { value: manager };
  if (Object.keys(enterprise).length) profile[ENTERPRISE] = enterprise;
  if (user.orgUnitPath) profile.orgUnitPath = user.orgUnitPath;
  return profile;
}

/**
 * What mapUser and profileOf read of a user: asked as a partial response
 * (`fields`, https://developers.google.com/admin-sdk/directory/v1/guides/performance#partial),
 * so Google sends, and Roster parses, no more than that. Keep it in step
 * with the two functions; a test maps the same users with and without it.
 */
const USER_FIELDS = ['id', 'primaryEmail', 'suspended', 'archived', 'orgUnitPath', 'organizations', 'externalIds', 'relations', 'phones'];

/**
 * The `users(...)` selection for a mapping: the fields above plus the
 * top-level field of each mapped path (`name` for `name.fullName`,
 * `customSchemas` for a custom field). Null, meaning the whole record, when a
 * path's first step is not a plain field name the selection syntax can carry.
 */
export function userFieldSelection(mapping: GoogleAttributeMapping): string | null {
  const fields = new Set(USER_FIELDS);
  for (const path of Object.values(mapping)) {
    const top = path.split('.')[0]!;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(top)) return null;
    fields.add(top);
  }
  return [...fields].join(',');
}

/** What mapGroup reads of a group. */
export const GROUP_FIELDS = 'id,email,name,description';

/** What mapMembersPage reads of a member (not role, status or email). */
export const MEMBER_FIELDS = 'id,type';

export function mapUser(user: GoogleUser, mapping: GoogleAttributeMapping): DirectoryUser {
  if (!user.id || !user.primaryEmail) throw new TypeError('Google user without id or primaryEmail');
  const archived = user.archived === true;
  const suspended = user.suspended === true;
  return {
    externalId: user.id,
    userName: at(user, mapping.userName) ?? user.primaryEmail,
    email: at(user, mapping.email),
    displayName: at(user, mapping.displayName),
    givenName: at(user, mapping.givenName),
    familyName: at(user, mapping.familyName),
    // An archived user (Archived User licence) cannot sign in either: inactive, like suspended.
    active: !suspended && !archived,
    status: archived ? 'archived' : suspended ? 'suspended' : 'active',
    profile: profileOf(user),
  };
}

export function mapGroup(group: GoogleGroup): DirectoryGroup {
  if (!group.id) throw new TypeError('Google group without id');
  const profile: Record<string, unknown> = {};
  if (group.email) profile.email = group.email;
  if (group.description) profile.description = group.description;
  return { externalId: group.id, displayName: group.name || group.email || group.id, profile };
}

/**
 * One members page as an event. USER → user ids, GROUP → nested group ids,
 * CUSTOMER → the synthetic customer group (see CUSTOMER_GROUP_PREFIX).
 * Returns the customer ids seen so the run can emit that group afterwards.
 */
export function mapMembersPage(
  groupExternalId: string,
  mode: 'set' | 'add',
  members: GoogleMember[],
): { event: DirectoryEvent & { type: 'members' }; customers: string[] } {
  const userExternalIds: string[] = [];
  const groupExternalIds: string[] = [];
  const customers: string[] = [];
  for (const m of members) {
    if (!m.id) continue;
    if (m.type === 'USER') userExternalIds.push(m.id);
    else if (m.type === 'GROUP') groupExternalIds.push(m.id);
    else if (m.type === 'CUSTOMER') {
      customers.push(m.id);
      groupExternalIds.push(CUSTOMER_GROUP_PREFIX + m.id);
    }
  }
  return { event: { type: 'members', groupExternalId, mode, userExternalIds, groupExternalIds }, customers };
}
