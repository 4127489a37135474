import { describe, expect, it } from 'vitest';
import { inspectJson, MAX_JSON_DEPTH } from '../../../src/core/input/index.js';

const nested = (levels: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

describe('inspectJson', () => {
  it('passes ordinary values, emoji (surrogate pairs) included', () => {
    expect(inspectJson({ a: [1, 'x', { b: null, c: '😀' }], 'urn:x:y': true })).toBeUndefined();
  });

  it('names the path of a NUL in a nested value', () => {
    expect(inspectJson({ emails: [{ value: 'ok' }, { value: 'a\u0000' }] }, 'body')).toMatchObject({ kind: 'character', path: 'body.emails[1].value' });
  });

  it('names a key holding a NUL, escaped, with its parent', () => {
    const problem = inspectJson({ name: { 'giv\u0000en': 'x' } });
    expect(problem?.message).toBe('the key "giv\\u0000en" in "name" contains a NUL character (U+0000), which cannot be stored');
  });

  it('refuses a lone surrogate', () => {
    expect(inspectJson(['\ud800'])?.message).toMatch(/lone UTF-16 surrogate/);
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more`, () => {
    expect(inspectJson(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(inspectJson(nested(MAX_JSON_DEPTH + 1))).toMatchObject({ kind: 'depth' });
  });
});
