/** Small factories for the reconciler's pure tests: directory events and stored state. */
import type { DirectoryEvent, DirectoryUser } from '../../../src/pull/providers/types.js';
import { userHash } from '../../../src/pull/reconcile/hash.js';
import type { Nesting, StoredState } from '../../../src/pull/reconcile/plan.js';

export function dirUser(id: string, extra: Partial<DirectoryUser> = {}): DirectoryUser {
  return { externalId: id, userName: `${id}@example.test`, email: `${id}@example.test`, displayName: id, givenName: id, familyName: null, active: true, ...extra };
}

export const userEvent = (id: string, extra: Partial<DirectoryUser> = {}): DirectoryEvent => ({ type: 'user', user: dirUser(id, extra) });
export const groupEvent = (id: string, displayName = id): DirectoryEvent => ({ type: 'group', group: { externalId: id, displayName } });
export const members = (group: string, users: string[], groups: string[] = [], mode: 'set' | 'add' | 'remove' = 'set'): DirectoryEvent => ({
  type: 'members',
  groupExternalId: group,
  mode,
  userExternalIds: users,
  groupExternalIds: groups,
});

/** A stored state holding exactly these users (unchanged from `dirUser`) and groups with flattened members. */
export function storedState(users: Array<string | { id: string; active?: boolean; extra?: Partial<DirectoryUser> }>, groups: Record<string, string[]> = {}, nesting: Nesting = { children: {}, users: {} }): StoredState {
  const us = users.map((u) => (typeof u === 'string' ? { id: u } : u));
  return {
    connectionId: 'conn',
    users: us.map((u) => ({ id: `u-${u.id}`, externalId: u.id, userName: `${u.id}@example.test`, active: u.active ?? true, sourceHash: userHash(dirUser(u.id, u.extra)), email: `${u.id}@example.test` })),
    groups: Object.keys(groups).map((g) => ({ id: `g-${g}`, externalId: g, displayName: g, sourceHash: null })),
    memberships: Object.entries(groups).map(([g, list]) => ({ groupId: `g-${g}`, userIds: list.map((u) => `u-${u}`) })),
    nesting,
  };
}

let n = 0;
export const seqId = () => `new-${++n}`;
