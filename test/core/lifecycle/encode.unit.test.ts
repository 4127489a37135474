import { describe, expect, it } from 'vitest';
import { flatJsonArray } from '../../../src/core/lifecycle/encode.js';

describe('flatJsonArray', () => {
  it('writes the same document as JSON.stringify, escapes included', () => {
    const items = [['g1', ['u1', 'u2']], { a: 'quote " and \\ and é', b: null, c: [1, 2.5, true] }, 'plain', 7, null];
    expect(flatJsonArray(items)).toBe(JSON.stringify(items));
    expect(JSON.parse(flatJsonArray(items))).toEqual(items);
  });

  it('writes an empty array, and undefined items as null as JSON.stringify does', () => {
    expect(flatJsonArray([])).toBe('[]');
    expect(flatJsonArray([undefined, 1])).toBe(JSON.stringify([undefined, 1]));
  });

  it('handles a document far larger than the rope threshold', () => {
    const items = Array.from({ length: 5000 }, (_, i) => [`group-${i % 7}`, [`user-${i}`]]);
    const doc = flatJsonArray(items);
    expect(doc.length).toBeGreaterThan(100_000);
    expect(doc).toBe(JSON.stringify(items));
  });
});
