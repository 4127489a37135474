/**
 * Test TLS material for the fake IdP servers. The Microsoft Graph client only
 * attaches its bearer token to https:// URLs (see ../shared/IDP-NOTES.md), so
 * the fakes speak HTTPS with a CA made here, once per test run, with the
 * openssl CLI. Clients trust it through NODE_EXTRA_CA_CERTS, which Node reads
 * only at process start: the vitest globalSetup (tls-setup.ts) sets it before
 * the test workers are forked. No vitest imports: `roster demo` can reuse it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsMaterial {
  dir: string;
  caPath: string;
  certPath: string;
  keyPath: string;
}

/** Environment variable naming the folder made by createTestTls (set by the globalSetup). */
export const TLS_DIR_ENV = 'ROSTER_TEST_TLS_DIR';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A new CA and a server certificate for 127.0.0.1 and localhost (EC P-256: fast to make). */
export function createTestTls(dir: string = mkdtempSync(join(tmpdir(), 'roster-tls-'))): TlsMaterial {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3', '-subj', '/CN=Roster test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'server.ext'), [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
  ].join('\n'));
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.pem', '-days', '3', '-extfile', 'server.ext'], dir);
  return { dir, caPath: join(dir, 'ca.pem'), certPath: join(dir, 'server.pem'), keyPath: join(dir, 'server.key') };
}

/** The material made by the globalSetup, or a new one (the caller then has to make clients trust its CA). */
export function loadTestTls(): { cert: string; key: string; caPath: string } {
  const dir = process.env[TLS_DIR_ENV];
  const material = dir && existsSync(join(dir, 'server.pem')) ? {
    dir, caPath: join(dir, 'ca.pem'), certPath: join(dir, 'server.pem'), keyPath: join(dir, 'server.key'),
  } : createTestTls();
  return { cert: readFileSync(material.certPath, 'utf8'), key: readFileSync(material.keyPath, 'utf8'), caPath: material.caPath };
}
