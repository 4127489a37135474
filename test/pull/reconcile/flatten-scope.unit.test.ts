import { describe, expect, it } from 'vitest';
import { flattenAll, flattenGroup } from '../../../src/pull/reconcile/flatten.js';
import { createScopeFilter, globToRegExp } from '../../../src/pull/reconcile/scope.js';

const edges = (users: Record<string, string[]>, children: Record<string, string[]>) => ({
  users: new Map(Object.entries(users).map(([k, v]) => [k, new Set(v)])),
  children: new Map(Object.entries(children).map(([k, v]) => [k, new Set(v)])),
});

describe('flatten', () => {
  it('makes a user of a child group a member of every ancestor', () => {
    const e = edges({ a: ['u1'], b: ['u2'], c: ['u3'] }, { a: ['b'], b: ['c'] });
    expect([...flattenGroup(e, 'a')].sort()).toEqual(['u1', 'u2', 'u3']);
    expect([...flattenGroup(e, 'b')].sort()).toEqual(['u2', 'u3']);
  });

  it('terminates on cycles and gives every group of the cycle the same members', () => {
    const e = edges({ a: ['u1'], b: ['u2'], c: ['u3'] }, { a: ['b'], b: ['c'], c: ['a'] });
    const flat = flattenAll(e, ['a', 'b', 'c']);
    for (const g of ['a', 'b', 'c']) expect([...flat.get(g)!].sort()).toEqual(['u1', 'u2', 'u3']);
  });

  it('treats a child group the directory never listed as empty', () => {
    const flat = flattenAll(edges({ a: ['u1'] }, { a: ['ghost'] }), ['a']);
    expect([...flat.get('a')!]).toEqual(['u1']);
  });
});

describe('scope', () => {
  it('matches email globs case-insensitively and anchored', () => {
    expect(globToRegExp('*@contractors.example').test('Bob@CONTRACTORS.example')).toBe(true);
    expect(globToRegExp('*@contractors.example').test('bob@contractors.example.org')).toBe(false);
    expect(globToRegExp('a?c@x.test').test('abc@x.test')).toBe(true);
    expect(globToRegExp('a.c@x.test').test('abc@x.test')).toBe(false);
  });

  it('resolves scope groups by external id or display name and reports the ones that match nothing', () => {
    const f = createScopeFilter({ groups: ['g1', 'engineering', 'Nope'] }, [['g1', 'Sales'], ['g2', 'Engineering'], ['g3', 'Other']]);
    expect(f.byGroup).toBe(true);
    expect(f.groupIds.sort()).toEqual(['g1', 'g2']);
    expect(f.unmatched).toEqual(['Nope']);
  });

  it('without scope groups keeps everyone but the excluded emails', () => {
    const f = createScopeFilter({ excludeEmailPatterns: ['*@contractors.example'] }, []);
    expect(f.byGroup).toBe(false);
    expect(f.excludesEmail('x@contractors.example')).toBe(true);
    expect(f.excludesEmail('x@example.test')).toBe(false);
    expect(f.excludesEmail(null)).toBe(false);
  });
});
