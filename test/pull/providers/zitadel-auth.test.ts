/**
 * The Zitadel provider's wire and credentials, through the real
 * @zitadel/client and @connectrpc/connect-node against the fake instance:
 * connect JSON over HTTP/1.1 (the transport of connect-node 2.1 with the
 * client's own nested connect 2.3), personal access tokens, the JWT profile
 * grant with a key file (signature checked by the fake), token reuse and
 * re-grant after expiry, organization scoping, and the connection test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors/index.js';
import { validateSettings } from '../../../src/pull/providers/connection-settings.js';
import { createZitadelProvider } from '../../../src/pull/providers/zitadel/index.js';
import { ProviderError } from '../../../src/pull/providers/types.js';
import { fakeZitadelContext, startFakeZitadel, type FakeZitadel } from '../../fakes/zitadel/index.js';
import { list, usersIn } from './contract/fixtures.js';

let fake: FakeZitadel;
let projectId: string;
beforeEach(async () => {
  fake = await startFakeZitadel();
  projectId = fake.directory.addProject('App').id;
  fake.directory.addRole(projectId, 'admin', 'Administrator');
  fake.directory.addRole(projectId, 'viewer');
  const ann = fake.directory.addUser({ username: 'ann@acme.test', email: 'ann@acme.test', givenName: 'Ann', familyName: 'Lee' });
  fake.directory.grantRole(ann.userId, projectId, 'admin');
});
afterEach(() => fake.close());

const withKey = (key: unknown, settings: Record<string, unknown> = {}) => fakeZitadelContext(fake, { secrets: { serviceAccountKey: key }, settings });

describe('the wire', () => {
  it('speaks connect JSON over HTTP/1.1 to the v2 service paths, with the bearer token', async () => {
    const { error } = await list({ provider: createZitadelProvider(fakeZitadelContext(fake)) });
    expect(error).toBeUndefined();
    const first = fake.requests.find((r) => r.route === 'users')!;
    expect(first.httpVersion).toBe('1.1');
    expect(first.headers).toMatchObject({ 'content-type': 'application/json', 'connect-protocol-version': '1', authorization: 'Bearer test-pat' });
    // proto3 JSON leaves out defaults: offset 0 is not sent.
    expect(first.body).toMatchObject({ query: { limit: 1000, asc: true }, queries: [{ typeQuery: { type: 'TYPE_HUMAN' } }] });
    expect(new Set(fake.requests.map((r) => r.route))).toEqual(new Set(['users', 'projects', 'roles', 'authorizations']));
  });

  it('maps each project role to a group named by its key, with the holders of an active grant as members', async () => {
    const { events } = await list({ provider: createZitadelProvider(fakeZitadelContext(fake)) });
    const groups = events.flatMap((e) => (e.type === 'group' ? [e.group] : []));
    expect(groups).toEqual([
      { externalId: `${projectId}:admin`, displayName: 'admin', profile: { projectId, projectName: 'App', description: 'Administrator' } },
      { externalId: `${projectId}:viewer`, displayName: 'viewer', profile: { projectId, projectName: 'App', description: 'viewer' } },
    ]);
    // A role nobody holds still gets its (empty) complete member list.
    expect(events.filter((e) => e.type === 'members').map((e) => e.type === 'members' && [e.groupExternalId, e.mode, e.userExternalIds.length])).toEqual([
      [`${projectId}:admin`, 'set', 1],
      [`${projectId}:viewer`, 'set', 0],
    ]);
  });

  it('leaves machine users (API clients) out of the listing', async () => {
    fake.directory.addUser({ username: 'roster-sync', machine: true });
    const { events } = await list({ provider: createZitadelProvider(fakeZitadelContext(fake)) });
    expect(usersIn(events).map((u) => u.userName)).toEqual(['ann@acme.test']);
  });

  it('scopes to organizationId: the x-zitadel-orgid header and an organization filter', async () => {
    const provider = createZitadelProvider(fakeZitadelContext(fake, { settings: { organizationId: '100000000000000001' } }));
    await list({ provider });
    const users = fake.requests.find((r) => r.route === 'users')!;
    expect(users.headers['x-zitadel-orgid']).toBe('100000000000000001');
    expect(users.body.queries).toContainEqual({ organizationIdQuery: { organizationId: '100000000000000001' } });
  });

  it('reads a connect error body ({ code, message }) as the ProviderError of its code', async () => {
    fake.faults.push({ route: 'users', status: 403 });
    const { error } = await list({ provider: createZitadelProvider(fakeZitadelContext(fake)) });
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'permission', status: 403 });
  });

  it('ends a request under way when the run is aborted, as a network ProviderError', async () => {
    fake.latencyMs = 2_000;
    const controller = new AbortController();
    const provider = createZitadelProvider({ ...fakeZitadelContext(fake), signal: controller.signal });
    setTimeout(() => controller.abort(new Error('sync cancelled')), 50);
    const started = Date.now();
    const { error } = await list({ provider });
    expect(error).toMatchObject({ name: 'ProviderError', kind: 'network' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('retries a dropped connection and completes', async () => {
    fake.faults.push({ route: 'users', drop: true, times: 1 });
    const handle = { provider: createZitadelProvider(fakeZitadelContext(fake)) };
    const { error, events } = await list(handle);
    expect(error).toBeUndefined();
    expect(usersIn(events)).toHaveLength(1);
  });
});

describe('a service account key (JWT profile grant)', () => {
  it('gets an access token with a signed assertion, once for the whole run', async () => {
    for (let i = 0; i < 5; i++) fake.directory.addRole(projectId, `role-${i}`);
    const key = fake.addServiceAccountKey();
    const context = withKey(JSON.stringify(key));
    const { error } = await list({ provider: createZitadelProvider(context) });
    expect(error).toBeUndefined();
    const tokens = fake.requests.filter((r) => r.route === 'token');
    expect(tokens.map((r) => r.status)).toEqual([200]);
    // Concurrent member listings share the one grant; the token request is counted.
    expect(context.stats.apiRequests).toBe(fake.requests.length);
    expect(fake.requests.find((r) => r.route === 'users')!.headers.authorization).toMatch(/^Bearer [0-9a-f]{32}$/);
  });

  it('takes the key file as JSON text or as an object', async () => {
    const key = fake.addServiceAccountKey();
    const { error } = await list({ provider: createZitadelProvider(withKey(key)) });
    expect(error).toBeUndefined();
  });

  it('asks for a new token when Zitadel no longer accepts the one it holds', async () => {
    const provider = createZitadelProvider(withKey(fake.addServiceAccountKey()));
    expect((await list({ provider })).error).toBeUndefined();
    fake.expireTokens();
    const again = await list({ provider });
    expect(again.error).toBeUndefined();
    expect(fake.requests.filter((r) => r.route === 'token').map((r) => r.status)).toEqual([200, 200]);
  });

  it('reports a key the instance does not know (its signature fails) as an auth error, and as the failed first check', async () => {
    const other = await startFakeZitadel();
    try {
      const foreign = { ...other.addServiceAccountKey(), keyId: fake.addServiceAccountKey().keyId };
      const provider = createZitadelProvider(withKey(foreign));
      const { error } = await list({ provider });
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ kind: 'auth' });
      expect((error as Error).message).toMatch(/signature invalid/);
      const result = await provider.test();
      expect(result.checks[0]).toMatchObject({ name: `service account key ${foreign.keyId}`, ok: false });
      expect(result.checks.every((c) => !c.ok)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('refuses a key file that is not one, naming serviceAccountKey, before any request', () => {
    for (const bad of ['{not json', JSON.stringify({ keyId: 'k' }), JSON.stringify({ keyId: 'k', userId: 'u', key: 'not a PEM' })]) {
      let error: unknown;
      try {
        createZitadelProvider(withKey(bad));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).details?.field).toBe('serviceAccountKey');
    }
    expect(fake.requests).toEqual([]);
  });
});

describe('settings', () => {
  it('keeps the token or the key file as secrets, and needs exactly one of them', () => {
    expect(validateSettings('zitadel', { baseUrl: fake.url, personalAccessToken: 'pat', organizationId: '1' })).toEqual({
      settings: { baseUrl: fake.url, organizationId: '1' },
      secrets: { personalAccessToken: 'pat' },
    });
    expect(validateSettings('zitadel', { baseUrl: fake.url, serviceAccountKey: '{"keyId":"1"}' }).secrets).toEqual({ serviceAccountKey: '{"keyId":"1"}' });
    expect(() => validateSettings('zitadel', { baseUrl: fake.url })).toThrow(/personalAccessToken/);
    expect(() => validateSettings('zitadel', { baseUrl: fake.url, personalAccessToken: 'p', serviceAccountKey: 'k' })).toThrow(/one way to authenticate/);
  });
});

describe('test()', () => {
  it('passes with every permission, naming each check', async () => {
    const result = await createZitadelProvider(fakeZitadelContext(fake)).test();
    expect(result).toEqual({
      ok: true,
      checks: [
        { name: 'personal access token', ok: true },
        { name: 'read users', ok: true },
        { name: 'read groups (project roles and grants)', ok: true },
        { name: 'read the events API', ok: true },
      ],
    });
  });

  it('names IAM_OWNER_VIEWER when the events API is refused, and says deltas then run full', async () => {
    fake.permissions.events = false;
    const result = await createZitadelProvider(fakeZitadelContext(fake)).test();
    expect(result.ok).toBe(false);
    expect(result.checks.filter((c) => !c.ok)).toEqual([{ name: 'read the events API', ok: false, detail: expect.stringMatching(/IAM_OWNER_VIEWER.*full listings/) }]);
  });
});
