/**
 * userHash writes its text out field by field for speed; the hashes stored by
 * every earlier version came from the generic sorted walk. The two must give
 * the same text for any user a provider can map, or every stored user would
 * look changed on the next sync.
 */
import { describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../src/pull/providers/types.js';
import { stable, userHash, userHashText } from '../../../src/pull/reconcile/hash.js';

/** The formula as it was: the object stable() sorts. */
const byWalk = (u: DirectoryUser) =>
  stable({ v: 1, userName: u.userName, email: u.email, displayName: u.displayName, givenName: u.givenName, familyName: u.familyName, profile: u.profile ?? null, custom: u.customAttributes });

const base: DirectoryUser = { externalId: 'x1', userName: 'ann@acme.test', email: 'ann@acme.test', displayName: 'Ann Ant', givenName: 'Ann', familyName: 'Ant', active: true };

const users: Array<[string, DirectoryUser]> = [
  ['a plain user', base],
  ['nulls', { ...base, email: null, displayName: null, givenName: null, familyName: null }],
  ['fields left undefined by a provider', { ...base, email: undefined, givenName: undefined } as unknown as DirectoryUser],
  ['a profile with keys out of order and nested values', { ...base, profile: { z: 1, a: { y: [1, 'two', null], b: true }, m: undefined } }],
  ['quotes, backslashes, unicode and control characters', { ...base, displayName: 'Ann "the \\ Ant" \u00e9\u{1f600}\n', familyName: '\u2028' }],
  ['custom attributes', { ...base, customAttributes: { costCenter: 'CC-1', level: 3, tags: ['a', 'b'], manager: null } }],
  ['custom attributes that evaluated to null', { ...base, customAttributes: null }],
  ['inactive, with a status and a source record (neither is hashed)', { ...base, active: false, status: 'SUSPENDED', source: { raw: 1 } }],
];

describe('userHash', () => {
  it.each(users)('writes the same text as the sorted walk: %s', (_, user) => {
    expect(userHashText(user)).toBe(byWalk(user));
  });

  it('moves when a hashed field moves, and not for active, status or the source record', () => {
    expect(userHash({ ...base, displayName: 'Ann B. Ant' })).not.toBe(userHash(base));
    expect(userHash({ ...base, profile: { title: 'CTO' } })).not.toBe(userHash(base));
    expect(userHash({ ...base, active: false, status: 'SUSPENDED', source: { raw: 1 } })).toBe(userHash(base));
  });
});
