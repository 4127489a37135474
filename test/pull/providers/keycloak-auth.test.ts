/**
 * The Keycloak provider's sign-in and connection test, through the real
 * @keycloak/keycloak-admin-client against the fake: client credentials in a
 * Basic header, a token that expires (a client-credentials token cannot be
 * refreshed: the provider signs in again), a token refused before its time,
 * and a connection test that names what is missing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeycloakProvider } from '../../../src/pull/providers/keycloak/index.js';
import { policyDispatcher } from '../../../src/pull/providers/keycloak/transport.js';
import { ProviderError } from '../../../src/pull/providers/types.js';
import { drain, fakeKeycloakContext, startFakeKeycloak, type FakeKeycloak } from '../../fakes/keycloak/index.js';

let fake: FakeKeycloak;
beforeEach(async () => {
  fake = await startFakeKeycloak();
});
afterEach(async () => {
  await fake.close();
});

const seedUsers = (n: number) => Array.from({ length: n }, (_, i) => fake.realm.addUser({ username: `user${String(i).padStart(3, '0')}`, firstName: 'U', lastName: String(i) }).id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('signing in with client credentials', () => {
  it('posts grant_type=client_credentials with the client id and secret in a Basic header, and asks no refresh', async () => {
    const [id] = seedUsers(1);
    const provider = createKeycloakProvider(fakeKeycloakContext(fake));
    expect((await provider.fetchUser({ externalId: id! }))?.user.externalId).toBe(id);
    expect(fake.tokensIssued).toBe(1);
    const [token] = fake.requestsTo('token');
    expect(token).toMatchObject({ method: 'POST', path: '/realms/acme/protocol/openid-connect/token', status: 200 });
  });

  it('signs in again when the token is about to expire, instead of refreshing it (no refresh token comes back)', async () => {
    // A 6-second token is "expired" for the client 5 seconds early: after about a second.
    fake.tokenLifetimeSeconds = 6;
    const ids = seedUsers(3);
    const context = fakeKeycloakContext(fake);
    const provider = createKeycloakProvider(context);
    await provider.fetchUser({ externalId: ids[0]! });
    await sleep(1300);
    await provider.fetchUser({ externalId: ids[1]! });
    expect(fake.tokensIssued).toBe(2);
    // Signed in before the request, not after a refusal: no 401 was met.
    expect(fake.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(context.stats.apiRequests).toBe(fake.requests.length);
  });

  it('keeps a long run going across token expiries, signing in once for all concurrent requests', async () => {
    fake.tokenLifetimeSeconds = 6;
    const users = seedUsers(5);
    for (let g = 0; g < 12; g++) fake.realm.addMember(fake.realm.addGroup(`G${g}`).id, users[g % 5]!);
    fake.latencyMs = 250; // 1 + 1 + 1 + 1 + 12 member listings at 4 at a time: about 2 s
    const context = fakeKeycloakContext(fake, { concurrency: 4 });
    const { error, events } = await drain(await createKeycloakProvider(context).run({ cursor: null }));
    expect(error).toBeNull();
    expect(events.filter((e) => e.type === 'members')).toHaveLength(12);
    expect(fake.tokensIssued).toBeGreaterThanOrEqual(2);
    expect(fake.tokensIssued).toBeLessThanOrEqual(4);
    expect(fake.requests.filter((r) => r.status === 401)).toEqual([]);
  });

  it('signs in again once when Keycloak refuses a token before its expiry (keys rotated, session revoked)', async () => {
    const ids = seedUsers(2);
    const provider = createKeycloakProvider(fakeKeycloakContext(fake));
    await provider.fetchUser({ externalId: ids[0]! });
    fake.revokeTokens();
    expect((await provider.fetchUser({ externalId: ids[1]! }))?.user.externalId).toBe(ids[1]);
    expect(fake.tokensIssued).toBe(2);
    expect(fake.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('gives up with an auth error when even a fresh token is refused, without looping', async () => {
    const [id] = seedUsers(1);
    fake.tokenLifetimeSeconds = 0; // every token is dead on arrival
    const provider = createKeycloakProvider(fakeKeycloakContext(fake));
    await expect(provider.fetchUser({ externalId: id! })).rejects.toMatchObject({ name: 'ProviderError', kind: 'auth' });
    expect(fake.requests.filter((r) => r.route === 'user')).toHaveLength(2);
  });

  it('sends every request through a dispatcher that applies the outbound URL policy to resolved addresses', async () => {
    expect(await policyDispatcher()).not.toBeNull();
  });

  it('refuses a base URL the outbound URL policy refuses, before any request', async () => {
    const context = fakeKeycloakContext(fake, { settings: { baseUrl: 'http://169.254.169.254' } });
    const { error } = await drain(await createKeycloakProvider(context).run({ cursor: null }));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'network', message: expect.stringMatching(/outbound URL policy/) });
    expect(context.stats.apiRequests).toBe(0);
  });
});

describe('test(): the connection test names what is missing', () => {
  const run = (settings: Record<string, unknown> = {}, secrets?: Record<string, unknown>) =>
    createKeycloakProvider(fakeKeycloakContext(fake, { settings, ...(secrets ? { secrets } : {}) })).test();

  it('passes with a service account holding view-users, query-groups and view-events, in a realm that saves admin events', async () => {
    expect(await run()).toEqual({
      ok: true,
      checks: [
        { name: 'client credentials of "roster-sync" in realm "acme"', ok: true },
        { name: 'read users', ok: true },
        { name: 'read groups', ok: true },
        { name: 'admin events (deltas)', ok: true },
      ],
    });
  });

  it.each([
    ['a wrong secret', {}, { clientSecret: 'wrong' }, /rejected the client credentials.*unauthorized_client/],
    ['an unknown client', { clientId: 'nobody' }, undefined, /rejected the client credentials of "nobody".*invalid_client/],
    ['an unknown realm', { realm: 'nowhere' }, undefined, /no realm "nowhere"/],
  ])('says so for %s, and checks nothing else', async (_what, settings, secrets, detail) => {
    const result = await run(settings, secrets);
    expect(result.ok).toBe(false);
    expect(result.checks[0]).toMatchObject({ ok: false, detail: expect.stringMatching(detail) });
    expect(result.checks.slice(1).map((c) => c.detail)).toEqual(Array(3).fill('not checked: no access token'));
  });

  it('says when the client has no service account', async () => {
    fake.client.serviceAccount = false;
    expect((await run()).checks[0]!.detail).toMatch(/no service account/);
  });

  it.each([
    ['view-users', 'read users'],
    ['query-groups', 'read groups'],
  ] as const)('names the missing role %s', async (role, check) => {
    fake.client.roles.delete(role);
    const result = await run();
    expect(result.checks.filter((c) => !c.ok)).toEqual([{ name: check, ok: false, detail: expect.stringContaining(role) }]);
  });

  it('says deltas will be full runs without view-events', async () => {
    fake.client.roles.delete('view-events');
    const result = await run();
    expect(result.ok).toBe(false);
    expect(result.checks.at(-1)).toEqual({ name: 'admin events (deltas)', ok: false, detail: expect.stringMatching(/view-events.*deltas will be full runs/) });
  });

  it('says deltas will be full runs when the realm does not save admin events', async () => {
    fake.realm.adminEventsEnabled = false;
    const result = await run();
    expect(result.checks.at(-1)).toEqual({ name: 'admin events (deltas)', ok: false, detail: expect.stringMatching(/does not save admin events.*deltas will be full runs/) });
  });
});
