/**
 * A provider returning a value longer than Roster stores (an indexed column
 * past the btree row limit) must not fail the run: that user or group is held
 * back with a warning, and everything else, deactivations included, applies.
 */
import { describe, expect, it } from 'vitest';
import { FIELD_LIMITS } from '../../../src/core/input/index.js';
import { allChanges, DISABLED, planChanges } from '../../../src/pull/reconcile/plan.js';
import { buildSnapshot } from '../../../src/pull/reconcile/snapshot.js';
import { groupEvent, members, seqId, storedState, userEvent } from './fixtures.js';

const long = (n: number) => 'x'.repeat(n + 1);

describe('oversize values from a provider', () => {
  it('does not create a new user whose userName is too long, and says so', () => {
    const snap = buildSnapshot([[userEvent('ann'), userEvent('big', { userName: long(FIELD_LIMITS.userName) }), groupEvent('eng'), members('eng', ['ann', 'big'])]]);
    const plan = planChanges(storedState([]), snap, { mode: 'full', newId: seqId });
    const changes = allChanges(plan);
    const created = changes.filter((c) => c.kind === 'user.create').map((c) => (c as { externalId: string }).externalId);
    expect(created).toEqual(['ann']);
    expect(changes.filter((c) => c.kind === 'membership.add')).toHaveLength(1);
    expect(plan.warnings.join('\n')).toMatch(/1 user\(s\) held back.*"big".*userName/);
  });

  it('keeps a stored user as it is when its new email or displayName is too long, and still deactivates it', () => {
    const stored = storedState(['ann', 'bo']);
    const snap = buildSnapshot([
      [userEvent('ann', { email: `${long(FIELD_LIMITS.email)}@x`, active: false }), userEvent('bo', { displayName: long(FIELD_LIMITS.displayName) })],
    ]);
    const plan = planChanges(stored, snap, { mode: 'full' });
    expect(allChanges(plan)).toEqual([{ kind: 'user.deactivate', userId: 'u-ann', reason: DISABLED }]);
    expect(plan.warnings.join('\n')).toMatch(/2 user\(s\) held back/);
  });

  it('does not create a group whose displayName is too long, nor delete a stored one renamed too long', () => {
    const stored = storedState(['ann'], { eng: ['ann'] });
    const snap = buildSnapshot([[userEvent('ann'), groupEvent('eng', long(FIELD_LIMITS.groupDisplayName)), groupEvent('big', long(FIELD_LIMITS.groupDisplayName)), members('eng', ['ann']), members('big', ['ann'])]]);
    const plan = planChanges(stored, snap, { mode: 'full', newId: seqId });
    const kinds = allChanges(plan).map((c) => c.kind);
    expect(kinds).not.toContain('group.create');
    expect(kinds).not.toContain('group.update');
    expect(kinds).not.toContain('group.delete');
    expect(kinds).not.toContain('membership.remove');
    expect(plan.warnings.join('\n')).toMatch(/2 group\(s\) held back/);
  });
});
