/**
 * LDAP entries into the common model. ldapts returns an attribute with one
 * value as a string and with several as an array; attribute names come back
 * as the server spells them, so lookups ignore case (RFC 4512 §2.5).
 */
import type { Entry } from 'ldapts';
import { withSource, type DirectoryGroup, type DirectoryUser } from '../types.js';
import type { LdapSettings } from './settings.js';

type Value = Entry[string];

/** The entry's attribute, whatever the case the server used. */
export function valueOf(entry: Entry, name: string): Value | undefined {
  if (name in entry) return entry[name];
  const lower = name.toLowerCase();
  const key = Object.keys(entry).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : entry[key];
}

export function allOf(entry: Entry, name: string): string[] {
  const v = valueOf(entry, name);
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
}

export function firstOf(entry: Entry, name: string): string | null {
  return allOf(entry, name)[0] ?? null;
}

/** A value inside a filter (RFC 4515 §3): `\`, `*`, `(`, `)` and NUL as \XX. */
export function escapeValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** DNs compare without case and without spaces around separators (cn=A, ou=B = CN=a,OU=b). */
export function normalDn(dn: string): string {
  return dn.split(/(?<!\\),/).map((rdn) => rdn.split(/(?<!\\)=/).map((p) => p.trim()).join('=')).join(',').toLowerCase();
}

export function entryId(entry: Entry, settings: LdapSettings): string | null {
  return firstOf(entry, settings.idAttribute);
}

/** Attributes a user listing asks for: the mapped ones, the id, the active rule's, and the delta's timestamps. */
export function userAttributes(settings: LdapSettings): string[] {
  const m = settings.mapping;
  const names = [settings.idAttribute, m.userName, m.email, m.displayName, m.givenName, m.familyName, 'modifyTimestamp'];
  if (settings.inactive) names.push(settings.inactive.attribute);
  return [...new Set([...names, ...(settings.source ?? [])])];
}

/** An attribute description (RFC 4512 §2.5: a descriptor or an OID, options after `;`): what an expression may name in a search. */
const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/;

/** The attributes the expressions read that can go into a search's attribute list, or null when the connection has no expressions. */
export function sourceAttributes(names: readonly string[] | undefined): string[] | null {
  return names ? names.filter((n) => ATTRIBUTE.test(n) && n.toLowerCase() !== 'dn') : null;
}

/**
 * An entry as the expressions see it: `dn`, then each attribute as the
 * server spelled it, one value as a string and several as an array (bytes
 * as UTF-8 text), as ldapts returns them.
 */
export function plainEntry(entry: Entry): Record<string, unknown> {
  const text = (x: unknown) => (Buffer.isBuffer(x) ? x.toString('utf8') : x);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) out[k] = Array.isArray(v) ? v.map(text) : text(v);
  return out;
}

export const GROUP_ATTRIBUTES = ['cn', 'description', 'member', 'uniqueMember', 'memberUid', 'objectClass', 'modifyTimestamp'];

/** The active rule: the attribute present (or equal to the configured value, ignoring case) means inactive. */
export function isActive(entry: Entry, settings: LdapSettings): boolean {
  const rule = settings.inactive;
  if (!rule) return true;
  const values = allOf(entry, rule.attribute);
  if (rule.value === undefined) return values.length === 0;
  return !values.some((v) => v.toLowerCase() === rule.value!.toLowerCase());
}

export function mapUser(entry: Entry, settings: LdapSettings): DirectoryUser | null {
  const externalId = entryId(entry, settings);
  const m = settings.mapping;
  const userName = firstOf(entry, m.userName);
  if (!externalId || !userName) return null;
  const active = isActive(entry, settings);
  const user: DirectoryUser = {
    externalId,
    userName,
    email: firstOf(entry, m.email),
    displayName: firstOf(entry, m.displayName),
    givenName: firstOf(entry, m.givenName),
    familyName: firstOf(entry, m.familyName),
    active,
    ...(active ? {} : { status: settings.inactive!.attribute }),
    // No DN in `profile`: it is served as SCIM JSON, which has no such attribute.
  };
  return settings.source ? withSource(user, plainEntry(entry), true) : user;
}

export function mapGroup(entry: Entry, settings: LdapSettings): DirectoryGroup | null {
  const externalId = entryId(entry, settings);
  if (!externalId) return null;
  const description = firstOf(entry, 'description');
  return {
    externalId,
    displayName: firstOf(entry, 'cn') ?? entry.dn,
    // As Okta keeps its group type: where the group lives, for reports.
    profile: { ldapDn: entry.dn, ...(description ? { description } : {}) },
  };
}

/** Who the directory knows by DN (users and groups) and by uid (posixGroup memberUid). */
export interface DirectoryIndex {
  userByDn: Map<string, string>;
  userByUid: Map<string, string>;
  groupByDn: Map<string, string>;
}

export const emptyIndex = (): DirectoryIndex => ({ userByDn: new Map(), userByUid: new Map(), groupByDn: new Map() });

/**
 * A group's direct members: `member` (groupOfNames) and `uniqueMember`
 * (groupOfUniqueNames, which may end in `#'bits'B`) are DNs, a user's or a
 * nested group's; `memberUid` (posixGroup, RFC 2307) is a user's uid.
 * A DN that names nobody in scope (outside the filters, or dangling after a
 * delete without the refint overlay) is left out.
 */
export function membersOf(entry: Entry, index: DirectoryIndex): { users: string[]; groups: string[] } {
  const users = new Set<string>();
  const groups = new Set<string>();
  const dns = [...allOf(entry, 'member'), ...allOf(entry, 'uniqueMember').map((v) => v.replace(/#'[01]*'B$/, ''))];
  for (const dn of dns) {
    const key = normalDn(dn);
    const user = index.userByDn.get(key);
    const group = index.groupByDn.get(key);
    if (user) users.add(user);
    else if (group) groups.add(group);
  }
  for (const uid of allOf(entry, 'memberUid')) {
    const user = index.userByUid.get(uid.toLowerCase());
    if (user) users.add(user);
  }
  return { users: [...users], groups: [...groups] };
}
