/**
 * The fake Google Admin SDK itself, spoken to over plain HTTP: the token
 * endpoint's JWT bearer checks and the Directory API's wire rules, so that
 * the provider tests rest on a fake that refuses what Google refuses.
 */
import { createSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLargeGoogleDirectory,
  GOOGLE_TOKEN_AUDIENCE,
  SCOPE_GROUP_READONLY,
  SCOPE_USER_READONLY,
  startFakeGoogle,
  type FakeGoogleServer,
  type ServiceAccountKey,
} from '../../fakes/google/index.js';
import { collectPages, connectToFake, minimumRequests } from '../../fakes/google/harness.js';

function assertion(key: ServiceAccountKey, claims: Record<string, unknown> = {}, signWith = key.private_key): string {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify({ iss: key.client_email, sub: 'admin@example.com', scope: `${SCOPE_USER_READONLY} ${SCOPE_GROUP_READONLY}`, aud: GOOGLE_TOKEN_AUDIENCE, iat: now, exp: now + 3600, ...claims }),
  ).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(signWith).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

describe('fake Google: token endpoint', () => {
  let fake: FakeGoogleServer;
  let key: ServiceAccountKey;

  beforeAll(async () => {
    fake = await startFakeGoogle();
    fake.directory.addUser({ primaryEmail: 'admin@example.com', isAdmin: true });
    key = fake.createServiceAccount();
  });
  afterAll(() => fake.close());

  const exchange = async (jwt: string, grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer') => {
    const res = await fetch(fake.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: grant, assertion: jwt }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('issues a bearer token for a well-signed assertion', async () => {
    const { status, body } = await exchange(assertion(key));
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, access_token: expect.stringMatching(/^ya29\./) });
  });

  it('refuses an assertion signed by another key, or with a wrong audience, subject or lifetime', async () => {
    const other = fake.createServiceAccount();
    expect(await exchange(assertion(key, {}, other.private_key))).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } });
    expect((await exchange(assertion(key, { aud: fake.tokenUrl }))).body.error).toBe('invalid_grant');
    expect((await exchange(assertion(key, { sub: 'nobody@example.com' }))).body).toMatchObject({ error: 'invalid_grant', error_description: 'Invalid email or User ID' });
    expect((await exchange(assertion(key, { exp: Math.floor(Date.now() / 1000) + 7200 }))).status).toBe(400);
    expect((await exchange(assertion(key), 'client_credentials')).body.error).toBe('unsupported_grant_type');
  });

  it('answers 401 unauthorized_client for a scope not delegated to the client', async () => {
    fake.tokens.setDelegatedScopes(key.client_email, [SCOPE_USER_READONLY]);
    try {
      const { status, body } = await exchange(assertion(key));
      expect(status).toBe(401);
      expect(body.error).toBe('unauthorized_client');
      expect((await exchange(assertion(key, { scope: SCOPE_USER_READONLY }))).status).toBe(200);
    } finally {
      fake.tokens.setDelegatedScopes(key.client_email, [SCOPE_USER_READONLY, SCOPE_GROUP_READONLY]);
    }
  });
});

describe('fake Google: Directory API wire rules', () => {
  let fake: FakeGoogleServer;
  let token: string;

  beforeAll(async () => {
    fake = await startFakeGoogle();
    fake.directory.addUser({ primaryEmail: 'admin@example.com', isAdmin: true });
    const key = fake.createServiceAccount({ delegatedScopes: [SCOPE_USER_READONLY] });
    const res = await fetch(fake.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(key, { scope: SCOPE_USER_READONLY }) }),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(() => fake.close());

  const get = async (path: string, auth = `Bearer ${token}`) => {
    const res = await fetch(new URL(path, fake.rootUrl), { headers: { authorization: auth } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('answers 401 in Google’s error shape without a valid bearer token', async () => {
    const { status, body } = await get('admin/directory/v1/users?customer=my_customer', 'Bearer nope');
    expect(status).toBe(401);
    expect(body.error).toMatchObject({ code: 401, errors: [{ reason: 'authError' }] });
  });

  it('answers 403 insufficientPermissions for an endpoint outside the token’s scopes', async () => {
    const { status, body } = await get('admin/directory/v1/groups?customer=my_customer');
    expect(status).toBe(403);
    expect(body.error.errors[0].reason).toBe('insufficientPermissions');
  });

  it('requires customer or domain, caps maxResults at 500, and omits the array when empty', async () => {
    expect((await get('admin/directory/v1/users')).status).toBe(400);
    const tooMany = await get('admin/directory/v1/users?customer=my_customer&maxResults=501');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain('[1, 500]');
    const deleted = await get('admin/directory/v1/users?customer=my_customer&showDeleted=true');
    expect(deleted.status).toBe(200);
    expect(deleted.body).not.toHaveProperty('users');
    expect(deleted.body).not.toHaveProperty('nextPageToken');
  });

  it('pages with nextPageToken and answers 404 for an unknown user', async () => {
    for (let i = 0; i < 4; i++) fake.directory.addUser();
    const first = await get('admin/directory/v1/users?customer=my_customer&maxResults=3');
    expect(first.body.users).toHaveLength(3);
    const second = await get(`admin/directory/v1/users?customer=my_customer&maxResults=3&pageToken=${first.body.nextPageToken as string}`);
    expect(second.body.users).toHaveLength(2);
    expect(second.body.nextPageToken).toBeUndefined();
    const missing = await get('admin/directory/v1/users/nobody%40example.com');
    expect(missing.status).toBe(404);
    expect(missing.body.error.errors[0]).toMatchObject({ domain: 'global', reason: 'notFound' });
  });

  it('searches users by email, names and custom fields (one clause), and refuses other queries', async () => {
    fake.directory.addUser({ primaryEmail: 'search@example.com', name: { givenName: "Ren'ee", familyName: 'Search' }, customSchemas: { HR: { badge: 'B-7' } } });
    const search = async (q: string) => get(`admin/directory/v1/users?customer=my_customer&query=${encodeURIComponent(q)}`);
    const emails = (r: { body: Record<string, any> }) => (r.body.users ?? []).map((u: { primaryEmail: string }) => u.primaryEmail);
    expect(emails(await search('email=search@example.com'))).toEqual(['search@example.com']);
    expect(emails(await search("givenName='ren\\'ee'"))).toEqual(['search@example.com']);
    expect(emails(await search('HR.badge=B-7'))).toEqual(['search@example.com']);
    expect(emails(await search('HR.badge=B-8'))).toEqual([]);
    expect((await search('orgTitle:Boss isAdmin=true')).status).toBe(400);
  });

  it('answers the fields asked (partial response), refuses a malformed selection with 400, never cuts an error', async () => {
    fake.directory.addUser({ primaryEmail: 'partial@example.com', phones: [{ value: '+1 555 0100', type: 'work' }] });
    const cut = await get(`admin/directory/v1/users?customer=my_customer&maxResults=2&fields=${encodeURIComponent('nextPageToken,users(id,name/givenName)')}`);
    expect(cut.status).toBe(200);
    expect(Object.keys(cut.body).sort()).toEqual(['nextPageToken', 'users']);
    expect(cut.body.users).toHaveLength(2);
    for (const u of cut.body.users) expect(Object.keys(u.name)).toEqual(['givenName']);
    expect(cut.body.users.map((u: Record<string, unknown>) => Object.keys(u).sort())).toEqual([['id', 'name'], ['id', 'name']]);
    const one = await get(`admin/directory/v1/users/partial%40example.com?fields=${encodeURIComponent('primaryEmail,phones/value')}`);
    expect(one.body).toEqual({ primaryEmail: 'partial@example.com', phones: [{ value: '+1 555 0100' }] });
    const bad = await get('admin/directory/v1/users?customer=my_customer&fields=users(id');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('Invalid field selection users(id');
    const missing = await get('admin/directory/v1/users/nobody%40example.com?fields=id');
    expect(missing.status).toBe(404);
    expect(missing.body.error.errors[0].reason).toBe('notFound');
  });

  it('returns custom schemas with projection=full, or custom with their name in customFieldMask, never with basic', async () => {
    fake.directory.addUser({ primaryEmail: 'grace@example.com', customSchemas: { Roster: { login: 'ghopper' }, Other: { x: '1' } } });
    const user = (projection: string) => get(`admin/directory/v1/users/grace%40example.com?${projection}`);
    expect((await user('projection=full')).body.customSchemas).toEqual({ Roster: { login: 'ghopper' }, Other: { x: '1' } });
    expect((await user('projection=custom&customFieldMask=Roster')).body.customSchemas).toEqual({ Roster: { login: 'ghopper' } });
    expect((await user('projection=basic')).body).not.toHaveProperty('customSchemas');
    expect((await user('')).body).not.toHaveProperty('customSchemas');
    const listed = await get('admin/directory/v1/users?customer=my_customer&maxResults=500');
    expect(listed.body.users.some((u: Record<string, unknown>) => 'customSchemas' in u)).toBe(false);
  });
});

describe('fake Google: the large directory', () => {
  it('builds 100,000 users, 5,000 groups and 500,000 memberships quickly', () => {
    const started = Date.now();
    const dir = createLargeGoogleDirectory();
    expect(dir.counts()).toEqual({ users: 100_000, deletedUsers: 0, groups: 5_000, memberships: 500_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(dir.membersOf(dir.listGroups()[0]!.id).some((m) => m.type === 'CUSTOMER')).toBe(true);
    expect(dir.membersOf(dir.listGroups()[0]!.id).length).toBeGreaterThan(200); // a group that pages
  });

  it('serves a scaled-down copy to the provider with the minimum number of requests', async () => {
    const fake = await startFakeGoogle({ directory: createLargeGoogleDirectory({ users: 2_000, groups: 100, memberships: 10_000 }) });
    try {
      const { provider, stats } = connectToFake(fake);
      const events = (await collectPages(await provider.run({ cursor: null }))).flat();
      const memberships = events.reduce((n, e) => n + (e.type === 'members' && !e.groupExternalId.startsWith('google-customer:') ? e.userExternalIds.length + e.groupExternalIds.length : 0), 0);
      expect(memberships).toBe(10_000);
      expect(stats.apiRequests).toBe(minimumRequests(fake));
    } finally {
      await fake.close();
    }
  });
});
