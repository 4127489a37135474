/**
 * The outbound URL policy as pure functions: what a saved URL may name, and
 * which resolved addresses a connection may reach. These tests pass their own
 * trusted list. That a refusal happens before any connection is attempted is
 * url-policy.test.ts, against a local HTTP server.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/core/config/index.js';
import { ValidationError } from '../../../src/core/errors/index.js';
import { addressBytes, addressRefusal, isTrustedUrlHost, parseTrustedHosts, TRUSTED_HOSTS_ENV, urlRefusal } from '../../../src/core/net/url-policy.js';

const NONE = parseTrustedHosts('');

describe('addresses the policy refuses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.254', 'shared (CGNAT)'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::10.0.0.1', 'private'],
  ])('refuses %s as %s', (address, kind) => {
    expect(addressRefusal(address, address, NONE)).toBe(
      `refused by the outbound URL policy: ${address} is ${/^u/.test(kind) ? 'an' : 'a'} ${kind} address; list the host in ROSTER_TRUSTED_HOSTS to allow it`,
    );
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(addressRefusal(address, address, NONE)).toBeUndefined();
  });

  it('says which name resolved where, and never the port', () => {
    expect(addressRefusal('idp.example.com', '10.0.0.7', NONE)).toBe(
      'refused by the outbound URL policy: idp.example.com resolves to a private address; list the host in ROSTER_TRUSTED_HOSTS to allow it',
    );
  });

  it('parses IPv6 in every spelling to the same bytes', () => {
    expect([...addressBytes('::ffff:127.0.0.1')!]).toEqual([...addressBytes('0:0:0:0:0:ffff:7f00:0001')!]);
    expect([...addressBytes('[fe80::1%eth0]')!]).toEqual([...addressBytes('fe80:0:0:0:0:0:0:1')!]);
    expect(addressBytes('not-an-ip')).toBeUndefined();
  });
});

describe('ROSTER_TRUSTED_HOSTS', () => {
  const trusted = parseTrustedHosts(' idp.internal , 10.20.0.0/16, 127.0.0.1,[::1], fd00::/8 ');

  it('trusts listed names, addresses and CIDRs (IPv4-mapped forms included), and nothing next to them', () => {
    expect(addressRefusal('idp.internal', '10.9.9.9', trusted)).toBeUndefined();
    expect(addressRefusal('other.internal', '10.20.3.4', trusted)).toBeUndefined();
    expect(addressRefusal('other.internal', '10.21.0.1', trusted)).toContain('private address');
    expect(addressRefusal('127.0.0.1', '127.0.0.1', trusted)).toBeUndefined();
    expect(addressRefusal('::ffff:127.0.0.1', '::ffff:127.0.0.1', trusted)).toBeUndefined();
    expect(addressRefusal('127.0.0.2', '127.0.0.2', trusted)).toContain('loopback address');
    expect(addressRefusal('::1', '::1', trusted)).toBeUndefined();
    expect(addressRefusal('fd01::1', 'fd01::1', trusted)).toBeUndefined();
  });

  it('stops roster at start on a malformed entry, naming it', () => {
    expect(() => loadConfig({ [TRUSTED_HOSTS_ENV]: 'idp.internal, 10.0.0.0/99' })).toThrow(ValidationError);
    expect(() => loadConfig({ [TRUSTED_HOSTS_ENV]: 'idp.internal, 10.0.0.0/99' })).toThrow('"10.0.0.0/99"');
    expect(() => loadConfig({ [TRUSTED_HOSTS_ENV]: 'idp.internal, 10.0.0.0/8' })).not.toThrow();
  });

  it('refuses a malformed entry instead of ignoring it', () => {
    expect(() => parseTrustedHosts('10.0.0.0/40')).toThrow('ROSTER_TRUSTED_HOSTS: "10.0.0.0/40" is neither a host name, an IP address nor a CIDR');
    expect(() => parseTrustedHosts('http://idp')).toThrow(/"http:\/\/idp"/);
  });
});

describe('a URL as it is saved', () => {
  it.each([
    ['http://idp.example.com', 'must use https (plain http only to a host listed in ROSTER_TRUSTED_HOSTS)'],
    ['ftp://idp.example.com', 'must be an https URL'],
    ['https://127.0.0.1:8443', 'must not point at a loopback address (127.0.0.1); list the host in ROSTER_TRUSTED_HOSTS to allow it'],
    ['https://2130706433/', 'must not point at a loopback address (127.0.0.1); list the host in ROSTER_TRUSTED_HOSTS to allow it'],
    ['https://localhost/', 'must not point at a loopback address (localhost); list the host in ROSTER_TRUSTED_HOSTS to allow it'],
    ['https://169.254.169.254/latest/meta-data', 'must not point at a link-local address (169.254.169.254); list the host in ROSTER_TRUSTED_HOSTS to allow it'],
    ['https://[::ffff:10.0.0.1]/', 'must not point at a private address (::ffff:a00:1); list the host in ROSTER_TRUSTED_HOSTS to allow it'],
    ['not a url', 'must be an https URL'],
  ])('refuses %s', (url, message) => {
    expect(urlRefusal(url, NONE)).toBe(message);
  });

  it('accepts https to a public name, and plain http only to a trusted host', () => {
    const trusted = parseTrustedHosts('idp.internal,127.0.0.1');
    expect(urlRefusal('https://acme.okta.com', NONE)).toBeUndefined();
    expect(urlRefusal('http://idp.internal:8080/', trusted)).toBeUndefined();
    expect(urlRefusal('http://127.0.0.1:9000/', trusted)).toBeUndefined();
    expect(urlRefusal('http://127.0.0.2:9000/', trusted)).toMatch(/^must use https/);
  });
});

describe('an LDAP endpoint as it is saved', () => {
  it.each([
    ['https://ldap.example.com', 'must be an ldaps:// or ldap:// URL'],
    ['ldapi:///var/run/slapd', 'must be an ldaps:// or ldap:// URL'],
    ['ldaps://10.0.0.5', 'must not point at a private address (10.0.0.5); list the host in ROSTER_TRUSTED_HOSTS to allow it'],
    ['ldap://127.0.0.1:389/', 'must not point at a loopback address (127.0.0.1); list the host in ROSTER_TRUSTED_HOSTS to allow it'],
    ['ldaps://169.254.169.254', 'must not point at a link-local address (169.254.169.254); list the host in ROSTER_TRUSTED_HOSTS to allow it'],
    ['not a url', 'must be an ldaps:// or ldap:// URL'],
  ])('refuses %s', (url, message) => {
    expect(urlRefusal(url, NONE, 'ldap')).toBe(message);
  });

  it('accepts ldaps and ldap (StartTLS) to a public name, an inward address only when trusted, and keeps https the rule for HTTP endpoints', () => {
    const trusted = parseTrustedHosts('ldap.internal,127.0.0.1');
    expect(urlRefusal('ldaps://ldap.example.com', NONE, 'ldap')).toBeUndefined();
    expect(urlRefusal('ldap://ldap.example.com', NONE, 'ldap')).toBeUndefined();
    expect(urlRefusal('ldap://127.0.0.1:3389/', trusted, 'ldap')).toBeUndefined();
    expect(urlRefusal('ldaps://ldap.internal', trusted, 'ldap')).toBeUndefined();
    expect(urlRefusal('ldaps://ldap.example.com', NONE)).toBe('must be an https URL');
    expect(isTrustedUrlHost('LDAP.internal', trusted)).toBe(true);
    expect(isTrustedUrlHost('127.0.0.2', trusted)).toBe(false);
  });
});
