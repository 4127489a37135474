/**
 * A group's members with ranged retrieval (MS-ADTS 3.1.1.3.1.3.3): AD returns
 * at most MaxValRange (1,500) values of a multi-valued attribute per read, as
 * `member;range=0-1499`; the next read asks for `member;range=1500-*`, and the
 * last answer's range ends in `*`. A listing of groups asks for plain `member`
 * and gets every value of a group under the limit inline (and the first range
 * of a bigger one), so only big groups cost more reads (continueMembers).
 * Samba returns every value to a plain `member` read, but honours ranges.
 */
import type { Client, Entry } from 'ldapts';
import { ProviderError } from '../../types.js';
import { stringValues } from './entry.js';

/** AD's default MaxValRange. */
export const MEMBER_RANGE_SIZE = 1500;

export interface ValueRange {
  /** The attribute as the server named it, e.g. `member;range=0-1499`. */
  key: string;
  low: number;
  /** Undefined for `*`: these were the last values. */
  high: number | undefined;
}

/**
 * The range the server answered with for `attribute`. A plain `member` (no
 * range) is the whole list; no key with values at all means no values.
 */
export function answeredRange(entry: Entry, attribute: string): ValueRange | undefined {
  const pattern = new RegExp(`^${attribute};range=(\\d+)-(\\d+|\\*)$`, 'i');
  for (const key of Object.keys(entry)) {
    const value = entry[key];
    if (Array.isArray(value) && value.length === 0) continue; // ldapts adds requested attributes that were not returned as [].
    if (key.toLowerCase() === attribute.toLowerCase()) return { key, low: 0, high: undefined };
    const match = pattern.exec(key);
    if (match) return { key, low: Number(match[1]), high: match[2] === '*' ? undefined : Number(match[2]) };
  }
  return undefined;
}

/**
 * The rest of a group's members after an answer that may have been cut:
 * `first` is the group entry as a search returned it (with `member` asked
 * for), and only when its answer is a cut range (`member;range=0-1499`) are
 * the next ranges read, one base read each. A plain `member` was the whole
 * list. `onRequest` counts each follow-up read.
 */
export async function continueMembers(client: Pick<Client, 'search'>, first: Entry, onRequest: () => void = () => undefined): Promise<string[]> {
  const groupDn = first.dn;
  const members: string[] = [];
  let entry: Entry = first;
  for (;;) {
    const range = answeredRange(entry, 'member');
    if (!range) return members;
    if (range.low !== members.length) {
      throw new ProviderError('bad-response', `${groupDn}: asked for members from ${members.length}, the server answered ${range.key}`);
    }
    members.push(...stringValues(entry, range.key));
    if (range.high === undefined) return members;
    if (range.high < range.low) throw new ProviderError('bad-response', `${groupDn}: the server answered the empty range ${range.key}`);
    onRequest();
    const { searchEntries } = await client.search(groupDn, { scope: 'base', filter: '(objectClass=*)', attributes: [`member;range=${range.high + 1}-*`] });
    const next = searchEntries[0];
    if (!next) throw new ProviderError('not-found', `group ${groupDn} was not found`);
    entry = next;
  }
}

/** The DNs of a group's direct members (nested groups appear as members, not expanded), read from the first range on. */
export async function readMembers(client: Pick<Client, 'search'>, groupDn: string, rangeSize = MEMBER_RANGE_SIZE): Promise<string[]> {
  const { searchEntries } = await client.search(groupDn, { scope: 'base', filter: '(objectClass=*)', attributes: [`member;range=0-${rangeSize - 1}`] });
  const entry = searchEntries[0];
  if (!entry) throw new ProviderError('not-found', `group ${groupDn} was not found`);
  return continueMembers(client, entry);
}
