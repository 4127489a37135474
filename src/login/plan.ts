/**
 * What a login teaches about one user: the changes that bring the store in
 * line with the IdP's live answer for that user and their groups. Pure: the
 * service reads the stored state and the IdP, this decides, the lifecycle
 * layer applies. The changes carry the same source hashes as the scheduled
 * sync's, so the next sync finds nothing left to write for this user.
 */
import type { LifecycleChange } from '../core/lifecycle/index.js';
import { overLimit } from '../core/input/limits.js';
import type { DirectoryUser, UserWithGroups } from '../pull/providers/index.js';
import { groupHash, userHash } from '../pull/reconcile/hash.js';
import { createScopeFilter, type ScopeSettings } from '../pull/reconcile/scope.js';

export interface StoredLoginUser {
  id: string;
  externalId: string | null;
  active: boolean;
  sourceHash: string | null;
}

export interface LoginPlanInput {
  connectionId: string;
  /** The user as stored for this connection, if they are. */
  stored: StoredLoginUser | undefined;
  /** Groups of this connection that the stored user is in: group external id → group id. */
  storedMemberships: ReadonlyMap<string, string>;
  /** Groups of this connection already stored, by external id (those the live answer names). */
  knownGroups: ReadonlyMap<string, { id: string; sourceHash: string | null }>;
  /** The IdP's answer; null = the IdP has no such user. */
  live: UserWithGroups | null;
  /**
   * Whether the IdP listed every group the user is in, nested ones included
   * (then a stored membership it did not list is removed). Otherwise the
   * login only adds memberships, and removals wait for the scheduled sync.
   */
  groupsComplete: boolean;
  scope?: ScopeSettings | undefined;
  newId: () => string;
}

export interface LoginPlan {
  changes: LifecycleChange[];
  /** The user's id after the changes (a new user gets `newId()`); undefined when there is none. */
  userId: string | undefined;
  allowed: boolean;
  /** Why the login is denied, when it is. */
  reason?: string;
}

export const NOT_IN_IDP = 'not found in the IdP at login';
export const DISABLED_AT_LOGIN = 'disabled in the IdP (seen at login)';
export const OUT_OF_SCOPE_AT_LOGIN = 'outside the connection’s scope (seen at login)';

const attributesOf = (live: UserWithGroups) => {
  const u = live.user;
  return { userName: u.userName, email: u.email, displayName: u.displayName, givenName: u.givenName, familyName: u.familyName, profile: u.profile ?? null, customAttributes: u.customAttributes ?? null };
};

function oversize(u: DirectoryUser): string | undefined {
  return overLimit('userName', u.userName) ?? overLimit('email', u.email) ?? overLimit('externalId', u.externalId) ?? overLimit('displayName', u.displayName);
}

export function planLoginSync(input: LoginPlanInput): LoginPlan {
  const { stored, live } = input;
  if (!live) {
    if (!stored) return { changes: [], userId: undefined, allowed: false, reason: 'no such user in the IdP' };
    const changes: LifecycleChange[] = stored.active ? [{ kind: 'user.deactivate', userId: stored.id, reason: NOT_IN_IDP }] : [];
    return { changes, userId: stored.id, allowed: false, reason: NOT_IN_IDP };
  }

  const scope = createScopeFilter(input.scope, live.groups.map((g) => [g.externalId, g.displayName] as [string, string]));
  const inScope = !scope.excludesEmail(live.user.email) && (!scope.byGroup || scope.groupIds.length > 0);
  if (!inScope) {
    if (!stored) return { changes: [], userId: undefined, allowed: false, reason: OUT_OF_SCOPE_AT_LOGIN };
    const changes: LifecycleChange[] = stored.active ? [{ kind: 'user.deactivate', userId: stored.id, reason: OUT_OF_SCOPE_AT_LOGIN }] : [];
    return { changes, userId: stored.id, allowed: false, reason: OUT_OF_SCOPE_AT_LOGIN };
  }

  const changes: LifecycleChange[] = [];
  const hash = userHash(live.user);
  // A value too long to store would fail the whole apply (src/core/input/limits.ts): the record is left as stored, its state still follows.
  const tooLong = oversize(live.user);
  let userId: string;
  if (!stored) {
    if (tooLong) return { changes: [], userId: undefined, allowed: false, reason: `the IdP's record of this user cannot be stored: ${tooLong}` };
    userId = input.newId();
    changes.push({ kind: 'user.create', connectionId: input.connectionId, id: userId, externalId: live.user.externalId, attributes: attributesOf(live), active: live.user.active, sourceHash: hash });
  } else {
    userId = stored.id;
    if (stored.sourceHash !== hash && !tooLong) changes.push({ kind: 'user.update', userId, attributes: attributesOf(live), sourceHash: hash });
    if (live.user.active && !stored.active) changes.push({ kind: 'user.reactivate', userId });
    if (!live.user.active && stored.active) changes.push({ kind: 'user.deactivate', userId, reason: DISABLED_AT_LOGIN });
  }

  // Groups first, then memberships: each kind travels as one bulk statement.
  const listed = new Set<string>();
  const memberships: LifecycleChange[] = [];
  for (const g of live.groups) {
    if (listed.has(g.externalId)) continue;
    listed.add(g.externalId);
    let groupId = input.knownGroups.get(g.externalId)?.id;
    if (!groupId) {
      // Not created while a value is too long to store (the scheduled sync says so in its report).
      if (overLimit('groupDisplayName', g.displayName, 'displayName') ?? overLimit('externalId', g.externalId)) continue;
      groupId = input.newId();
      changes.push({ kind: 'group.create', connectionId: input.connectionId, id: groupId, externalId: g.externalId, displayName: g.displayName, profile: g.profile ?? null, sourceHash: groupHash(g) });
    }
    if (!input.storedMemberships.has(g.externalId)) memberships.push({ kind: 'membership.add', groupId, userId });
  }
  if (input.groupsComplete) {
    for (const [externalId, groupId] of input.storedMemberships) {
      if (!listed.has(externalId)) memberships.push({ kind: 'membership.remove', groupId, userId });
    }
  }
  changes.push(...memberships);
  return live.user.active ? { changes, userId, allowed: true } : { changes, userId, allowed: false, reason: DISABLED_AT_LOGIN };
}
