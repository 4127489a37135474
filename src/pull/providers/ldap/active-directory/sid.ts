/**
 * Security identifiers (MS-DTYP 2.4.2.2): objectSid as AD stores it, and the
 * primary group a user's primaryGroupID names. A SID is the domain's SID plus
 * a relative id (RID, the last sub-authority); primaryGroupID is the RID of
 * the group in the user's own domain (the group's primaryGroupToken), so the
 * group's SID is the user's domain SID followed by it.
 */
import { ProviderError } from '../../types.js';

/** A binary objectSid as its string form, S-1-5-21-…-RID. */
export function formatSid(bytes: Buffer): string {
  const count = bytes.length >= 8 ? bytes[1]! : -1;
  if (bytes[0] !== 1 || count < 0 || bytes.length !== 8 + 4 * count) {
    throw new ProviderError('bad-response', `an objectSid must be revision 1 with 8 + 4 × sub-authorities bytes, got ${bytes.length} bytes: was it decoded as text (explicitBufferAttributes)?`);
  }
  const authority = bytes.readUIntBE(2, 6);
  const subs = Array.from({ length: count }, (_, i) => bytes.readUInt32LE(8 + 4 * i));
  return ['S', 1, authority, ...subs].join('-');
}

/** A SID string as the bytes AD stores, for a filter (the inverse of formatSid). */
export function sidBytes(sid: string): Buffer {
  const parts = /^S-1-(\d+)((?:-\d+)*)$/.exec(sid);
  if (!parts) throw new ProviderError('bad-response', `not a SID: ${sid}`);
  const subs = parts[2]!.split('-').slice(1).map(Number);
  const bytes = Buffer.alloc(8 + 4 * subs.length);
  bytes[0] = 1;
  bytes[1] = subs.length;
  bytes.writeUIntBE(Number(parts[1]), 2, 6);
  subs.forEach((sub, i) => bytes.writeUInt32LE(sub, 8 + 4 * i));
  return bytes;
}

/** The SID of the group a user's primaryGroupID names: the user's domain SID with that RID. */
export function primaryGroupSid(userSid: string, primaryGroupId: string | number): string {
  const rid = Number(primaryGroupId);
  if (!Number.isInteger(rid) || rid <= 0) throw new ProviderError('bad-response', `primaryGroupID is not a RID: ${JSON.stringify(primaryGroupId)}`);
  return `${userSid.slice(0, userSid.lastIndexOf('-'))}-${rid}`;
}

/** The RID of a SID: its last sub-authority (a group's primaryGroupToken). */
export function ridOf(sid: string): number {
  return Number(sid.slice(sid.lastIndexOf('-') + 1));
}
