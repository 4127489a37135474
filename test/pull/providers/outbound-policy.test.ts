/**
 * Every provider's HTTP client connects through the outbound URL policy:
 * an endpoint whose name resolves to a refused address (this machine's own
 * name, as a rebinding DNS name would) is refused when the connection is
 * made, although the URL itself passed validation, and nothing reaches the
 * listener. ROSTER_TRUSTED_HOSTS is emptied for these tests.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import { TRUSTED_HOSTS_ENV, urlRefusal } from '../../../src/core/net/url-policy.js';
import { createProvider, type ProviderKind } from '../../../src/pull/providers/index.js';

let server: Server;
let base: string;
/** TCP connections accepted: a TLS attempt on this plain listener would count too. */
let connections = 0;
const saved = process.env[TRUSTED_HOSTS_ENV];

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://${hostname()}:${(server.address() as AddressInfo).port}`;
  process.env[TRUSTED_HOSTS_ENV] = '';
});
afterEach(() => expect(connections).toBe(0));
afterAll(async () => {
  process.env[TRUSTED_HOSTS_ENV] = saved;
  await new Promise((r) => server.close(r));
});

// A real key: google-auth-library signs the assertion before it sends anything.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const KEY = { type: 'service_account', client_email: 'sync@proj.iam.gserviceaccount.com', private_key: privateKey };

const cases: Array<[ProviderKind, () => { settings: Record<string, unknown>; secrets: Record<string, unknown> }]> = [
  ['okta', () => ({ settings: { orgUrl: base, maxRetries: 0, serverErrorRetries: 0 }, secrets: { apiToken: 'ssws-token' } })],
  ['entra', () => ({ settings: { tenantId: 'contoso', clientId: 'app', authorityHost: base, graphBaseUrl: base, requestTimeoutMs: 10_000 }, secrets: { clientSecret: 's' } })],
  ['google', () => ({ settings: { subject: 'admin@acme.test', rootUrl: `${base}/`, tokenUrl: `${base}/token`, maxRetries: 0 }, secrets: { serviceAccountKey: KEY } })],
  ['keycloak', () => ({ settings: { baseUrl: base, realm: 'acme', clientId: 'roster-sync', serverErrorRetries: 0 }, secrets: { clientSecret: 's' } })],
];

describe('a provider endpoint that resolves to a refused address', () => {
  it.each(cases)('%s: the connection test is refused at connect time, and no request leaves', async (kind, config) => {
    expect(urlRefusal(base), 'the name passes the URL check; only its address is refused').toBeUndefined();
    const { settings, secrets } = config();
    const provider = await createProvider(kind, { settings, secrets, logger: silentLogger(), stats: { apiRequests: 0, throttled: 0 }, concurrency: 1 });
    const result = await provider.test();
    expect(result.ok).toBe(false);
    // MSAL replaces a network error by its own code (endpoints_resolution_error); the others keep the policy's words.
    if (kind !== 'entra') expect(JSON.stringify(result.checks)).toContain('refused by the outbound URL policy');
  });
});
