/**
 * Source hashes: a stable fingerprint of a mapped record, so an unchanged
 * record costs no write. Keys are sorted so that the IdP's field order
 * (which varies between pages and API versions) never changes the hash.
 */
import { createHash } from 'node:crypto';
import type { DirectoryGroup, DirectoryUser } from '../providers/types.js';

/** JSON with every object's keys sorted and undefined values left out. */
export function stable(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 27);

/**
 * `active` is not part of it: it is a column of its own, changed by (de)activation.
 * Custom attributes are, when the connection's expressions give some: absent
 * (no expressions), the key drops out and the hash is the one stored before them.
 */
export function userHash(u: DirectoryUser): string {
  return digest(userHashText(u));
}

/**
 * `stable({ v: 1, userName, email, displayName, givenName, familyName, profile, custom })`,
 * written out: every sync hashes every listed user, and the generic walk (a
 * key list, a sort and a closure per object) was a tenth of a full listing's
 * CPU. The keys are in stable()'s sorted order, an undefined value drops its
 * key as stable() does, and a unit test holds the two to the same text.
 */
export function userHashText(u: DirectoryUser): string {
  let text = '{';
  if (u.customAttributes !== undefined) text += `"custom":${stable(u.customAttributes)},`;
  if (u.displayName !== undefined) text += `"displayName":${JSON.stringify(u.displayName)},`;
  if (u.email !== undefined) text += `"email":${JSON.stringify(u.email)},`;
  if (u.familyName !== undefined) text += `"familyName":${JSON.stringify(u.familyName)},`;
  if (u.givenName !== undefined) text += `"givenName":${JSON.stringify(u.givenName)},`;
  text += `"profile":${stable(u.profile ?? null)},`;
  if (u.userName !== undefined) text += `"userName":${JSON.stringify(u.userName)},`;
  return `${text}"v":1}`;
}

export function groupHash(g: DirectoryGroup): string {
  return digest(stable({ v: 1, displayName: g.displayName, profile: g.profile ?? null }));
}
