/**
 * Graph user → common model. `$select` lists exactly the properties read here:
 * Graph charges less for narrow selects and, for users/delta, tracks changes
 * only on selected properties (https://learn.microsoft.com/graph/delta-query-users).
 */
import { withSource, type DirectoryGroup, type DirectoryUser } from '../types.js';
import type { EntraSettings } from './settings.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Properties behind `profile` (SCIM shape): jobTitle → title, department/employeeId → enterprise extension, mobilePhone → phoneNumbers. */
const PROFILE_PROPERTIES = ['jobTitle', 'department', 'employeeId', 'mobilePhone'];

export function userSelect({ mapping, source }: Pick<EntraSettings, 'mapping' | 'source'>): string[] {
  // accountEnabled is outside Graph's default property set: without it every user would look active.
  // userPrincipalName is always there: it is the userName fallback when the mapped property is empty.
  // `source`: what the attribute expressions read (extension attributes come only when named here).
  const props = ['id', 'accountEnabled', 'userPrincipalName', ...Object.values(mapping), ...PROFILE_PROPERTIES, ...(source ?? [])];
  return [...new Set(props)];
}

export const GROUP_DELTA_SELECT = ['displayName', 'members'];

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

export function mapUser(raw: Record<string, unknown>, { mapping, source }: Pick<EntraSettings, 'mapping' | 'source'>): DirectoryUser {
  const profile: Record<string, unknown> = {};
  const title = str(raw.jobTitle);
  if (title) profile.title = title;
  const mobile = str(raw.mobilePhone);
  if (mobile) profile.phoneNumbers = [{ value: mobile, type: 'mobile' }];
  const enterprise: Record<string, string> = {};
  const department = str(raw.department);
  if (department) enterprise.department = department;
  const employeeNumber = str(raw.employeeId);
  if (employeeNumber) enterprise.employeeNumber = employeeNumber;
  if (Object.keys(enterprise).length) profile[ENTERPRISE] = enterprise;
  const user: DirectoryUser = {
    externalId: String(raw.id),
    userName: str(raw[mapping.userName]) ?? str(raw.userPrincipalName) ?? String(raw.id),
    email: str(raw[mapping.email]),
    displayName: str(raw[mapping.displayName]),
    givenName: str(raw[mapping.givenName]),
    familyName: str(raw[mapping.familyName]),
    // Entra: only an explicit accountEnabled:false disables (IDP-NOTES, "Common model").
    active: raw.accountEnabled !== false,
  };
  if (Object.keys(profile).length) user.profile = profile;
  return withSource(user, raw, source);
}

export function mapGroup(raw: Record<string, unknown>): DirectoryGroup {
  return { externalId: String(raw.id), displayName: str(raw.displayName) ?? String(raw.id) };
}
