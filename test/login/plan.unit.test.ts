import { describe, expect, it } from 'vitest';
import { planLoginSync, type LoginPlanInput } from '../../src/login/index.js';
import type { DirectoryUser, UserWithGroups } from '../../src/pull/providers/index.js';
import { userHash } from '../../src/pull/reconcile/hash.js';

const CONN = '00000000-0000-4000-8000-000000000001';
let ids = 0;
const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;

const person = (over: Partial<DirectoryUser> = {}): DirectoryUser => ({
  externalId: 'ext-ann',
  userName: 'ann@acme.test',
  email: 'ann@acme.test',
  displayName: 'Ann',
  givenName: 'Ann',
  familyName: 'Lee',
  active: true,
  ...over,
});
const live = (user: DirectoryUser, groups: string[] = []): UserWithGroups => ({ user, groups: groups.map((g) => ({ externalId: `g-${g}`, displayName: g })) });
const input = (over: Partial<LoginPlanInput>): LoginPlanInput => ({
  connectionId: CONN,
  stored: undefined,
  storedMemberships: new Map(),
  knownGroups: new Map(),
  live: live(person()),
  groupsComplete: true,
  newId,
  ...over,
});

describe('planLoginSync', () => {
  it('writes nothing for a user whose record, state and groups are what the store holds', () => {
    const user = person();
    const plan = planLoginSync(
      input({
        stored: { id: 'u1', externalId: 'ext-ann', active: true, sourceHash: userHash(user) },
        live: live(user, ['Staff']),
        storedMemberships: new Map([['g-Staff', 'gid-staff']]),
        knownGroups: new Map([['g-Staff', { id: 'gid-staff', sourceHash: null }]]),
      }),
    );
    expect(plan).toEqual({ changes: [], userId: 'u1', allowed: true });
  });

  it('creates a new user, the groups Roster has not seen, and the memberships, in that order', () => {
    const plan = planLoginSync(input({ live: live(person(), ['Staff', 'Admins']), knownGroups: new Map([['g-Staff', { id: 'gid-staff', sourceHash: null }]]) }));
    expect(plan.changes.map((c) => c.kind)).toEqual(['user.create', 'group.create', 'membership.add', 'membership.add']);
    expect(plan.allowed).toBe(true);
  });

  it('removes memberships the IdP no longer lists only when its answer lists every group', () => {
    const stored = { id: 'u1', externalId: 'ext-ann', active: true, sourceHash: userHash(person()) };
    const storedMemberships = new Map([['g-Old', 'gid-old']]);
    expect(planLoginSync(input({ stored, storedMemberships, groupsComplete: true })).changes).toEqual([{ kind: 'membership.remove', groupId: 'gid-old', userId: 'u1' }]);
    expect(planLoginSync(input({ stored, storedMemberships, groupsComplete: false })).changes).toEqual([]);
  });

  it('denies and deactivates a user the IdP disabled, left out of scope, or no longer has', () => {
    const stored = { id: 'u1', externalId: 'ext-ann', active: true, sourceHash: userHash(person()) };
    const disabled = planLoginSync(input({ stored, live: live(person({ active: false })) }));
    expect(disabled).toMatchObject({ allowed: false, changes: [{ kind: 'user.deactivate', userId: 'u1' }] });
    const excluded = planLoginSync(input({ stored, scope: { excludeEmailPatterns: ['*@acme.test'] } }));
    expect(excluded).toMatchObject({ allowed: false, changes: [{ kind: 'user.deactivate', userId: 'u1' }] });
    const notInGroup = planLoginSync(input({ stored, scope: { groups: ['Engineering'] }, live: live(person(), ['Staff']) }));
    expect(notInGroup.allowed).toBe(false);
    const gone = planLoginSync(input({ stored, live: null }));
    expect(gone).toMatchObject({ allowed: false, changes: [{ kind: 'user.deactivate', userId: 'u1' }] });
    expect(planLoginSync(input({ live: null }))).toMatchObject({ allowed: false, changes: [], userId: undefined });
  });
});
