import { describe, expect, it } from 'vitest';
import type { LifecycleChange } from '../../../src/core/lifecycle/index.js';
import { guardPlan, removalLimit } from '../../../src/pull/reconcile/guard.js';
import { buildSnapshot, createSnapshotBuilder } from '../../../src/pull/reconcile/snapshot.js';
import { members, userEvent } from './fixtures.js';

const deactivate = (n: number): LifecycleChange[] => Array.from({ length: n }, (_, i) => ({ kind: 'user.deactivate', userId: `u${i}` }));
const create: LifecycleChange = { kind: 'user.create', connectionId: 'c', attributes: { userName: 'x' } };
const none = { count: null, percent: null };

describe('guard', () => {
  it('defaults to 10% of the users or 500, whichever is smaller', () => {
    expect(removalLimit(none, 1000)).toBe(100);
    expect(removalLimit(none, 100_000)).toBe(500);
    expect(removalLimit({ count: 3, percent: null }, 1000)).toBe(3);
    expect(removalLimit({ count: null, percent: 50 }, 10)).toBe(5);
  });

  it('strips every destructive change from an incomplete listing and says partial', () => {
    const changes: LifecycleChange[] = [create, ...deactivate(2), { kind: 'membership.remove', groupId: 'g', userId: 'u' }, { kind: 'group.delete', groupId: 'g' }];
    const r = guardPlan({ changes, complete: false, error: 'network: page 3 failed', pages: 2, storedUsers: 100, threshold: none });
    expect(r.status).toBe('partial');
    expect(r.apply).toEqual([create]);
    expect(r.withheld).toHaveLength(4);
    expect(r.message).toContain('page 3 failed');
  });

  it('calls a listing that read nothing failed', () => {
    expect(guardPlan({ changes: [], complete: false, error: 'auth: bad secret', pages: 0, storedUsers: 5, threshold: none }).status).toBe('failed');
  });

  it('holds a plan removing more users than the threshold, applying only the safe part', () => {
    const r = guardPlan({ changes: [create, ...deactivate(11)], complete: true, pages: 1, storedUsers: 100, threshold: none });
    expect(r.status).toBe('held');
    expect(r.apply).toEqual([create]);
    expect(r.withheld).toHaveLength(11);
    expect(r.message).toContain('11 of 100');
  });

  it('holds a plan deleting more groups than the threshold (a listing that lost its groups)', () => {
    const deletes: LifecycleChange[] = Array.from({ length: 3 }, (_, i) => ({ kind: 'group.delete', groupId: `g${i}` }));
    const r = guardPlan({ changes: [create, ...deletes], complete: true, pages: 1, storedUsers: 100, storedGroups: 20, threshold: none });
    expect(r.status).toBe('held');
    expect(r.apply).toEqual([create]);
    expect(r.message).toContain('deletes 3 of 20 group(s)');
  });

  it('lets a plan at the threshold through', () => {
    expect(guardPlan({ changes: deactivate(10), complete: true, pages: 1, storedUsers: 100, threshold: none }).status).toBe('succeeded');
  });
});

describe('snapshot', () => {
  it('continues a `set` member list with `add` pages and restarts it on a new `set`', () => {
    const s = buildSnapshot([[members('g', ['a'])], [members('g', ['b'], [], 'add')]]);
    expect([...s.members.get('g')!.users]).toEqual(['a', 'b']);
    expect(s.members.get('g')!.complete).toBe(true);
    const t = buildSnapshot([[members('g', ['a'])], [members('g', ['c'])]]);
    expect([...t.members.get('g')!.users]).toEqual(['c']);
  });

  it('keeps the record only of users whose hash differs from the stored one', () => {
    const first = buildSnapshot([[userEvent('a'), userEvent('b')]]);
    const known = new Map([['a', first.users.get('a')!.hash], ['b', 'stale']]);
    const b = createSnapshotBuilder(known);
    b.add([userEvent('a'), userEvent('b')]);
    const s = b.finish(false);
    expect(s.users.get('a')!.record).toBeNull();
    expect(s.users.get('b')!.record?.externalId).toBe('b');
    expect(s.complete).toBe(false);
    expect(s.pages).toBe(1);
  });

  it('forgets a user the same run later removed', () => {
    const s = buildSnapshot([[userEvent('a')], [{ type: 'user.removed', externalId: 'a', reason: 'deleted' }]]);
    expect(s.users.has('a')).toBe(false);
    expect(s.removedUsers.get('a')).toBe('deleted');
  });
});
