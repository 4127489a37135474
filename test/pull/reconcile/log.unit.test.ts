/** What a run records of what it did not do: the scope's skip summary, conflict and oversize outcomes (pure). */
import { describe, expect, it } from 'vitest';
import { NOT_IN_SCOPE_GROUP, planChanges, SKIPPED_SAMPLE } from '../../../src/pull/reconcile/plan.js';
import { conflictOutcomes, failedOutcomes, oversizeOutcomes, skippedOf } from '../../../src/pull/reconcile/log.js';
import { buildSnapshot } from '../../../src/pull/reconcile/snapshot.js';
import { groupEvent, members, seqId, storedState, userEvent } from './fixtures.js';

const run = { tenantId: 't', connectionId: 'c', runId: 'r' };

describe('the scope\'s skip summary', () => {
  it('counts users out of scope per reason, naming the excluded pattern, with a sample', () => {
    const snapshot = buildSnapshot([[groupEvent('staff'), userEvent('ann'), userEvent('out'), userEvent('zed'), members('staff', ['ann', 'zed'])]]);
    const plan = planChanges(storedState([]), snapshot, { mode: 'full', scope: { groups: ['staff'], excludeEmailPatterns: ['nobody@*', 'zed@*'] }, newId: seqId });
    expect(plan.usersSynced).toBe(1);
    expect(plan.skipped.byReason).toEqual({ [NOT_IN_SCOPE_GROUP]: 1, 'email matches excluded pattern zed@*': 1 });
    expect(plan.skipped.sample).toEqual([
      { externalId: 'out', userName: 'out@example.test', email: 'out@example.test', reason: NOT_IN_SCOPE_GROUP },
      { externalId: 'zed', userName: 'zed@example.test', email: 'zed@example.test', reason: 'email matches excluded pattern zed@*' },
    ]);
    expect(skippedOf(plan.skipped)).toBe(plan.skipped);
  });

  it('keeps the sample bounded however many are left out, and says nothing when nobody is', () => {
    const ids = Array.from({ length: SKIPPED_SAMPLE + 5 }, (_, i) => `x${i}`);
    const snapshot = buildSnapshot([[groupEvent('staff'), ...ids.map((id) => userEvent(id)), members('staff', [])]]);
    const plan = planChanges(storedState([]), snapshot, { mode: 'full', scope: { groups: ['staff'] }, newId: seqId });
    expect(plan.skipped.byReason).toEqual({ [NOT_IN_SCOPE_GROUP]: SKIPPED_SAMPLE + 5 });
    expect(plan.skipped.sample).toHaveLength(SKIPPED_SAMPLE);
    const open = planChanges(storedState([]), buildSnapshot([[userEvent('ann')]]), { mode: 'full', newId: seqId });
    expect(skippedOf(open.skipped)).toBeNull();
  });
});

describe('held outcomes', () => {
  it('names who holds a userName, for a create (by IdP id) and a rename (by stored id)', () => {
    const rows = conflictOutcomes(run, [
      { user: 'ext-1', userName: 'ann@x', heldBy: { connection: 'acme/hr' } },
      { user: 'u-2', userId: 'u-2', userName: 'bo@x', heldBy: { listing: 'ext-9' } },
    ]);
    expect(rows).toEqual([
      expect.objectContaining({ outcome: 'held', source: 'sync', runId: 'r', entityId: null, externalId: 'ext-1', userName: 'ann@x', reason: 'userName "ann@x" is taken (held by a user of acme/hr)' }),
      expect.objectContaining({ outcome: 'held', entityId: 'u-2', externalId: null, reason: 'userName "bo@x" is taken (also claimed by ext-9 in this listing)', detail: expect.objectContaining({ action: 'user.update' }) }),
    ]);
  });

  it('holds back a record with an oversize value, with the value cut short', () => {
    const long = 'x'.repeat(5000);
    const snapshot = buildSnapshot([[userEvent('ann', { userName: long })]]);
    const plan = planChanges(storedState([]), snapshot, { mode: 'full', newId: seqId });
    expect(plan.changes).toEqual([]);
    const [row] = oversizeOutcomes(run, plan.held);
    expect(row).toMatchObject({ outcome: 'held', entityType: 'user', externalId: 'ann', reason: expect.stringContaining('"userName" is 5000 characters long') });
    expect(row!.userName!.length).toBeLessThan(100);
  });
});

describe('failed outcomes', () => {
  it('names each user, group and membership of the transaction that failed, with the error', () => {
    const rows = failedOutcomes(run, [
      { kind: 'user.create', connectionId: 'c', id: 'n1', externalId: 'e1', attributes: { userName: 'ann@x' } },
      { kind: 'user.deactivate', userId: 'u2', reason: 'disabled in the IdP' },
      { kind: 'membership.add', groupId: 'g1', userId: 'u3' },
      { kind: 'group.delete', groupId: 'g2' },
    ], 'boom');
    expect(rows.map((r) => [r.entityType, r.entityId ?? r.externalId, r.outcome, r.reason])).toEqual([
      ['user', 'e1', 'failed', 'apply failed: boom'],
      ['user', 'u2', 'failed', 'apply failed: boom'],
      ['membership', 'u3', 'failed', 'apply failed: boom'],
      ['group', 'g2', 'failed', 'apply failed: boom'],
    ]);
    expect(rows[0]).toMatchObject({ userName: 'ann@x', detail: { action: 'user.create' } });
  });
});
