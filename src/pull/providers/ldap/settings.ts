/**
 * The LDAP connection's settings as the provider needs them, with defaults.
 * src/pull/providers/connection-settings.ts validates what is stored (./descriptor.ts);
 * this parses the same record into a typed value.
 */
import { z } from 'zod';
import { unusableSetting } from '../settings-fields.js';
import type { AttributeMapping } from '../types.js';

export type LdapFlavor = 'openldap' | 'generic' | 'active-directory';

/** inetOrgPerson (RFC 2798) attributes. */
export const DEFAULT_MAPPING: AttributeMapping = {
  userName: 'uid',
  email: 'mail',
  displayName: 'cn',
  givenName: 'givenName',
  familyName: 'sn',
};

/**
 * Active Directory's user and group attributes. userName falls back to
 * sAMAccountName where a user has no userPrincipalName (accounts made by old tools).
 */
export const AD_MAPPING: AttributeMapping = {
  userName: 'userPrincipalName',
  email: 'mail',
  displayName: 'displayName',
  givenName: 'givenName',
  familyName: 'sn',
};

/** Per flavor: OpenLDAP and generic servers share the RFC object classes; AD has its own (computers are users too, hence objectCategory). */
export const DEFAULT_FILTERS: Record<LdapFlavor, { users: string; groups: string }> = {
  'active-directory': {
    users: '(&(objectCategory=person)(objectClass=user))',
    groups: '(objectClass=group)',
  },
  openldap: {
    users: '(objectClass=inetOrgPerson)',
    groups: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))',
  },
  generic: {
    users: '(objectClass=inetOrgPerson)',
    groups: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))',
  },
};

export interface LdapSettings {
  /** Attributes the connection's expressions read (ProviderContext.sourceAttributes), or absent when it has none. */
  source?: readonly string[] | null;
  /** Tried in order; the first that connects (and binds) is used. */
  urls: string[];
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  flavor: LdapFlavor;
  userFilter: string;
  groupFilter: string;
  tlsRejectUnauthorized: boolean;
  caCert: string | undefined;
  startTls: boolean;
  idAttribute: string;
  mapping: AttributeMapping;
  pageSize: number;
  timeoutMs: number;
  inactive: { attribute: string; value: string | undefined } | undefined;
  /**
   * active-directory: a user is also a member of their primary group
   * (primaryGroupID, e.g. Domain Users), which AD does not list in `member`.
   * Default false: Domain Users holds everyone.
   */
  includePrimaryGroup: boolean;
  /** generic flavor: subtracted from the modifyTimestamp watermark (server clocks have one-second steps). */
  deltaOverlapSeconds: number;
}

const attr = z.string().trim().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'must name an LDAP attribute');
const filter = z.string().trim().regex(/^\(.*\)$/s, 'must be an LDAP filter in parentheses');

const settingsSchema = z.looseObject({
  url: z.string().optional(),
  urls: z.array(z.string()).optional(),
  bindDn: z.string().min(1),
  baseDn: z.string().min(1),
  flavor: z.enum(['openldap', 'generic', 'active-directory']).default('openldap'),
  userFilter: filter.optional(),
  groupFilter: filter.optional(),
  tlsRejectUnauthorized: z.boolean().default(true),
  caCert: z.string().optional(),
  startTls: z.boolean().default(true),
  idAttribute: attr.optional(),
  attributeMapping: z.strictObject({ userName: attr, email: attr, displayName: attr, givenName: attr, familyName: attr }).partial().optional(),
  pageSize: z.number().int().min(1).max(10_000).default(500),
  timeoutMs: z.number().int().positive().default(30_000),
  inactiveAttribute: attr.optional(),
  inactiveValue: z.string().optional(),
  includePrimaryGroup: z.boolean().optional(),
});

const firstField = (error: z.ZodError) => error.issues[0]?.path.map(String).join('.') ?? '';

export function parseLdapSettings(settings: Record<string, unknown>, secrets: Record<string, unknown>): LdapSettings {
  const s = settingsSchema.safeParse(settings);
  if (!s.success) throw unusableSetting(firstField(s.error), `LDAP connection settings: ${z.prettifyError(s.error)}`);
  const password = secrets.bindPassword;
  if (typeof password !== 'string' || password === '') throw unusableSetting('bindPassword', 'LDAP connection needs bindPassword');
  const d = s.data;
  const ad = d.flavor === 'active-directory';
  // AD's id is objectGUID, read as bytes and formatted; another attribute would need another reader.
  if (ad && d.idAttribute !== undefined && d.idAttribute !== 'objectGUID') throw unusableSetting('idAttribute', 'LDAP connection settings: the active-directory flavor identifies entries by objectGUID (idAttribute may only be objectGUID)');
  if (ad && d.inactiveAttribute !== undefined) throw unusableSetting('inactiveAttribute', 'LDAP connection settings: the active-directory flavor reads userAccountControl and accountExpires (inactiveAttribute is for the other flavors)');
  if (!ad && d.includePrimaryGroup !== undefined) throw unusableSetting('includePrimaryGroup', 'LDAP connection settings: includePrimaryGroup is for the active-directory flavor (primaryGroupID is an AD attribute)');
  const urls = d.urls ?? (d.url ? [d.url] : []);
  if (urls.length === 0) throw unusableSetting('url', 'LDAP connection needs url or urls');
  return {
    urls: urls.map((u) => u.trim()),
    bindDn: d.bindDn,
    bindPassword: password,
    baseDn: d.baseDn,
    flavor: d.flavor,
    userFilter: d.userFilter ?? DEFAULT_FILTERS[d.flavor].users,
    groupFilter: d.groupFilter ?? DEFAULT_FILTERS[d.flavor].groups,
    tlsRejectUnauthorized: d.tlsRejectUnauthorized,
    caCert: d.caCert,
    startTls: d.startTls,
    idAttribute: d.idAttribute ?? (ad ? 'objectGUID' : 'entryUUID'),
    mapping: { ...(ad ? AD_MAPPING : DEFAULT_MAPPING), ...d.attributeMapping },
    pageSize: d.pageSize,
    timeoutMs: d.timeoutMs,
    inactive: d.inactiveAttribute ? { attribute: d.inactiveAttribute, value: d.inactiveValue } : undefined,
    includePrimaryGroup: d.includePrimaryGroup ?? false,
    deltaOverlapSeconds: 300,
  };
}
