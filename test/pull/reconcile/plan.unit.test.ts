import { describe, expect, it } from 'vitest';
import type { LifecycleChange } from '../../../src/core/lifecycle/index.js';
import { allChanges, LEFT_SCOPE, planChanges, sortChanges, SOFT_DELETED } from '../../../src/pull/reconcile/plan.js';
import { buildSnapshot } from '../../../src/pull/reconcile/snapshot.js';
import { userHash } from '../../../src/pull/reconcile/hash.js';
import { dirUser, groupEvent, members, seqId, storedState, userEvent } from './fixtures.js';

const kinds = (changes: LifecycleChange[]) => changes.map((c) => c.kind);
const known = (s: ReturnType<typeof storedState>) => new Map(s.users.map((u) => [u.externalId, u.sourceHash!]));
/** The plan with its memberships drawn into `changes`, in apply order. */
const planAll = (...args: Parameters<typeof planChanges>) => {
  const plan = planChanges(...args);
  return { ...plan, changes: allChanges(plan) };
};

describe('planChanges, full mode', () => {
  it('creates groups, users and flattened memberships, in lifecycle order', () => {
    const snap = buildSnapshot([[groupEvent('eng'), groupEvent('plat'), userEvent('ann'), userEvent('bo'), members('eng', ['ann'], ['plat']), members('plat', ['bo'])]]);
    const plan = planAll(storedState([]), snap, { mode: 'full', newId: seqId });
    expect(kinds(plan.changes)).toEqual(['group.create', 'group.create', 'user.create', 'user.create', 'membership.add', 'membership.add', 'membership.add']);
    const adds = plan.changes.filter((c) => c.kind === 'membership.add');
    expect(adds).toHaveLength(3); // ann→eng, bo→eng (through plat), bo→plat
    expect(plan.nesting).toEqual({ children: { eng: ['plat'] }, users: { eng: ['ann'] } });
    expect(plan.usersSynced).toBe(2);
  });

  it('produces no change for an unchanged directory', () => {
    const stored = storedState(['ann', 'bo'], { eng: ['ann', 'bo'] });
    stored.groups[0]!.sourceHash = buildSnapshot([[groupEvent('eng')]]).groups.get('eng')!.hash;
    const snap = buildSnapshot([[groupEvent('eng'), userEvent('ann'), userEvent('bo'), members('eng', ['ann', 'bo'])]], true, known(stored));
    expect(snap.users.get('ann')!.record).toBeNull(); // unchanged records keep only their hash
    expect(planAll(stored, snap, { mode: 'full' }).changes).toEqual([]);
  });

  it('updates a renamed user with its new hash, and nobody else', () => {
    const stored = storedState(['ann', 'bo']);
    const snap = buildSnapshot([[userEvent('ann', { displayName: 'Ann B.' }), userEvent('bo')]], true, known(stored));
    const plan = planAll(stored, snap, { mode: 'full' });
    expect(plan.changes).toEqual([
      expect.objectContaining({ kind: 'user.update', userId: 'u-ann', sourceHash: userHash(dirUser('ann', { displayName: 'Ann B.' })) }),
    ]);
  });

  it('deactivates users absent from a complete listing, never deletes them', () => {
    const stored = storedState(['ann', 'bo', { id: 'cy', active: false }]);
    const plan = planAll(stored, buildSnapshot([[userEvent('ann')]], true, known(stored)), { mode: 'full' });
    expect(plan.changes).toEqual([{ kind: 'user.deactivate', userId: 'u-bo', reason: LEFT_SCOPE }]);
  });

  it('hard-deletes only on a `deleted` removal and deactivates a soft delete', () => {
    const stored = storedState(['ann', 'bo']);
    const snap = buildSnapshot([[{ type: 'user.removed', externalId: 'ann', reason: 'deleted' }, { type: 'user.removed', externalId: 'bo', reason: 'soft-deleted' }]]);
    const plan = planAll(stored, snap, { mode: 'delta' });
    expect(plan.changes).toEqual([
      { kind: 'user.deactivate', userId: 'u-bo', reason: SOFT_DELETED },
      { kind: 'user.delete', userId: 'u-ann' },
    ]);
  });

  it('reactivates a returning user and deactivates one the IdP disabled', () => {
    const stored = storedState([{ id: 'ann', active: false }, 'bo']);
    const snap = buildSnapshot([[userEvent('ann'), userEvent('bo', { active: false })]], true, known(stored));
    expect(kinds(planAll(stored, snap, { mode: 'full' }).changes)).toEqual(['user.reactivate', 'user.deactivate']);
  });

  it('removes memberships per group and deletes groups gone from the listing', () => {
    const stored = storedState(['ann', 'bo'], { eng: ['ann', 'bo'], old: ['ann'] });
    const snap = buildSnapshot([[groupEvent('eng'), userEvent('ann'), userEvent('bo'), members('eng', ['ann'])]], true, known(stored));
    const plan = planAll(stored, snap, { mode: 'full' });
    expect(plan.changes.filter((c) => c.kind !== 'group.update')).toEqual([
      { kind: 'membership.remove', groupId: 'g-eng', userId: 'u-bo' },
      { kind: 'group.delete', groupId: 'g-old' },
    ]);
  });

  it('ignores members the listing never named and resolves groups listed later', () => {
    const snap = buildSnapshot([[members('eng', ['ann', 'ghost'])], [userEvent('ann'), groupEvent('eng')]]);
    const plan = planAll(storedState([]), snap, { mode: 'full', newId: seqId });
    expect(plan.changes.filter((c) => c.kind === 'membership.add')).toHaveLength(1);
  });

  it('applies the scope: only members of scope groups, minus excluded emails', () => {
    const snap = buildSnapshot([
      [groupEvent('g1', 'App Users'), userEvent('ann'), userEvent('bo'), userEvent('cy', { email: 'cy@contractors.example' }), members('g1', ['ann', 'cy'])],
    ]);
    const stored = storedState(['bo']);
    const plan = planAll(stored, snap, { mode: 'full', newId: seqId, scope: { groups: ['app users'], excludeEmailPatterns: ['*@contractors.example'] } });
    const created = plan.changes.filter((c) => c.kind === 'user.create').map((c) => (c as { externalId: string }).externalId);
    expect(created).toEqual(['ann']);
    expect(plan.changes).toContainEqual({ kind: 'user.deactivate', userId: 'u-bo', reason: LEFT_SCOPE });
  });
});

describe('sortChanges', () => {
  const u = (kind: 'user.deactivate' | 'user.reactivate', userId: string): LifecycleChange => ({ kind, userId });
  const g = (groupId: string): LifecycleChange => ({ kind: 'group.delete', groupId });

  it('orders changes by kind, keeping the order within a kind', () => {
    const changes = [u('user.deactivate', 'a'), g('x'), u('user.reactivate', 'b'), u('user.deactivate', 'c')];
    expect(sortChanges(changes)).toEqual([u('user.reactivate', 'b'), u('user.deactivate', 'a'), u('user.deactivate', 'c'), g('x')]);
  });

  it('returns a plan already in order as it is (a first sync: no copy of 100k creates)', () => {
    const changes = [u('user.reactivate', 'b'), u('user.deactivate', 'a'), g('x')];
    expect(sortChanges(changes)).toBe(changes);
  });
});

describe('planChanges, delta mode', () => {
  it('changes only what the events say: absence means nothing', () => {
    const stored = storedState(['ann', 'bo'], { eng: ['ann'] });
    const snap = buildSnapshot([[userEvent('cy'), members('eng', ['bo'], [], 'add')]], true, known(stored));
    const plan = planAll(stored, snap, { mode: 'delta', newId: seqId });
    expect(kinds(plan.changes)).toEqual(['user.create', 'membership.add']);
  });

  it('propagates a child group removal to the parent through the stored nesting', () => {
    const stored = storedState(['ann', 'bo'], { eng: ['ann', 'bo'], plat: ['bo'] }, { children: { eng: ['plat'] }, users: { eng: ['ann'] } });
    const snap = buildSnapshot([[members('plat', ['bo'], [], 'remove')]]);
    const plan = planAll(stored, snap, { mode: 'delta' });
    expect(plan.changes).toEqual([
      { kind: 'membership.remove', groupId: 'g-eng', userId: 'u-bo' },
      { kind: 'membership.remove', groupId: 'g-plat', userId: 'u-bo' },
    ]);
  });

  it('keeps the parent\'s own direct member when a child drops the same user', () => {
    const stored = storedState(['ann'], { eng: ['ann'], plat: ['ann'] }, { children: { eng: ['plat'] }, users: { eng: ['ann'] } });
    const plan = planAll(stored, buildSnapshot([[members('plat', ['ann'], [], 'remove')]]), { mode: 'delta' });
    expect(plan.changes).toEqual([{ kind: 'membership.remove', groupId: 'g-plat', userId: 'u-ann' }]);
  });

  it('deletes a group only when the delta says it was removed', () => {
    const stored = storedState([], { eng: [], ops: [] });
    const plan = planAll(stored, buildSnapshot([[{ type: 'group.removed', externalId: 'ops' }]]), { mode: 'delta' });
    expect(plan.changes).toEqual([{ kind: 'group.delete', groupId: 'g-ops' }]);
  });
});

describe('planChanges, userName collisions', () => {
  it('deletes a deleted user before creating its namesake (the IdP deleted and recreated them)', () => {
    const stored = storedState(['ann']);
    const snap = buildSnapshot([[{ type: 'user.removed', externalId: 'ann', reason: 'deleted' }, userEvent('ann2', { userName: 'ANN@example.test' })]]);
    const plan = planAll(stored, snap, { mode: 'delta', newId: seqId });
    expect(kinds(plan.changes)).toEqual(['user.delete', 'user.create']);
  });

  it('leaves a new user whose userName a kept user holds to the userName check, with its memberships drawn separately', () => {
    const stored = storedState(['ann'], { eng: ['ann'] });
    const snap = buildSnapshot([[groupEvent('eng'), userEvent('ann'), userEvent('ann2', { userName: 'ann@example.test' }), members('eng', ['ann', 'ann2'])]], true, known(stored));
    const plan = planChanges(stored, snap, { mode: 'full', newId: seqId });
    expect(kinds(plan.changes)).toEqual(['user.create', 'group.update']);
    expect(plan.counts).toMatchObject({ 'user.create': 1, 'membership.add': 1 });
    const created = plan.changes[0] as { id: string };
    // The reconciler draws memberships without the users it held back.
    expect([...plan.memberships.byGroup(new Set([created.id]))]).toEqual([]);
  });
});
