/**
 * JumpCloud system users and user groups → the common model
 * (../shared/IDP-NOTES.md, "Common model" and "JumpCloud").
 *
 * States: ACTIVATED is an active account. SUSPENDED is a disabled one.
 * STAGED is an account created but not yet activated (no password set, the
 * activation email pending, or a scheduled activation): it cannot sign in,
 * so it is inactive, with `status` kept so the host app can tell "not yet"
 * from "no longer" (as Okta's STAGED). `account_locked` (too many failed
 * logins; an admin or a timer unlocks it) is a credential state of an active
 * account: the user keeps their roles, as Okta's LOCKED_OUT does.
 * Records without `state` (older ones) are read from `suspended`/`activated`;
 * a state JumpCloud may add later is inactive (fail closed).
 */
import type { DirectoryGroup, DirectoryUser } from '../types.js';
import type { AttributeMapping } from '../types.js';
import type { SystemUser, UserGroup } from './wire.js';

export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Fields a listing asks for (`fields`), besides the mapped ones. */
const BASE_FIELDS = [
  '_id', 'username', 'email', 'firstname', 'lastname', 'displayname', 'state', 'activated', 'suspended', 'account_locked',
  'middlename', 'jobTitle', 'department', 'company', 'costCenter', 'employeeIdentifier', 'employeeType', 'phoneNumbers',
];

/** The `fields` parameter: what the mapping and the profile read, nothing more (smaller pages). */
export function fieldsFor(mapping: AttributeMapping, source?: readonly string[] | null): string {
  // `fields` is space-separated: only plain names of what the expressions read can go in.
  const extra = (source ?? []).filter((f) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(f));
  return [...new Set([...BASE_FIELDS, ...Object.values(mapping), ...extra])].join(' ');
}

export function stateOf(u: SystemUser): string {
  if (u.state) return u.state;
  if (u.suspended) return 'SUSPENDED';
  return u.activated === false ? 'STAGED' : 'ACTIVATED';
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : null);

function compact(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
  return Object.keys(out).length ? out : undefined;
}

function scimProfile(u: Record<string, unknown>): Record<string, unknown> | undefined {
  const phones = Array.isArray(u.phoneNumbers)
    ? u.phoneNumbers.flatMap((p: { number?: unknown; type?: unknown }) => (str(p?.number) ? [{ value: str(p.number), type: str(p.type) ?? 'work' }] : []))
    : [];
  return compact({
    title: str(u.jobTitle),
    userType: str(u.employeeType),
    name: compact({ middleName: str(u.middlename) }),
    phoneNumbers: phones.length ? phones : undefined,
    ...(u.account_locked === true ? { accountLocked: true } : {}),
    [ENTERPRISE_USER]: compact({
      employeeNumber: str(u.employeeIdentifier),
      department: str(u.department),
      organization: str(u.company),
      costCenter: str(u.costCenter),
    }),
  });
}

export function mapUser(u: SystemUser, m: AttributeMapping): DirectoryUser {
  const record = u as Record<string, unknown>;
  const givenName = str(record[m.givenName]);
  const familyName = str(record[m.familyName]);
  const joined = [givenName, familyName].filter(Boolean).join(' ');
  const state = stateOf(u);
  const profile = scimProfile(record);
  return {
    externalId: u._id,
    // `username` is required and unique in JumpCloud; a custom userName field may be empty.
    userName: str(record[m.userName]) ?? u.username,
    email: str(record[m.email]),
    displayName: str(record[m.displayName]) ?? (joined || null),
    givenName,
    familyName,
    active: state === 'ACTIVATED',
    status: state,
    ...(profile ? { profile } : {}),
  };
}

export function mapGroup(g: UserGroup): DirectoryGroup {
  const profile = compact({ description: str(g.description) });
  return { externalId: g.id, displayName: str(g.name) ?? g.id, ...(profile ? { profile } : {}) };
}
