/**
 * parseWith (src/core/validation): a failed zod parse is one ValidationError whose
 * message names what was parsed and each field at fault (the first three),
 * worded for a CLI user or an API caller; the full issue list is in details.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../../src/core/errors/index.js';
import { parseWith } from '../../../src/core/validation/index.js';

const Settings = z.strictObject({
  name: z.string(),
  size: z.number().int().min(1),
  endpoint: z.strictObject({ url: z.url() }).optional(),
  mode: z.enum(['full', 'delta']).default('full'),
});

function failure(value: unknown, schema: z.ZodType = Settings): ValidationError {
  try {
    parseWith(schema, value, 'test settings');
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('parseWith accepted the value');
}

describe('parseWith', () => {
  it('returns the parsed value, defaults filled in', () => {
    expect(parseWith(Settings, { name: 'okta', size: 2 }, 'test settings')).toEqual({ name: 'okta', size: 2, mode: 'full' });
  });

  it('says a missing field "is required", prefixed with what was parsed', () => {
    const err = failure({});
    expect(err.code).toBe('invalid_input');
    expect(err.status).toBe(400);
    expect(err.message).toBe('test settings: "name" is required; "size" is required');
  });

  it('names the field of a wrong type or value, in lower case', () => {
    expect(failure({ name: 1, size: 0 }).message).toBe('test settings: "name" invalid input: expected string, received number; "size" too small: expected number to be >=1');
  });

  it('names unknown fields with their path, one or several', () => {
    expect(failure({ name: 'x', size: 1, extra: 1, more: 2 }).message).toBe('test settings: unknown fields "extra", "more"');
    expect(failure({ name: 'x', size: 1, endpoint: { url: 'nope', port: 1 } }).message).toBe('test settings: "endpoint.url" invalid URL; unknown field "endpoint.port"');
  });

  it('says what is wrong with the value itself when it has no field', () => {
    expect(failure('okta').message).toBe('test settings: invalid input: expected object, received string');
  });

  it('puts the first three issues in the message and every issue in details', () => {
    const Four = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string() });
    const err = failure({}, Four);
    expect(err.message).toBe('test settings: "a" is required; "b" is required; "c" is required');
    expect(err.details).toEqual({
      issues: ['a', 'b', 'c', 'd'].map((field) => ({ path: [field], message: 'Invalid input: expected string, received undefined' })),
    });
  });
});
