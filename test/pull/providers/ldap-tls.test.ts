/**
 * The ldap provider's TLS against a slapd serving a certificate from a CA of
 * its own (not the test run's CA, which the workers trust): ldaps:// and
 * StartTLS verify the certificate against `caCert`, name a TLS failure as
 * one, and skip the check only when told, with a warning each time.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import Transport from 'winston-transport';
import { createLdapProvider } from '../../../src/pull/providers/ldap/index.js';
import { createTestTls, type TlsMaterial } from '../../fakes/tls.js';
import { person, startSlapd, type Slapd } from '../../support/slapd.js';

class Collect extends Transport {
  readonly lines: string[] = [];
  override log(info: { message: string }, next: () => void) {
    this.lines.push(info.message);
    next();
  }
}

describe('the ldap provider over TLS', () => {
  let slapd: Slapd;
  let tls: TlsMaterial;
  let caCert: string;

  beforeAll(async () => {
    tls = createTestTls();
    caCert = readFileSync(tls.caPath, 'utf8');
    slapd = await startSlapd({ tls });
    await slapd.add(`uid=ann,ou=people,${slapd.baseDn}`, person('ann'));
  });

  afterAll(async () => {
    await slapd?.stop();
    if (tls) rmSync(tls.dir, { recursive: true, force: true });
  });

  const open = (settings: Record<string, unknown>) => {
    const sink = new Collect();
    const provider = createLdapProvider({
      settings: { bindDn: slapd.rootDn, baseDn: slapd.baseDn, ...settings },
      secrets: { bindPassword: slapd.rootPw },
      logger: winston.createLogger({ transports: [sink] }),
      stats: { apiRequests: 0, throttled: 0 },
      concurrency: 1,
    });
    return { provider, warnings: sink.lines };
  };

  it('binds over ldaps:// and over StartTLS when the certificate chains to caCert', async () => {
    expect(await open({ url: slapd.ldapsUrl, caCert }).provider.test()).toMatchObject({ ok: true });
    expect(await open({ url: slapd.url, caCert }).provider.test()).toMatchObject({ ok: true });
  });

  it('names a certificate it cannot verify as a TLS failure, on ldaps:// and on StartTLS', async () => {
    for (const url of [slapd.ldapsUrl, slapd.url]) {
      const result = await open({ url }).provider.test();
      expect(result.ok).toBe(false);
      expect(result.checks[0]?.detail).toMatch(/TLS failed/);
    }
  });

  it('skips the certificate check only when tlsRejectUnauthorized is false, warning each time it connects', async () => {
    const { provider, warnings } = open({ url: slapd.ldapsUrl, tlsRejectUnauthorized: false });
    expect(await provider.test()).toMatchObject({ ok: true });
    expect(await provider.test()).toMatchObject({ ok: true });
    expect(warnings.filter((w) => /tlsRejectUnauthorized false/.test(w))).toHaveLength(2);
  });
});
