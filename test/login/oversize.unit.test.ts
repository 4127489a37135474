/**
 * Sync on login with an IdP record holding a value longer than Roster stores:
 * the whole apply would fail and the login fall back to the stored state, so
 * a user the IdP just disabled would still be let in. Instead the oversize
 * part is left out and the deactivation applies.
 */
import { expect, it } from 'vitest';
import { FIELD_LIMITS } from '../../src/core/input/index.js';
import { planLoginSync, type LoginPlanInput } from '../../src/login/index.js';
import type { DirectoryUser } from '../../src/pull/providers/index.js';

let ids = 0;
const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
const person = (over: Partial<DirectoryUser> = {}): DirectoryUser => ({
  externalId: 'ext-ann', userName: 'ann@acme.test', email: 'ann@acme.test', displayName: 'Ann', givenName: 'Ann', familyName: 'Lee', active: true, ...over,
});
const input = (over: Partial<LoginPlanInput>): LoginPlanInput => ({
  connectionId: '00000000-0000-4000-8000-000000000001', stored: undefined, storedMemberships: new Map(), knownGroups: new Map(),
  live: { user: person(), groups: [] }, groupsComplete: true, newId, ...over,
});
const tooLong = 'x'.repeat(FIELD_LIMITS.displayName + 1);

it('deactivates a stored user the IdP disabled even when its new displayName is too long to store', () => {
  const plan = planLoginSync(input({ stored: { id: 'u1', externalId: 'ext-ann', active: true, sourceHash: 'old' }, live: { user: person({ active: false, displayName: tooLong }), groups: [] } }));
  expect(plan.allowed).toBe(false);
  expect(plan.changes).toEqual([expect.objectContaining({ kind: 'user.deactivate', userId: 'u1' })]);
});

it('does not create a new user whose userName is too long, and refuses the login saying why', () => {
  const plan = planLoginSync(input({ live: { user: person({ userName: 'y'.repeat(FIELD_LIMITS.userName + 1) }), groups: [] } }));
  expect(plan.changes).toEqual([]);
  expect(plan.allowed).toBe(false);
  expect(plan.reason).toMatch(/userName.*at most 512/);
});

it('leaves out a group whose displayName is too long, keeping the others', () => {
  const plan = planLoginSync(input({ live: { user: person(), groups: [{ externalId: 'g-big', displayName: 'g'.repeat(FIELD_LIMITS.groupDisplayName + 1) }, { externalId: 'g-ok', displayName: 'Staff' }] } }));
  const groups = plan.changes.filter((c) => c.kind === 'group.create');
  expect(groups).toEqual([expect.objectContaining({ externalId: 'g-ok' })]);
  expect(plan.changes.filter((c) => c.kind === 'membership.add')).toHaveLength(1);
});
