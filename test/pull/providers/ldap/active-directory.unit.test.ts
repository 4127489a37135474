/**
 * The pure parts of reading Active Directory (src/pull/providers/ldap/active-directory/):
 * GUID layout, the disabled bit, accountExpires, and the ranged-retrieval answer.
 * The same functions against a real Samba AD DC: active-directory.test.ts.
 */
import type { Entry } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { fileTimeToDate, hasExpired, isAccountDisabled } from '../../../../src/pull/providers/ldap/active-directory/account.js';
import { formatObjectGuid } from '../../../../src/pull/providers/ldap/active-directory/guid.js';
import { answeredRange } from '../../../../src/pull/providers/ldap/active-directory/members.js';
import { ProviderError } from '../../../../src/pull/providers/types.js';

describe('formatObjectGuid', () => {
  it('reads the first three fields little-endian and the last eight bytes in order (MS-DTYP 2.3.4.2)', () => {
    expect(formatObjectGuid(Buffer.from('33221100554477668899aabbccddeeff', 'hex'))).toBe('00112233-4455-6677-8899-aabbccddeeff');
    // A user's objectGUID as Samba stored it, and as `samba-tool user show` printed it.
    expect(formatObjectGuid(Buffer.from('85e527e75914da458cdf25c01f621b76', 'hex'))).toBe('e727e585-1459-45da-8cdf-25c01f621b76');
  });

  it('does not reorder the buffer it was given', () => {
    const bytes = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
    formatObjectGuid(bytes);
    expect(bytes.toString('hex')).toBe('33221100554477668899aabbccddeeff');
  });

  it('refuses anything but 16 bytes, saying a binary attribute was probably decoded as text', () => {
    expect(() => formatObjectGuid(Buffer.alloc(15))).toThrow(ProviderError);
    expect(() => formatObjectGuid(Buffer.from('not sixteen bytes'))).toThrow(/16 bytes, got 17 bytes .*explicitBufferAttributes/);
  });
});

describe('isAccountDisabled', () => {
  it('is the ACCOUNTDISABLE bit (2) of userAccountControl, as ldapts returns it (a string) or as a number', () => {
    expect(isAccountDisabled('512')).toBe(false);
    expect(isAccountDisabled('514')).toBe(true);
    expect(isAccountDisabled(544)).toBe(false);
    expect(isAccountDisabled(546)).toBe(true);
    expect(isAccountDisabled('66048')).toBe(false); // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
    expect(isAccountDisabled('66050')).toBe(true);
  });

  it('refuses a value that is not an integer', () => {
    expect(() => isAccountDisabled('enabled')).toThrow(ProviderError);
  });
});

describe('hasExpired', () => {
  const FT_2026 = '134116992000000000'; // 2026-01-01T00:00:00Z as a FILETIME
  it('reads accountExpires as 100 ns intervals since 1601-01-01 UTC', () => {
    expect(fileTimeToDate(FT_2026)?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(hasExpired(FT_2026, new Date('2025-12-31T23:59:59Z'))).toBe(false);
    expect(hasExpired(FT_2026, new Date('2026-01-01T00:00:00Z'))).toBe(true);
    expect(hasExpired(BigInt(FT_2026), new Date('2026-06-01T00:00:00Z'))).toBe(true);
  });

  it('treats 0, the largest int64 and an absent attribute as never', () => {
    const farFuture = new Date('9999-01-01T00:00:00Z');
    expect(hasExpired('0', farFuture)).toBe(false);
    expect(hasExpired('9223372036854775807', farFuture)).toBe(false);
    expect(hasExpired(undefined, farFuture)).toBe(false);
    expect(fileTimeToDate('9223372036854775807')).toBeUndefined();
  });

  it('refuses a value that is not a FILETIME', () => {
    expect(() => hasExpired('tomorrow', new Date())).toThrow(ProviderError);
  });
});

describe('answeredRange', () => {
  const dn = 'CN=big,CN=Users,DC=roster,DC=test';
  it('reads a cut answer (member;range=0-1499) and the last one (member;range=1500-*)', () => {
    expect(answeredRange({ dn, 'member;range=0-1499': ['a', 'b'] }, 'member')).toEqual({ key: 'member;range=0-1499', low: 0, high: 1499 });
    expect(answeredRange({ dn, 'member;range=1500-*': 'c' }, 'member')).toEqual({ key: 'member;range=1500-*', low: 1500, high: undefined });
  });

  it('takes a plain member attribute as the whole list, and skips the empty one ldapts adds for what it asked', () => {
    const entry: Entry = { dn, 'member;range=0-1499': [], member: ['a'] };
    expect(answeredRange(entry, 'member')).toEqual({ key: 'member', low: 0, high: undefined });
    expect(answeredRange({ dn, 'member;range=0-1499': [] }, 'member')).toBeUndefined();
  });

  it('matches the attribute name whatever its case', () => {
    expect(answeredRange({ dn, 'Member;Range=0-*': ['a'] }, 'member')).toMatchObject({ low: 0, high: undefined });
  });
});
