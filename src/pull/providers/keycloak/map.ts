/**
 * Keycloak users and groups → the common model (../shared/IDP-NOTES.md,
 * "Keycloak"). A user is active unless `enabled` is false; Keycloak has no
 * other account state (a brute-force lockout is temporary and leaves
 * `enabled` true), so `status` is the word `enabled` or `disabled`.
 */
import type { DirectoryGroup, DirectoryUser } from '../types.js';
import type { AttributeMapping } from '../types.js';

/** The part of UserRepresentation the mapping reads. */
export interface KeycloakUserLike {
  id?: string;
  username?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  enabled?: boolean;
  attributes?: Record<string, unknown>;
}

/** The part of GroupRepresentation the provider reads; `subGroupCount` and `parentId` exist since Keycloak 23. */
export interface KeycloakGroupLike {
  id?: string;
  name?: string;
  path?: string;
  parentId?: string;
  subGroupCount?: number;
  subGroups?: KeycloakGroupLike[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** A mapped field's value: a top-level field, or the first value of `attributes.<name>`. */
export function fieldOf(u: KeycloakUserLike, field: string): string | null {
  if (field.startsWith('attributes.')) {
    const values = u.attributes?.[field.slice('attributes.'.length)];
    return str(Array.isArray(values) ? values[0] : values);
  }
  return str((u as Record<string, unknown>)[field]);
}

/**
 * Whether a mapping reads user attributes, which only the full representation
 * carries (the default does: `attributes.displayName`). Listings and lookups
 * then read the same fields, so a user's record does not change with the way it was read.
 */
export const needsAttributes = (m: AttributeMapping) => (Object.values(m) as string[]).some((f) => f.startsWith('attributes.'));

/**
 * `enabled` absent is read as disabled: fail closed, as for an unknown state
 * elsewhere (every Keycloak version sends it).
 */
export function mapUser(u: KeycloakUserLike, m: AttributeMapping): DirectoryUser {
  const givenName = fieldOf(u, m.givenName);
  const familyName = fieldOf(u, m.familyName);
  const joined = [givenName, familyName].filter(Boolean).join(' ');
  const active = u.enabled === true;
  return {
    externalId: u.id ?? '',
    // The username is required and unique in a realm; a mapped attribute may be empty.
    userName: fieldOf(u, m.userName) ?? str(u.username) ?? u.id ?? '',
    email: fieldOf(u, m.email),
    displayName: fieldOf(u, m.displayName) ?? (joined || null),
    givenName,
    familyName,
    active,
    status: active ? 'enabled' : 'disabled',
  };
}

export function mapGroup(g: KeycloakGroupLike): DirectoryGroup {
  return { externalId: g.id ?? '', displayName: str(g.name) ?? g.id ?? '', ...(str(g.path) ? { profile: { path: g.path } } : {}) };
}
