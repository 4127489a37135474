/**
 * The Okta provider's credentials, connection test and one-user lookup,
 * through the real SDK against the fake org: API token and OAuth service app
 * (private_key_jwt), permission errors, the SDK cache really off, and the
 * SDK's okta.yaml / OKTA_CLIENT_* sources kept out.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOktaProvider } from '../../../src/pull/providers/okta/index.js';
import { ProviderError } from '../../../src/pull/providers/types.js';
import { collect, collectUntilError, fakeOktaContext, startFakeOkta, usersOf, type FakeOkta } from '../../fakes/okta/index.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const jwk = JSON.stringify(keys.privateKey.export({ format: 'jwk' }));

let fake: FakeOkta;
beforeEach(async () => {
  fake = await startFakeOkta({
    oauthClients: [{ clientId: '0oaroster', keyId: 'kid-1', publicKey: keys.publicKey, scopes: ['okta.users.read', 'okta.groups.read'] }],
  });
});
afterEach(async () => {
  await fake.close();
});

const oauth = (privateKey: string, clientId = '0oaroster') =>
  fakeOktaContext(fake, { settings: { clientId, keyId: 'kid-1' }, secrets: { privateKey } });

describe('test()', () => {
  it('passes with a valid API token that can read users, groups and the System Log', async () => {
    const result = await createOktaProvider(fakeOktaContext(fake)).test();
    expect(result).toEqual({ ok: true, checks: [{ name: 'API token', ok: true }, { name: 'read users', ok: true }, { name: 'read groups', ok: true }, { name: 'read the System Log', ok: true }] });
  });

  it('says the API token is invalid or revoked (401 E0000011)', async () => {
    const result = await createOktaProvider(fakeOktaContext(fake, { secrets: { apiToken: 'revoked' } })).test();
    expect(result.ok).toBe(false);
    expect(result.checks[0]).toMatchObject({ name: 'API token', ok: false });
    expect(result.checks[0]!.detail).toMatch(/API token is invalid or revoked/);
    expect(result.checks.find((c) => c.name === 'read groups')?.detail).toMatch(/not checked/);
  });

  it('names the missing permission when the token cannot read groups (403 E0000006)', async () => {
    fake.permissions.groups = false;
    const result = await createOktaProvider(fakeOktaContext(fake)).test();
    expect(result.ok).toBe(false);
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([['API token', true], ['read users', true], ['read groups', false], ['read the System Log', true]]);
    expect(result.checks[2]!.detail).toMatch(/cannot read groups/);
  });

  it('names the missing OAuth scope', async () => {
    fake.permissions.users = false;
    const result = await createOktaProvider(oauth(pem)).test();
    expect(result.checks.find((c) => c.name === 'read users')).toMatchObject({ ok: false, detail: expect.stringMatching(/okta\.users\.read/) });
    expect(result.checks.find((c) => c.name === 'read groups')).toMatchObject({ ok: true });
  });

  it('reports a service app that was not granted a scope (token request refused with invalid_scope)', async () => {
    fake.oauth.clients.push({ clientId: '0oausersonly', keyId: 'kid-1', publicKey: keys.publicKey, scopes: ['okta.users.read'] });
    const result = await createOktaProvider(oauth(pem, '0oausersonly')).test();
    expect(result.ok).toBe(false);
    expect(result.checks.find((c) => c.name === 'read users')?.detail).toMatch(/not allowed: okta\.groups\.read/);
    // The SDK alone would have sent "Bearer undefined"; no API request went out without a token.
    expect(fake.requestsTo('users')).toHaveLength(0);
  });

  it('reports an OAuth client whose key does not match the registered one', async () => {
    const wrong = otherKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const result = await createOktaProvider(oauth(wrong)).test();
    expect(result.ok).toBe(false);
    expect(result.checks[0]).toMatchObject({ name: 'OAuth service app 0oaroster', ok: false });
    expect(result.checks[0]!.detail).toMatch(/signature is invalid/);
  });
});

describe('OAuth service app (private_key_jwt)', () => {
  it.each([['PEM', pem], ['JWK', jwk]])('syncs end to end with a %s private key, fetching one token for the run', async (_kind, key) => {
    fake.directory.addUser({ profile: { login: 'ada@example.com' } });
    const g = fake.directory.addGroup({ name: 'Eng' });
    fake.directory.addMember(g.id, [...fake.directory.users.keys()][0]!);
    const ctx = oauth(key);
    const { events } = await collect(await createOktaProvider(ctx).run({ cursor: null }));
    expect(usersOf(events).map((u) => u.userName)).toEqual(['ada@example.com']);
    expect(events.some((e) => e.type === 'members' && e.userExternalIds.length === 1)).toBe(true);
    expect(fake.oauth.tokensIssued).toBe(1);
    // The SDK sends a DPoP proof with its token request; the fake accepts it.
    expect(fake.oauth.dpopProofsSeen).toBeGreaterThanOrEqual(1);
    // The token request counts as an API request too.
    expect(ctx.stats.apiRequests).toBe(fake.requests.length);
    expect(fake.requestsTo('token')).toHaveLength(1);
  });

  it('fetches a new token when Okta stops accepting the old one', async () => {
    fake.directory.addUser({ profile: { login: 'ada@example.com' } });
    const p = createOktaProvider(oauth(pem));
    expect(await p.fetchUser({ userName: 'ada@example.com' })).not.toBeNull();
    fake.oauth.revokeAll();
    expect(await p.fetchUser({ userName: 'ada@example.com' })).not.toBeNull();
    expect(fake.oauth.tokensIssued).toBe(2);
  });

  it('fails the run with an auth error when the client is unknown', async () => {
    const { error } = await collectUntilError(await createOktaProvider(oauth(pem, '0oaunknown')).run({ cursor: null }));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'auth', status: 401 });
  });
});

describe('fetchUser', () => {
  function seedAda() {
    const ada = fake.directory.addUser({ profile: { login: 'ada@example.com', email: 'a"da@example.com', firstName: 'Ada', lastName: 'Lovelace', employeeNumber: 'E-1' } });
    const eng = fake.directory.addGroup({ name: 'Eng' });
    const ops = fake.directory.addGroup({ name: 'Ops' });
    fake.directory.addGroup({ name: 'Unrelated' });
    fake.directory.addMember(eng.id, ada.id);
    fake.directory.addMember(ops.id, ada.id);
    return ada;
  }

  it('finds a user by id, by login and by email (quotes escaped), with their groups but not Everyone', async () => {
    const ada = seedAda();
    const p = createOktaProvider(fakeOktaContext(fake));
    for (const lookup of [{ externalId: ada.id }, { userName: 'ada@example.com' }, { email: 'a"da@example.com' }]) {
      const found = await p.fetchUser(lookup);
      expect(found?.user).toMatchObject({ externalId: ada.id, userName: 'ada@example.com', active: true });
      expect(found?.groups.map((g) => g.displayName)).toEqual(['Eng', 'Ops']);
    }
    expect(fake.requestsTo('users').at(-1)!.query.filter).toBe('profile.email eq "a\\"da@example.com"');
  });

  it('returns null for a user Okta does not have', async () => {
    const p = createOktaProvider(fakeOktaContext(fake));
    expect(await p.fetchUser({ externalId: '00unope' })).toBeNull();
    expect(await p.fetchUser({ userName: 'nobody@example.com' })).toBeNull();
    expect(await p.fetchUser({ email: 'nobody@example.com' })).toBeNull();
  });

  it('sees a suspension at once: the SDK response cache is off', async () => {
    const ada = seedAda();
    const p = createOktaProvider(fakeOktaContext(fake));
    expect((await p.fetchUser({ externalId: ada.id }))?.user.active).toBe(true);
    fake.directory.suspend(ada.id);
    expect((await p.fetchUser({ externalId: ada.id }))?.user).toMatchObject({ active: false, status: 'SUSPENDED' });
    expect(fake.requestsTo('user')).toHaveLength(2);
  });

  it('follows the attribute mapping, searching custom userName fields', async () => {
    const ada = seedAda();
    fake.directory.updateUser(ada.id, { nickName: 'Countess', secondEmail: 'ada@home.example' });
    const ctx = fakeOktaContext(fake, {
      settings: { attributeMapping: { userName: 'employeeNumber', email: 'secondEmail', displayName: 'nickName' } },
    });
    const found = await createOktaProvider(ctx).fetchUser({ userName: 'E-1' });
    expect(found?.user).toMatchObject({ userName: 'E-1', email: 'ada@home.example', displayName: 'Countess', givenName: 'Ada' });
    // employeeNumber is not a `filter` attribute in Okta: the lookup must use `search`.
    expect(fake.requestsTo('users').at(-1)!.query.search).toBe('profile.employeeNumber eq "E-1"');
    const { events } = await collect(await createOktaProvider(ctx).run({ cursor: null }));
    expect(usersOf(events)[0]).toMatchObject({ userName: 'E-1', email: 'ada@home.example' });
  });
});

describe('isolation from the SDK config loader', () => {
  it('ignores OKTA_CLIENT_* variables and okta.yaml files', async () => {
    fake.directory.addUser({ profile: { login: 'ada@example.com' } });
    const dir = mkdtempSync(join(tmpdir(), 'roster-okta-yaml-'));
    writeFileSync(join(dir, 'okta.yaml'), 'okta:\n  client:\n    orgUrl: "http://127.0.0.1:9"\n    token: "from-yaml"\n    authorizationMode: "PrivateKey"\n');
    const saved = { ...process.env };
    const cwd = process.cwd();
    Object.assign(process.env, { OKTA_CLIENT_ORGURL: 'http://127.0.0.1:9', OKTA_CLIENT_TOKEN: 'from-env', OKTA_CLIENT_AUTHORIZATIONMODE: 'PrivateKey', OKTA_CLIENT_SCOPES: 'okta.apps.manage' });
    process.chdir(dir);
    try {
      const { events } = await collect(await createOktaProvider(fakeOktaContext(fake)).run({ cursor: null }));
      expect(usersOf(events)).toHaveLength(1);
      expect(fake.requestsTo('token')).toHaveLength(0);
    } finally {
      process.chdir(cwd);
      process.env = saved;
    }
  });
});
