/**
 * The Zitadel provider's pure parts: settings and the example file, user
 * states, cursors and watermarks, and the error codes of REST answers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { UserSchema } from '@zitadel/proto/zitadel/user/v2/user_pb.js';
import { describe, expect, it } from 'vitest';
import { validateSettings } from '../../../src/pull/providers/connection-settings.js';
import { restCode } from '../../../src/pull/providers/zitadel/errors.js';
import { mapUser } from '../../../src/pull/providers/zitadel/map.js';
import { nextWatermark, offsetPages, parseCursor } from '../../../src/pull/providers/zitadel/run.js';
import { DEFAULT_MAPPING } from '../../../src/pull/providers/zitadel/settings.js';

const user = (state: number) =>
  create(UserSchema, {
    userId: '1', state, username: 'ann', preferredLoginName: 'ann@acme.test',
    type: { case: 'human', value: { profile: { givenName: 'Ann', familyName: 'Lee' }, email: { email: 'ann@mail.test' } } },
  });

describe('settings', () => {
  it('accepts the example in config/zitadel.settings.example.json, keeping the token secret', () => {
    const example: unknown = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../config/zitadel.settings.example.json'), 'utf8'));
    expect(validateSettings('zitadel', example).secrets).toEqual({ personalAccessToken: expect.any(String) });
  });
});

describe('user states', () => {
  it.each([
    [1, 'ACTIVE', true], [4, 'LOCKED', true], [2, 'INACTIVE', false], [3, 'DELETED', false], [5, 'INITIAL', false], [0, 'UNSPECIFIED', false], [9, 'STATE_9', false],
  ])('state %i is %s, active %s', (state, status, active) => {
    expect(mapUser(user(state), DEFAULT_MAPPING)).toMatchObject({ status, active });
  });

  it('joins the names when there is no display name, and falls back to the preferred login name', () => {
    expect(mapUser(user(1), DEFAULT_MAPPING)).toMatchObject({ userName: 'ann@acme.test', email: 'ann@mail.test', displayName: 'Ann Lee' });
    expect(mapUser(user(1), { ...DEFAULT_MAPPING, userName: 'nickName' }).userName).toBe('ann@acme.test');
  });
});

describe('cursors', () => {
  it('takes only the cursor it writes', () => {
    expect(parseCursor({ v: 1, since: '2026-01-01T00:00:00.000Z' })).toEqual({ v: 1, since: '2026-01-01T00:00:00.000Z' });
    expect(parseCursor({ v: 1, since: 'yesterday' })).toBeNull();
    expect(parseCursor({ sequence: '42' })).toBeNull();
    expect(parseCursor(null)).toBeNull();
  });

  it('moves the watermark to the start less the overlap, never backwards', () => {
    const start = Date.parse('2026-01-01T01:00:00.000Z');
    expect(nextWatermark(null, start, 120)).toBe('2026-01-01T00:58:00.000Z');
    expect(nextWatermark('2026-01-01T00:59:30.000Z', start, 120)).toBe('2026-01-01T00:59:30.000Z');
  });
});

describe('REST error codes', () => {
  it('reads the gateway\'s numeric gRPC code, a connect code name, an OAuth error, or the HTTP status', () => {
    expect(restCode(403, { code: 7, message: 'No matching permissions found' })).toBe('permission_denied');
    expect(restCode(404, { code: 'not_found', message: 'x' })).toBe('not_found');
    expect(restCode(400, { error: 'invalid_grant' })).toBe('invalid_grant');
    expect(restCode(429, {})).toBe('resource_exhausted');
    expect(restCode(502, {})).toBe('internal');
  });
});

describe('offsetPages', () => {
  /** A listing of `total` items whose server answers at most `cap` a page, whatever the limit asked. */
  const listing = (total: number, cap: number) => async (offset: bigint) => {
    const start = Number(offset);
    const items = Array.from({ length: Math.max(0, Math.min(cap, total - start)) }, (_, i) => start + i);
    return { items, total: BigInt(total) };
  };
  const readAll = async (limit: number, fetch: ReturnType<typeof listing>) => {
    const seen: number[] = [];
    for await (const page of offsetPages(limit, fetch)) seen.push(...page);
    return seen;
  };

  it('reads to totalResult when the server answers fewer than the limit asked (its own maximum is lower)', async () => {
    expect(await readAll(1000, listing(12, 5))).toEqual([...Array(12).keys()]);
  });

  it('stops at totalResult, and on a short page when the server sends no total', async () => {
    expect(await readAll(5, listing(10, 5))).toHaveLength(10);
    const noTotal = async (offset: bigint) => ({ items: offset === 0n ? [1, 2] : [3], total: 0n });
    expect(await readAll(5, noTotal)).toEqual([1, 2]);
  });
});

describe('offsetPages while records are deleted', () => {
  it('refuses the listing as incomplete when totalResult falls between two pages (a record may have been passed over)', async () => {
    const totals = [10n, 9n];
    const fetch = async (offset: bigint) => ({ items: [Number(offset)], total: totals[offset === 0n ? 0 : 1]! });
    const read = async () => {
      for await (const page of offsetPages(1, fetch)) void page;
    };
    await expect(read()).rejects.toMatchObject({ kind: 'bad-response', message: expect.stringContaining('incomplete') });
  });
});
