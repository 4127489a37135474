/** The active-directory flavor's mapping of entries (pure): GUID bytes both ways, activity, the userName fallback. */
import type { Entry } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { guidBytes, mapAdGroup, mapAdUser } from '../../../../src/pull/providers/ldap/active-directory/map.js';
import { formatObjectGuid } from '../../../../src/pull/providers/ldap/active-directory/guid.js';
import { parseLdapSettings } from '../../../../src/pull/providers/ldap/settings.js';

const settings = parseLdapSettings({ url: 'ldaps://dc.example.com', bindDn: 'svc@example.com', baseDn: 'DC=example,DC=com', flavor: 'active-directory' }, { bindPassword: 'pw' });
const GUID = 'e727e585-1459-45da-8cdf-25c01f621b76';
const now = new Date('2026-12-07T12:00:00Z');
const user = (extra: Record<string, string>): Entry => ({ dn: 'CN=Ann,CN=Users,DC=example,DC=com', objectGUID: guidBytes(GUID), userAccountControl: '512', accountExpires: '9223372036854775807', ...extra });

describe('guidBytes', () => {
  it('is the inverse of formatObjectGuid: the bytes AD stores, for a filter', () => {
    expect(guidBytes(GUID).toString('hex')).toBe('85e527e75914da458cdf25c01f621b76');
    expect(formatObjectGuid(guidBytes(GUID))).toBe(GUID);
    expect(() => guidBytes('not-a-guid')).toThrow(/not an objectGUID/);
  });
});

describe('mapAdUser', () => {
  it('takes userPrincipalName as userName, else sAMAccountName; the id is the formatted objectGUID', () => {
    expect(mapAdUser(user({ userPrincipalName: 'ann@example.com', sAMAccountName: 'ann', mail: 'ann@example.com', displayName: 'Ann' }), settings, now)).toEqual({
      externalId: GUID, userName: 'ann@example.com', email: 'ann@example.com', displayName: 'Ann', givenName: null, familyName: null, active: true,
    });
    expect(mapAdUser(user({ sAMAccountName: 'ann' }), settings, now)?.userName).toBe('ann');
    expect(mapAdUser(user({}), settings, now)).toBeNull();
  });

  it('is inactive when disabled (userAccountControl bit 2) or when accountExpires is past', () => {
    expect(mapAdUser(user({ sAMAccountName: 'ann', userAccountControl: '514' }), settings, now)).toMatchObject({ active: false, status: 'disabled' });
    // 2001-01-01 as a FILETIME; 0 means never.
    expect(mapAdUser(user({ sAMAccountName: 'ann', accountExpires: '126227808000000000' }), settings, now)).toMatchObject({ active: false, status: 'expired' });
    expect(mapAdUser(user({ sAMAccountName: 'ann', accountExpires: '0' }), settings, now)?.active).toBe(true);
  });
});

describe('mapAdGroup', () => {
  it('names the group by cn and keeps its DN for reports', () => {
    expect(mapAdGroup({ dn: 'CN=Team,OU=G,DC=example,DC=com', objectGUID: guidBytes(GUID), cn: 'Team' })).toEqual({ externalId: GUID, displayName: 'Team', profile: { ldapDn: 'CN=Team,OU=G,DC=example,DC=com' } });
  });
});
