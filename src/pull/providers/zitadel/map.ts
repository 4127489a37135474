/**
 * Zitadel v2 users and project roles → the common model (../shared/IDP-NOTES.md).
 * User states: https://zitadel.com/docs/apis/resources/user_service_v2 (UserState).
 */
import type { User } from '@zitadel/proto/zitadel/user/v2/user_pb.js';
import type { AttributeMapping, DirectoryGroup, DirectoryUser } from '../types.js';
import type { UserField } from './settings.js';

/** The v2 enum's names (`USER_STATE_ACTIVE` = 1...), without importing the proto module at run time. */
const STATE_NAMES = ['UNSPECIFIED', 'ACTIVE', 'INACTIVE', 'DELETED', 'LOCKED', 'INITIAL'] as const;

/**
 * State → active. ACTIVE and LOCKED (too many failed sign-ins: a credential
 * state, the account itself stands) keep access. INACTIVE (deactivated by an
 * admin) and DELETED lose it. INITIAL is a user created without a password or
 * verified email who has not finished initialisation: like Okta's STAGED, not
 * yet active, with `status` kept. Such a user cannot sign in before finishing
 * initialisation, which makes them ACTIVE, so the first login's lookup (and
 * the next sync) already sees them active. An unknown future state is
 * inactive (fail closed).
 */
const ACTIVE = new Set(['ACTIVE', 'LOCKED']);

export function stateName(state: number): string {
  return STATE_NAMES[state] ?? `STATE_${state}`;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

export function fieldOf(u: User, f: UserField): string | null {
  const human = u.type.case === 'human' ? u.type.value : undefined;
  switch (f) {
    case 'username': return str(u.username);
    case 'preferredLoginName': return str(u.preferredLoginName);
    case 'email': return str(human?.email?.email);
    case 'phone': return str(human?.phone?.phone);
    case 'givenName': return str(human?.profile?.givenName);
    case 'familyName': return str(human?.profile?.familyName);
    case 'nickName': return str(human?.profile?.nickName);
    case 'displayName': return str(human?.profile?.displayName);
  }
}

export function mapUser(u: User, m: AttributeMapping): DirectoryUser {
  const get = (k: keyof AttributeMapping) => fieldOf(u, m[k] as UserField);
  const givenName = get('givenName');
  const familyName = get('familyName');
  const joined = [givenName, familyName].filter(Boolean).join(' ');
  const status = stateName(u.state);
  const nickName = fieldOf(u, 'nickName');
  const phone = fieldOf(u, 'phone');
  const human = u.type.case === 'human' ? u.type.value : undefined;
  const profile: Record<string, unknown> = {};
  if (nickName) profile.nickName = nickName;
  if (phone) profile.phoneNumbers = [{ value: phone, type: 'work' }];
  if (str(human?.profile?.preferredLanguage)) profile.preferredLanguage = human!.profile!.preferredLanguage;
  return {
    externalId: u.userId,
    // The preferred login name is unique and always set: the fallback for an empty mapped field.
    userName: get('userName') ?? str(u.preferredLoginName) ?? str(u.username) ?? u.userId,
    email: get('email'),
    displayName: get('displayName') ?? (joined || null),
    givenName,
    familyName,
    active: ACTIVE.has(status),
    status,
    ...(Object.keys(profile).length ? { profile } : {}),
  };
}

/** A project role as a group: its id joins project and key, its name is the key (what tokens carry in the roles claim). */
export const groupId = (projectId: string, roleKey: string) => `${projectId}:${roleKey}`;

export function mapRole(project: { id: string; name: string }, role: { key: string; displayName?: string }): DirectoryGroup {
  return {
    externalId: groupId(project.id, role.key),
    displayName: role.key,
    profile: { projectId: project.id, projectName: project.name, ...(str(role.displayName) ? { description: role.displayName } : {}) },
  };
}

/**
 * A v2 user as plain JSON for attribute expressions, close to what Zitadel's
 * REST API answers: protobuf's `$typeName` dropped, a oneof `type: { case, value }`
 * as its case's field (so `human.profile.givenName`), 64-bit numbers and
 * timestamps' seconds as strings, bytes left out.
 */
const isOneof = (x: unknown): x is { case: string | undefined; value: unknown } =>
  x !== null && typeof x === 'object' && 'case' in x && Object.keys(x).every((k) => k === 'case' || k === 'value');

export function plainUser(u: User): Record<string, unknown> {
  const plain = (v: unknown): unknown => {
    if (typeof v === 'bigint') return v.toString();
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v instanceof Uint8Array ? undefined : v;
    if (Array.isArray(v)) return v.map(plain);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === '$typeName') continue;
      const oneof = isOneof(x) ? x : null;
      const [key, value] = oneof ? [oneof.case, oneof.value] : [k, x];
      const p = key === undefined ? undefined : plain(value);
      if (p !== undefined) out[String(key)] = p;
    }
    return out;
  };
  return plain(u) as Record<string, unknown>;
}
