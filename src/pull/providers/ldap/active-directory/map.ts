/**
 * Active Directory entries into the common model: the id is objectGUID
 * formatted as AD tools print it, a user is active unless disabled
 * (userAccountControl) or expired (accountExpires), and a user without a
 * userPrincipalName is known by its sAMAccountName.
 */
import type { Entry } from 'ldapts';
import type { DirectoryGroup, DirectoryUser } from '../../types.js';
import { ProviderError, withSource } from '../../types.js';
import { firstOf, plainEntry } from '../map.js';
import type { LdapSettings } from '../settings.js';
import { hasExpired, isAccountDisabled } from './account.js';
import { bufferValue } from './entry.js';
import { formatObjectGuid } from './guid.js';
import { formatSid, primaryGroupSid } from './sid.js';

/** A group's own attributes; objectSid is what a user's primaryGroupID points at. */
export const AD_GROUP_ATTRIBUTES = ['objectGUID', 'objectSid', 'cn', 'description'];
/**
 * A group listing's attributes: `member` too, answered inline whole when it
 * has up to MaxValRange values, as its first range when more (./members.ts).
 */
export const AD_GROUP_LISTING_ATTRIBUTES = [...AD_GROUP_ATTRIBUTES, 'member'];

export function adUserAttributes(settings: LdapSettings): string[] {
  const m = settings.mapping;
  const primary = settings.includePrimaryGroup ? ['objectSid', 'primaryGroupID'] : [];
  return [...new Set(['objectGUID', m.userName, 'sAMAccountName', m.email, m.displayName, m.givenName, m.familyName, 'userAccountControl', 'accountExpires', ...primary, ...(settings.source ?? [])])];
}

export const adId = (entry: Entry): string => formatObjectGuid(bufferValue(entry, 'objectGUID'));

/** The entry's objectSid as a string (S-1-5-21-…); it must have been read as bytes. */
export const adSid = (entry: Entry): string => formatSid(bufferValue(entry, 'objectSid'));

/** The SID of the user's primary group, or undefined when the entry has no primaryGroupID (it was not asked for). */
export function primaryGroupSidOf(entry: Entry): string | undefined {
  const rid = firstOf(entry, 'primaryGroupID');
  return rid === null ? undefined : primaryGroupSid(adSid(entry), rid);
}

export function mapAdUser(entry: Entry, settings: LdapSettings, now: Date): DirectoryUser | null {
  const m = settings.mapping;
  const userName = firstOf(entry, m.userName) ?? firstOf(entry, 'sAMAccountName');
  if (!userName) return null;
  const uac = firstOf(entry, 'userAccountControl');
  const disabled = uac !== null && isAccountDisabled(uac);
  const expired = hasExpired(firstOf(entry, 'accountExpires') ?? undefined, now);
  const active = !disabled && !expired;
  const user: DirectoryUser = {
    externalId: adId(entry),
    userName,
    email: firstOf(entry, m.email),
    displayName: firstOf(entry, m.displayName),
    givenName: firstOf(entry, m.givenName),
    familyName: firstOf(entry, m.familyName),
    active,
    ...(active ? {} : { status: disabled ? 'disabled' : 'expired' }),
  };
  return settings.source ? withSource(user, plainEntry(entry), true) : user;
}

export function mapAdGroup(entry: Entry): DirectoryGroup {
  const description = firstOf(entry, 'description');
  return {
    externalId: adId(entry),
    displayName: firstOf(entry, 'cn') ?? entry.dn,
    profile: { ldapDn: entry.dn, ...(description ? { description } : {}) },
  };
}

/**
 * A formatted GUID as the 16 bytes AD stores (the inverse of
 * formatObjectGuid). A filter compares them as a Buffer: ldapts turns `\XX`
 * escapes in a filter string into UTF-8 text, which breaks bytes above 0x7f.
 */
export function guidBytes(guid: string): Buffer {
  const hex = guid.toLowerCase().replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new ProviderError('not-found', `not an objectGUID: ${guid}`);
  const bytes = Buffer.from(hex, 'hex');
  // The first three fields are little-endian.
  return Buffer.concat([Buffer.from(bytes.subarray(0, 4)).reverse(), Buffer.from(bytes.subarray(4, 6)).reverse(), Buffer.from(bytes.subarray(6, 8)).reverse(), bytes.subarray(8)]);
}
