import { describe, expect, it } from 'vitest';
import { splitIntoRuns, type LifecycleChange } from '../../../src/core/lifecycle/index.js';
import { ValidationError } from '../../../src/core/errors/index.js';

const member = (groupId: string, userId: string): LifecycleChange => ({ kind: 'membership.add', groupId, userId });
const deactivate = (userId: string): LifecycleChange => ({ kind: 'user.deactivate', userId });

describe('splitIntoRuns', () => {
  it('groups consecutive changes of one kind into one run, keeping the order of kinds', () => {
    const runs = splitIntoRuns([member('g', 'a'), member('g', 'b'), deactivate('a'), deactivate('b'), member('g', 'c')]);
    expect(runs.map((r) => [r.kind, r.changes.length])).toEqual([
      ['membership.add', 2],
      ['user.deactivate', 2],
      ['membership.add', 1],
    ]);
  });

  it('starts a new run when the same thing is changed twice, so a bulk statement never sees it twice', () => {
    const runs = splitIntoRuns([
      { kind: 'user.update', userId: 'u1', attributes: { displayName: 'A' } },
      { kind: 'user.update', userId: 'u2', attributes: { displayName: 'B' } },
      { kind: 'user.update', userId: 'u1', attributes: { displayName: 'C' } },
    ]);
    expect(runs.map((r) => r.changes.length)).toEqual([2, 1]);
  });

  it('rejects an unknown change kind with a validation error', () => {
    expect(() => splitIntoRuns([{ kind: 'user.explode' } as unknown as LifecycleChange])).toThrow(ValidationError);
  });

  it('returns no runs for an empty batch', () => {
    expect(splitIntoRuns([])).toEqual([]);
  });
});
