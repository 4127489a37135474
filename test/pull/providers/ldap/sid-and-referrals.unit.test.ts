/**
 * Pure parts of two ldap provider gaps: objectSid and the primary group's SID
 * (src/pull/providers/ldap/active-directory/sid.ts), and which continuation
 * references a run reports (src/pull/providers/ldap/referrals.ts). Against
 * real servers: active-directory-gaps.test.ts and referrals.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { formatSid, primaryGroupSid, ridOf, sidBytes } from '../../../../src/pull/providers/ldap/active-directory/sid.js';
import { referenceDn, SkippedSubtrees } from '../../../../src/pull/providers/ldap/referrals.js';
import { ProviderError } from '../../../../src/pull/providers/types.js';

describe('objectSid', () => {
  // S-1-5-21-1004336348-1177238915-682003330-513 (a Domain Users SID) as AD stores it: authority big-endian, sub-authorities little-endian.
  const hex = '010500000000000515000000dcf4dc3b833d2b46828ba62801020000';
  const sid = 'S-1-5-21-1004336348-1177238915-682003330-513';

  it('formats the binary form and writes it back', () => {
    expect(formatSid(Buffer.from(hex, 'hex'))).toBe(sid);
    expect(sidBytes(sid).toString('hex')).toBe(hex);
    expect(ridOf(sid)).toBe(513);
  });

  it('refuses bytes that are not a SID, saying they were probably decoded as text', () => {
    expect(() => formatSid(Buffer.from('S-1-5-21'))).toThrow(ProviderError);
    expect(() => formatSid(Buffer.from(hex, 'hex').subarray(0, 20))).toThrow(/explicitBufferAttributes/);
  });

  it('names the primary group: the user\'s domain SID with primaryGroupID as the RID', () => {
    expect(primaryGroupSid('S-1-5-21-1-2-3-1105', '513')).toBe('S-1-5-21-1-2-3-513');
    expect(primaryGroupSid('S-1-5-21-1-2-3-1105', 1107)).toBe('S-1-5-21-1-2-3-1107');
    expect(() => primaryGroupSid('S-1-5-21-1-2-3-1105', 'none')).toThrow(/not a RID/);
  });
});

describe('continuation references', () => {
  it('reads the DN of a reference URL', () => {
    expect(referenceDn('ldap://other.example:389/ou=branch,dc=roster,dc=test??sub')).toBe('ou=branch,dc=roster,dc=test');
    expect(referenceDn('ldap://roster.test/CN=Configuration,DC=roster,DC=test')).toBe('CN=Configuration,DC=roster,DC=test');
    expect(referenceDn('ldap://h/ou=a%20b,dc=x')).toBe('ou=a b,dc=x');
  });

  it('passes over AD\'s partitions without people, and reports anything else with its URL', () => {
    const ad = new SkippedSubtrees('active-directory');
    ad.note(['ldap://corp.example/CN=Configuration,DC=corp,DC=example', 'ldap://DomainDnsZones.corp.example/DC=DomainDnsZones,DC=corp,DC=example', 'ldap://ForestDnsZones.corp.example/DC=ForestDnsZones,DC=corp,DC=example']);
    expect(ad.message()).toBeUndefined();
    expect(() => ad.assertNone()).not.toThrow();
    ad.note(['ldap://child.corp.example/DC=child,DC=corp,DC=example']);
    expect(() => ad.assertNone()).toThrow(/referral to ldap:\/\/child\.corp\.example\/DC=child,DC=corp,DC=example: .*point baseDn at that server or add it as another connection\. This run is incomplete and deactivates nobody/);
    // On other servers a Configuration subtree is just a subtree.
    const other = new SkippedSubtrees('openldap');
    other.note(['ldap://x/CN=Configuration,dc=x']);
    expect(() => other.assertNone()).toThrow(ProviderError);
  });
});
