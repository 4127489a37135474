/**
 * A tenant key against the outbound URL policy, over /api/v1: it cannot
 * move a stored credential to a server of its choosing without giving the
 * credential again, cannot point a connection or a webhook at loopback,
 * private or metadata addresses, and cannot use `connection test` to learn
 * which ports are open. The suite trusts 127.0.0.1 (vitest.config.ts); the
 * addresses used here are other loopback and private ones.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { apiHarness, type ApiHarness } from './support.js';

let h: ApiHarness;
let key: string;
let oktaId: string;
let entraId: string;
let googleId: string;
let listener: Server;
let listenerPort: number;
let hits = 0;

const OKTA = { orgUrl: 'https://acme.okta.com', apiToken: 'ssws-stored-token' };
const ENTRA = { tenantId: 't', clientId: 'c', clientSecret: 'stored-client-secret' };
const SA_KEY = { type: 'service_account', client_email: 'sync@proj.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----x' };

beforeAll(async () => {
  h = await apiHarness();
  await op(h.ctx, 'tenant.create', { slug: 'acme' });
  key = (await h.key('admin', 'acme')).key;
  const create = async (name: string, kind: string, settings: unknown) =>
    (await h.send('POST', '/api/v1/connections', key, { tenant: 'acme', name, kind, settings })).json().id as string;
  oktaId = await create('okta', 'okta', OKTA);
  entraId = await create('entra', 'entra', ENTRA);
  googleId = await create('google', 'google', { subject: 'admin@acme.test', serviceAccountKey: SA_KEY });
  // Something listening on loopback that must never hear from a tenant's connection test.
  listener = createServer((socket) => {
    hits++;
    socket.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.2', r));
  listenerPort = (listener.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => listener.close(r));
  await h.close();
});

const patch = (id: string, body: unknown) => h.send('PATCH', `/api/v1/connections/${id}`, key, body);
const storedSettings = async (id: string) =>
  (await queryRows<{ settings: Record<string, unknown> }>(h.store.db, sql`select settings from connections where id = ${id}::uuid`))[0]!.settings;

describe('moving a credential to another endpoint', () => {
  it.each([
    ['okta', 'orgUrl', 'apiToken', () => oktaId, { orgUrl: 'https://attacker.example' }],
    ['entra', 'authorityHost', 'clientSecret', () => entraId, { tenantId: 't', clientId: 'c', authorityHost: 'https://attacker.example' }],
    ['entra', 'graphBaseUrl', 'clientSecret', () => entraId, { tenantId: 't', clientId: 'c', graphBaseUrl: 'https://attacker.example' }],
    ['google', 'tokenUrl', 'serviceAccountKey', () => googleId, { subject: 'admin@acme.test', tokenUrl: 'https://attacker.example/token' }],
    ['google', 'rootUrl', 'serviceAccountKey', () => googleId, { subject: 'admin@acme.test', rootUrl: 'https://attacker.example/' }],
  ] as const)('%s: changing %s without %s is a 400 naming it, and changes nothing', async (_kind, endpoint, secret, id, settings) => {
    const before = await storedSettings(id());
    const res = await patch(id(), { settings });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(`"${endpoint}"`);
    expect(res.json().error.message).toContain(`give "${secret}" again`);
    expect(await storedSettings(id())).toEqual(before);
  });

  it('accepts the new endpoint with the secret given again, and other changes without it', async () => {
    const moved = await patch(oktaId, { settings: { orgUrl: 'https://acme.oktapreview.com', apiToken: 'a-new-token' } });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().settings).toEqual({ orgUrl: 'https://acme.oktapreview.com', apiToken: '(set)' });
    const sameUrl = await patch(oktaId, { settings: { orgUrl: 'https://acme.oktapreview.com/', requestTimeoutMs: 5000 } });
    expect(sameUrl.statusCode).toBe(200);
    expect(sameUrl.json().settings).toMatchObject({ apiToken: '(set)', requestTimeoutMs: 5000 });
  });
});

describe('endpoints the policy refuses', () => {
  it.each([
    ['okta', 'orgUrl', 'link-local', () => oktaId, { orgUrl: 'https://169.254.169.254', apiToken: 't' }],
    ['okta', 'orgUrl', 'must use https', () => oktaId, { orgUrl: 'http://acme.okta.com', apiToken: 't' }],
    ['entra', 'authorityHost', 'private', () => entraId, { ...ENTRA, authorityHost: 'https://10.0.0.5' }],
    ['entra', 'graphBaseUrl', 'loopback', () => entraId, { ...ENTRA, graphBaseUrl: 'https://[::ffff:127.0.0.2]' }],
    ['google', 'tokenUrl', 'loopback', () => googleId, { subject: 'admin@acme.test', serviceAccountKey: SA_KEY, tokenUrl: 'https://localhost/token' }],
  ] as const)('%s: %s (%s) is refused with 400 naming the field', async (_kind, field, why, id, settings) => {
    const res = await patch(id(), { settings });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(`"${field}"`);
    expect(res.json().error.message).toContain(why);
  });

  it('refuses a webhook to a private or metadata address, or over plain http, naming the field (webhooks are managed by the CLI)', async () => {
    for (const url of ['https://169.254.169.254/hook', 'https://192.168.1.10/hook', 'http://hooks.example.com/x', 'http://localhost:9000/x']) {
      const error = await op(h.ctx, 'webhook.create', { tenant: 'acme', url }).catch((e: Error) => e);
      expect(error, url).toBeInstanceOf(ValidationError);
      expect((error as Error).message, url).toMatch(/^webhook "url" must (use https|not point at)/);
    }
  });
});

describe('connection test', () => {
  it('is no port scanner: a stored endpoint on a refused address fails before connecting, the same way for an open and a closed port', async () => {
    const details: string[] = [];
    for (const port of [listenerPort, 1]) {
      // As a row saved before the policy existed would be.
      await queryRows(h.store.db, sql`update connections set settings = ${JSON.stringify({ orgUrl: `https://127.0.0.2:${port}` })}::jsonb where id = ${oktaId}::uuid`);
      const res = await h.send('POST', `/api/v1/connections/${oktaId}/test`, key);
      expect(res.statusCode).toBe(200);
      expect(res.json().ok).toBe(false);
      details.push(JSON.stringify(res.json().checks));
    }
    expect(details[0]).toBe(details[1]);
    expect(details[0]).toContain('must not point at a loopback address (127.0.0.2)');
    expect(hits).toBe(0);
  });
});
