/**
 * Reading attributes off an ldapts entry: a single value arrives as a scalar,
 * several as an array, and the key is spelled as the server spells the
 * attribute, which need not be the case the request used.
 */
import type { Entry } from 'ldapts';
import { ProviderError } from '../../types.js';
import { allOf, valueOf } from '../map.js';

/** Every value as strings (empty when absent), whatever the case the server gave the attribute. */
export const stringValues = allOf;

export function stringValue(entry: Entry, attribute: string): string | undefined {
  return stringValues(entry, attribute)[0];
}

/** The one binary value; the attribute must be in the search's explicitBufferAttributes. */
export function bufferValue(entry: Entry, attribute: string): Buffer {
  const value = valueOf(entry, attribute);
  const first = Array.isArray(value) ? value[0] : value;
  if (!Buffer.isBuffer(first)) throw new ProviderError('bad-response', `${entry.dn} has no binary ${attribute}`);
  return first;
}

/** A USN (AD's 64-bit update sequence number) as a number; they stay far below 2^53. */
export function usnValue(entry: Entry, attribute: string): number {
  const text = stringValue(entry, attribute);
  const usn = Number(text);
  if (text === undefined || !Number.isSafeInteger(usn) || usn < 0) throw new ProviderError('bad-response', `${entry.dn || 'the rootDSE'} has no usable ${attribute}: ${JSON.stringify(text)}`);
  return usn;
}
