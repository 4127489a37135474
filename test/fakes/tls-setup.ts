/**
 * vitest globalSetup: one test CA per run. It runs in the main vitest process
 * before the fork pool starts, so the workers inherit NODE_EXTRA_CA_CERTS
 * (Node reads it only at process start) and trust the fake IdP servers.
 */
import { rmSync } from 'node:fs';
import { createTestTls, TLS_DIR_ENV } from './tls.js';

export default function setup(): () => void {
  const tls = createTestTls();
  process.env.NODE_EXTRA_CA_CERTS = tls.caPath;
  process.env[TLS_DIR_ENV] = tls.dir;
  return () => rmSync(tls.dir, { recursive: true, force: true });
}
