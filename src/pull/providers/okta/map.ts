/**
 * Okta users and groups → the common model (../shared/IDP-NOTES.md, "Common
 * model"). User statuses: https://developer.okta.com/docs/reference/api/users/#user-status
 */
import type { DirectoryGroup, DirectoryUser } from '../types.js';
import type { AttributeMapping } from './settings.js';

export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The part of the SDK's User / Group models the mapping reads. */
export interface OktaUserLike {
  id?: string;
  status?: string;
  lastUpdated?: Date | string | null;
  profile?: object | null;
}
export interface OktaGroupLike {
  id?: string;
  type?: string;
  lastUpdated?: Date | string | null;
  lastMembershipUpdated?: Date | string | null;
  profile?: object | null;
}

/**
 * Okta status → active. SUSPENDED and DEPROVISIONED are disabled accounts.
 * STAGED and PROVISIONED users exist but have never signed in (activation
 * pending): they are mapped inactive, with `status` kept so the host app can
 * tell "not yet" from "no longer". LOCKED_OUT, PASSWORD_EXPIRED and RECOVERY
 * are active accounts in a credential state; the user must keep their roles.
 * An unknown future status is treated as inactive (fail closed).
 */
const ACTIVE_STATUSES = new Set(['ACTIVE', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'RECOVERY']);

export function isActiveStatus(status: string | undefined): boolean {
  return status !== undefined && ACTIVE_STATUSES.has(status);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : null);

function compact<T extends Record<string, unknown>>(o: T): Partial<T> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return Object.keys(out).length ? (out as Partial<T>) : undefined;
}

/** Okta's standard profile attributes in SCIM core / enterprise shape (RFC 7643 §4.1, §4.3). */
function scimProfile(p: Record<string, unknown>): Record<string, unknown> {
  const phones = [
    str(p.primaryPhone) && { value: str(p.primaryPhone), type: 'work', primary: true },
    str(p.mobilePhone) && { value: str(p.mobilePhone), type: 'mobile' },
  ].filter(Boolean);
  const address = compact({
    type: 'work',
    streetAddress: str(p.streetAddress),
    locality: str(p.city),
    region: str(p.state),
    postalCode: str(p.zipCode),
    country: str(p.countryCode),
    formatted: str(p.postalAddress),
  });
  const manager = compact({ value: str(p.managerId), displayName: str(p.manager) });
  const enterprise = compact({
    employeeNumber: str(p.employeeNumber),
    costCenter: str(p.costCenter),
    organization: str(p.organization),
    division: str(p.division),
    department: str(p.department),
    manager,
  });
  const out = compact({
    title: str(p.title),
    nickName: str(p.nickName),
    profileUrl: str(p.profileUrl),
    userType: str(p.userType),
    preferredLanguage: str(p.preferredLanguage),
    locale: str(p.locale),
    timezone: str(p.timezone),
    name: compact({ middleName: str(p.middleName), honorificPrefix: str(p.honorificPrefix), honorificSuffix: str(p.honorificSuffix) }),
    phoneNumbers: phones.length ? phones : undefined,
    // A lone { type: 'work' } is no address.
    addresses: address && Object.keys(address).length > 1 ? [address] : undefined,
    emails: str(p.secondEmail) ? [{ value: str(p.secondEmail), type: 'other' }] : undefined,
    [ENTERPRISE_USER]: enterprise,
  });
  return out ?? {};
}

export function mapUser(u: OktaUserLike, m: AttributeMapping): DirectoryUser {
  const p = (u.profile ?? {}) as Record<string, unknown>;
  const givenName = str(p[m.givenName]);
  const familyName = str(p[m.familyName]);
  const joined = [givenName, familyName].filter(Boolean).join(' ');
  const profile = scimProfile(p);
  return {
    externalId: u.id ?? '',
    // Okta's login is required and unique; a custom userName field may be empty, so fall back to it.
    userName: str(p[m.userName]) ?? str(p.login) ?? u.id ?? '',
    email: str(p[m.email]),
    displayName: str(p[m.displayName]) ?? (joined || null),
    givenName,
    familyName,
    active: isActiveStatus(u.status),
    ...(u.status ? { status: u.status } : {}),
    ...(Object.keys(profile).length ? { profile } : {}),
  };
}

export function mapGroup(g: OktaGroupLike): DirectoryGroup {
  const p = (g.profile ?? {}) as Record<string, unknown>;
  const profile = compact({ description: str(p.description), oktaType: str(g.type) });
  return { externalId: g.id ?? '', displayName: str(p.name) ?? g.id ?? '', ...(profile ? { profile } : {}) };
}

/** The built-in Everyone group (type BUILT_IN) holds every user: see index.ts. */
export const isBuiltIn = (g: OktaGroupLike) => g.type === 'BUILT_IN';

export function isoOf(v: Date | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
