/**
 * Source hashes: a stable fingerprint of a mapped record, so an unchanged
 * record costs no write. Keys are sorted so that the IdP's field order
 * (which varies between pages and API versions) never changes the hash.
 */
import { createHash } from 'node:crypto';
import type { DirectoryGroup, DirectoryUser } from '../providers/types.js';

function stable(value: unknown): string {
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
  return digest(
    stable({
      v: 1,
      userName: u.userName,
      email: u.email,
      displayName: u.displayName,
      givenName: u.givenName,
      familyName: u.familyName,
      profile: u.profile ?? null,
      custom: u.customAttributes,
    }),
  );
}

export function groupHash(g: DirectoryGroup): string {
  return digest(stable({ v: 1, displayName: g.displayName, profile: g.profile ?? null }));
}
