/**
 * The pure parts of reading Active Directory (src/pull/providers/ldap/active-directory/):
 * GUID layout, the disabled bit, accountExpires, and the ranged-retrieval answer.
 * The same functions against a real Samba AD DC: active-directory.test.ts.
 */
import type { Client, Entry, SearchOptions } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { fileTimeToDate, hasExpired, isAccountDisabled } from '../../../../src/pull/providers/ldap/active-directory/account.js';
import { formatObjectGuid } from '../../../../src/pull/providers/ldap/active-directory/guid.js';
import { answeredRange, continueMembers, readMembers } from '../../../../src/pull/providers/ldap/active-directory/members.js';
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

describe('readMembers against a server that cuts values at MaxValRange, as AD does', () => {
  const groupDn = 'CN=all,CN=Users,DC=corp,DC=example';
  const all = Array.from({ length: 3200 }, (_, i) => `CN=u${i},CN=Users,DC=corp,DC=example`);

  /** AD's answer to `member;range=low-high|*`: at most 1,500 values, the range it gave in the key. */
  function adLike(members: string[], answer?: (low: number) => number) {
    const requests: string[] = [];
    const client: Pick<Client, 'search'> = {
      async search(_base: string, options?: SearchOptions) {
        const asked = options?.attributes?.[0] ?? '';
        requests.push(asked);
        const [, low, high] = /^member;range=(\d+)-(\d+|\*)$/.exec(asked)!;
        const from = answer ? answer(Number(low)) : Number(low);
        const to = Math.min(high === '*' ? Infinity : Number(high), from + 1499, members.length - 1);
        const last = to === members.length - 1;
        const entry: Entry = { dn: groupDn, [asked]: [], [`member;range=${from}-${last ? '*' : to}`]: members.slice(from, to + 1) };
        return { searchEntries: [entry], searchReferences: [] };
      },
    };
    return { client, requests };
  }

  it('follows each cut range until the one that ends in *', async () => {
    const { client, requests } = adLike(all);
    expect(await readMembers(client, groupDn)).toEqual(all);
    expect(requests).toEqual(['member;range=0-1499', 'member;range=1500-*', 'member;range=3000-*']);
  });

  it('reads a group under one range in one request', async () => {
    const { client, requests } = adLike(all.slice(0, 40));
    expect(await readMembers(client, groupDn)).toEqual(all.slice(0, 40));
    expect(requests).toHaveLength(1);
  });

  it('takes a group listing\'s inline answer: whole under the limit with no read, the rest of a cut one read by range', async () => {
    const small = adLike(all.slice(0, 40));
    // A listing asked for plain `member`: ldapts keys it as asked, AD answers it whole.
    expect(await continueMembers(small.client, { dn: groupDn, member: all.slice(0, 40) })).toEqual(all.slice(0, 40));
    expect(small.requests).toEqual([]);
    expect(await continueMembers(small.client, { dn: groupDn, member: [] })).toEqual([]);
    // Over MaxValRange AD answers the first range in place of `member` (which ldapts still adds, empty).
    const big = adLike(all);
    let counted = 0;
    const first: Entry = { dn: groupDn, member: [], 'member;range=0-1499': all.slice(0, 1500) };
    expect(await continueMembers(big.client, first, () => counted++)).toEqual(all);
    expect(big.requests).toEqual(['member;range=1500-*', 'member;range=3000-*']);
    expect(counted).toBe(2);
  });

  it('fails rather than skip or repeat members when the server answers another range than asked', async () => {
    const { client } = adLike(all, (low) => (low === 0 ? 0 : low + 10));
    await expect(readMembers(client, groupDn)).rejects.toThrow(/asked for members from 1500, the server answered member;range=1510-/);
  });
});
