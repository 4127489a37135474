/** LDAP (OpenLDAP, Active Directory or a generic RFC 4512 server): what Roster knows of the kind without loading ldapts (see ../descriptor.ts). */
import { z } from 'zod';
import { isTrustedUrlHost } from '../../../core/net/url-policy.js';
import type { PullDescriptor } from '../descriptor.js';
import { ldapEndpointUrl, posInt, pullCommon, text } from '../settings-fields.js';

const parsed = (u: string): URL | undefined => {
  try {
    return new URL(u.trim());
  } catch {
    return undefined;
  }
};

const settings = z
  .strictObject({
    /** One server, or `urls`: several, tried in order (the first reachable one is used). */
    url: ldapEndpointUrl().optional(),
    urls: z.array(ldapEndpointUrl()).min(1).max(10).optional(),
    bindDn: text(),
    bindPassword: text(),
    baseDn: text(),
    /** `openldap`: entryCSN/contextCSN deltas; `generic`: modifyTimestamp deltas; `active-directory`: uSNChanged deltas, tombstones for deletions. */
    flavor: z.enum(['openldap', 'generic', 'active-directory']).optional(),
    userFilter: text().optional(),
    groupFilter: text().optional(),
    /** Default true; false is logged as a warning each time a connection opens. */
    tlsRejectUnauthorized: z.boolean().optional(),
    /** PEM: the CA (or CAs) the server's certificate must chain to, in place of the system store. */
    caCert: text().refine((v) => v.includes('-----BEGIN CERTIFICATE-----'), 'must be PEM (-----BEGIN CERTIFICATE-----)').optional(),
    /** For ldap:// URLs: upgrade with StartTLS before binding. Default true; false only to a trusted host. */
    startTls: z.boolean().optional(),
    /** The attribute holding the stable id (default entryUUID, RFC 4530): renames and moves keep it. */
    idAttribute: text().optional(),
    pageSize: z.number().int().min(1).max(10_000).optional(),
    timeoutMs: posInt().optional(),
    /** A user with this attribute (or with it equal to `inactiveValue`) is inactive: pwdAccountLockedTime, nsAccountLock=true... */
    inactiveAttribute: text().optional(),
    inactiveValue: text().optional(),
    /** active-directory only: also make each user a member of their primary group (primaryGroupID, e.g. Domain Users). Default false. */
    includePrimaryGroup: z.boolean().optional(),
    ...pullCommon,
  })
  .superRefine((v, ctx) => {
    if ((v.url === undefined) === (v.urls === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'give either url or urls (a list tried in order), not both' });
    }
    // AD keeps the id and the account state in attributes of its own (objectGUID, userAccountControl, accountExpires).
    if (v.flavor === 'active-directory' && v.idAttribute !== undefined && v.idAttribute !== 'objectGUID') {
      ctx.addIssue({ code: 'custom', path: ['idAttribute'], message: 'the active-directory flavor identifies entries by objectGUID' });
    }
    if (v.flavor === 'active-directory' && v.inactiveAttribute !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['inactiveAttribute'], message: 'the active-directory flavor reads userAccountControl (disabled) and accountExpires; inactiveAttribute is for the other flavors' });
    }
    if (v.flavor !== 'active-directory' && v.includePrimaryGroup !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['includePrimaryGroup'], message: 'is for the active-directory flavor (primaryGroupID is an AD attribute)' });
    }
    if (v.inactiveValue !== undefined && v.inactiveAttribute === undefined) {
      ctx.addIssue({ code: 'custom', path: ['inactiveValue'], message: 'needs inactiveAttribute' });
    }
    // Without StartTLS, ldap:// sends the bind password in clear text: only to a host the operator trusts.
    if (v.startTls === false) {
      for (const u of [...(v.url ? [v.url] : []), ...(v.urls ?? [])]) {
        const url = parsed(u);
        if (url?.protocol === 'ldap:' && !isTrustedUrlHost(url.hostname)) {
          ctx.addIssue({ code: 'custom', path: ['startTls'], message: `may be false only for hosts listed in ROSTER_TRUSTED_HOSTS (${url.hostname} is not): ldap:// without StartTLS sends the bind password in clear text` });
        }
      }
    }
  });

export const ldap: PullDescriptor<'ldap'> = {
  kind: 'ldap',
  direction: 'pull',
  settings,
  secretFields: ['bindPassword'],
  endpointFields: ['url', 'urls'],
  endpointProtocol: 'ldap',
  // The login hook reads the groups that name the user directly; nesting waits for the scheduled sync
  // (the active-directory flavor's lookup does follow nesting, but the kind's answer holds for every flavor).
  groupsComplete: false,
  open: async (context) => (await import('./index.js')).createLdapProvider(context),
};
