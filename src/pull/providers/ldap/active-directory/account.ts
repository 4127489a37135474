/**
 * Whether an AD account may sign in, from the two attributes AD keeps it in:
 * userAccountControl's ACCOUNTDISABLE bit and the accountExpires FILETIME.
 * ldapts returns both as decimal strings.
 */
import { ProviderError } from '../../types.js';

/** userAccountControl ACCOUNTDISABLE (MS-ADTS 2.2.16). */
export const UAC_ACCOUNTDISABLE = 0x2;

/** accountExpires values that mean "never" (MS-ADA1 Account-Expires): 0 and the largest int64. */
const NEVER = [0n, 9223372036854775807n];
/** 100 ns intervals from 1601-01-01 (the FILETIME epoch) to 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116444736000000000n;

export function isAccountDisabled(userAccountControl: string | number): boolean {
  const value = Number(userAccountControl);
  if (!Number.isInteger(value)) throw new ProviderError('bad-response', `userAccountControl is not an integer: ${JSON.stringify(userAccountControl)}`);
  return (value & UAC_ACCOUNTDISABLE) !== 0;
}

/** A FILETIME (100 ns intervals since 1601 UTC) as a Date; undefined for "never". */
export function fileTimeToDate(fileTime: string | bigint): Date | undefined {
  let value: bigint;
  try {
    value = BigInt(fileTime);
  } catch {
    throw new ProviderError('bad-response', `not a FILETIME: ${JSON.stringify(fileTime)}`);
  }
  if (NEVER.includes(value)) return undefined;
  return new Date(Number((value - FILETIME_UNIX_EPOCH) / 10_000n));
}

/** Whether the account's accountExpires is at or before `now`. An absent attribute never expires. */
export function hasExpired(accountExpires: string | bigint | undefined, now: Date): boolean {
  if (accountExpires === undefined || accountExpires === '') return false;
  const expires = fileTimeToDate(accountExpires);
  return expires !== undefined && expires.getTime() <= now.getTime();
}
