/**
 * The ldap connection's settings: what is stored (the descriptor's schema,
 * through src/pull/providers/connection-settings.ts) and the typed value the
 * provider reads, with its defaults. The test config trusts 127.0.0.1 only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSettings } from '../../../src/pull/providers/connection-settings.js';
import { DEFAULT_FILTERS, parseLdapSettings } from '../../../src/pull/providers/ldap/settings.js';

const base = { bindDn: 'cn=roster,dc=example,dc=com', bindPassword: 'pw', baseDn: 'dc=example,dc=com' };

describe('ldap connection settings', () => {
  it('accepts the example in config/ldap.settings.example.json', () => {
    const example: unknown = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../config/ldap.settings.example.json'), 'utf8'));
    expect(validateSettings('ldap', example).secrets).toEqual({ bindPassword: 'paste-the-bind-password-here' });
  });

  it('takes ldaps:// or ldap:// URLs and keeps bindPassword as a secret', () => {
    expect(validateSettings('ldap', { ...base, url: 'ldaps://ldap.example.com' })).toEqual({
      settings: { url: 'ldaps://ldap.example.com', bindDn: base.bindDn, baseDn: base.baseDn },
      secrets: { bindPassword: 'pw' },
    });
    expect(validateSettings('ldap', { ...base, urls: ['ldap://a.example.com', 'ldaps://b.example.com'] }).settings.urls).toHaveLength(2);
  });

  it('refuses an https URL, url with urls, an inward address, an unknown flavor, and an id or active rule of its own for AD', () => {
    expect(() => validateSettings('ldap', { ...base, url: 'https://ldap.example.com' })).toThrow(/must be an ldaps:\/\/ or ldap:\/\/ URL/);
    expect(() => validateSettings('ldap', { ...base, url: 'ldaps://a.example.com', urls: ['ldaps://b.example.com'] })).toThrow(/either url or urls/);
    expect(() => validateSettings('ldap', base)).toThrow(/either url or urls/);
    expect(() => validateSettings('ldap', { ...base, url: 'ldaps://10.1.2.3' })).toThrow(/private address/);
    expect(() => validateSettings('ldap', { ...base, url: 'ldaps://ldap.example.com', flavor: 'novell' })).toThrow(/flavor/);
    expect(() => validateSettings('ldap', { ...base, url: 'ldaps://dc.example.com', flavor: 'active-directory', idAttribute: 'entryUUID' })).toThrow(/objectGUID/);
    expect(() => validateSettings('ldap', { ...base, url: 'ldaps://dc.example.com', flavor: 'active-directory', inactiveAttribute: 'nsAccountLock' })).toThrow(/userAccountControl/);
    expect(() => validateSettings('ldap', { ...base, url: 'ldaps://ldap.example.com', inactiveValue: 'true' })).toThrow(/needs inactiveAttribute/);
  });

  it('turns StartTLS off only for a trusted host: the bind password would travel in clear text', () => {
    expect(() => validateSettings('ldap', { ...base, url: 'ldap://ldap.example.com', startTls: false })).toThrow(/ROSTER_TRUSTED_HOSTS \(ldap.example.com is not\)/);
    expect(validateSettings('ldap', { ...base, url: 'ldap://127.0.0.1:3389', startTls: false }).settings.startTls).toBe(false);
    // ldaps:// is TLS from the first byte: startTls does not apply.
    expect(validateSettings('ldap', { ...base, url: 'ldaps://ldap.example.com', startTls: false }).settings.startTls).toBe(false);
  });

  it('defaults to the OpenLDAP flavor: inetOrgPerson users, the three group classes, entryUUID ids, TLS verified and StartTLS on', () => {
    const parsed = parseLdapSettings({ ...base, url: 'ldap://ldap.example.com' }, { bindPassword: 'pw' });
    expect(parsed).toMatchObject({
      urls: ['ldap://ldap.example.com'], flavor: 'openldap', startTls: true, tlsRejectUnauthorized: true, idAttribute: 'entryUUID', pageSize: 500, timeoutMs: 30_000, inactive: undefined,
      userFilter: DEFAULT_FILTERS.openldap.users, groupFilter: DEFAULT_FILTERS.openldap.groups,
      mapping: { userName: 'uid', email: 'mail', displayName: 'cn', givenName: 'givenName', familyName: 'sn' },
    });
    expect(parseLdapSettings({ ...base, url: 'ldap://x.example.com', inactiveAttribute: 'nsAccountLock', inactiveValue: 'true', attributeMapping: { displayName: 'displayName' } }, { bindPassword: 'pw' }))
      .toMatchObject({ inactive: { attribute: 'nsAccountLock', value: 'true' }, mapping: { displayName: 'displayName', userName: 'uid' } });
    expect(() => parseLdapSettings({ ...base, url: 'ldap://x.example.com' }, {})).toThrow(/bindPassword/);
  });

  it('the active-directory flavor: person users, group objects, objectGUID ids, UPN (else sAMAccountName) as userName', () => {
    expect(validateSettings('ldap', { ...base, url: 'ldaps://dc.example.com', flavor: 'active-directory' }).settings.flavor).toBe('active-directory');
    expect(parseLdapSettings({ ...base, url: 'ldaps://dc.example.com', flavor: 'active-directory' }, { bindPassword: 'pw' })).toMatchObject({
      flavor: 'active-directory', idAttribute: 'objectGUID', inactive: undefined,
      userFilter: '(&(objectCategory=person)(objectClass=user))', groupFilter: '(objectClass=group)',
      mapping: { userName: 'userPrincipalName', email: 'mail', displayName: 'displayName', givenName: 'givenName', familyName: 'sn' },
    });
    expect(() => parseLdapSettings({ ...base, url: 'ldaps://dc.example.com', flavor: 'active-directory', idAttribute: 'entryUUID' }, { bindPassword: 'pw' })).toThrow(/objectGUID/);
  });

  it('includePrimaryGroup: off by default, for the active-directory flavor only', () => {
    const ad = { ...base, url: 'ldaps://dc.example.com', flavor: 'active-directory' };
    expect(parseLdapSettings(ad, { bindPassword: 'pw' }).includePrimaryGroup).toBe(false);
    expect(parseLdapSettings({ ...ad, includePrimaryGroup: true }, { bindPassword: 'pw' }).includePrimaryGroup).toBe(true);
    expect(validateSettings('ldap', { ...ad, includePrimaryGroup: true }).settings.includePrimaryGroup).toBe(true);
    for (const flavor of [undefined, 'openldap', 'generic']) {
      const other = { ...base, url: 'ldaps://ldap.example.com', ...(flavor ? { flavor } : {}), includePrimaryGroup: false };
      expect(() => validateSettings('ldap', other)).toThrow(/includePrimaryGroup.*active-directory flavor/s);
      expect(() => parseLdapSettings(other, { bindPassword: 'pw' })).toThrow(/includePrimaryGroup is for the active-directory flavor/);
    }
    expect(() => validateSettings('ldap', { ...ad, includePrimaryGroup: 'yes' })).toThrow(/includePrimaryGroup/);
  });
});
