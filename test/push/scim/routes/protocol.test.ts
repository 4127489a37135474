/** The SCIM protocol around the resources: discovery, authentication, tenant isolation, limits and errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { op } from '../../../admin/operations/support.js';
import { scimHarness, userBody, type ScimHarness } from './support.js';

let h: ScimHarness;
let userId: string;
let groupId: string;

beforeAll(async () => {
  h = await scimHarness();
  userId = (await h.request('POST', '/scim/v2/Users', userBody('owner@acme.test'))).body.id;
  groupId = (await h.request('POST', '/scim/v2/Groups', { displayName: 'Mine', members: [{ value: userId }] })).body.id;
});
afterAll(() => h.close());

describe('discovery', () => {
  it('serves ServiceProviderConfig (also as /serviceConfiguration), ResourceTypes and Schemas without nulls', async () => {
    for (const path of ['ServiceProviderConfig', 'serviceConfiguration']) {
      const res = await h.request('GET', `/scim/v2/${path}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ patch: { supported: true }, bulk: { supported: false }, filter: { supported: true }, etag: { supported: true } });
    }
    const types = await h.request('GET', '/scim/v2/ResourceTypes');
    expect(types.body.Resources.map((r: { endpoint: string }) => r.endpoint)).toEqual(['/Users', '/Groups']);
    const schemas = await h.request('GET', '/scim/v2/Schemas');
    expect(schemas.body.Resources.map((s: { name: string }) => s.name)).toEqual(['User', 'EnterpriseUser', 'RosterCustomUser', 'Group']);
    expect(JSON.stringify(schemas.body)).not.toContain('null');
    expect((await h.request('GET', '/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group')).body.name).toBe('Group');
  });

  it('matches paths case-insensitively and with a trailing slash', async () => {
    expect((await h.request('GET', '/scim/v2/users')).status).toBe(200);
    expect((await h.request('GET', '/scim/v2/Users/')).status).toBe(200);
  });

  it('answers an unknown SCIM path with a SCIM 404 body', async () => {
    const res = await h.request('GET', '/scim/v2/Widgets');
    expect(res.status).toBe(404);
    expect(res.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });
});

describe('authentication and isolation', () => {
  it('answers a missing or wrong token with 401 and a SCIM error body', async () => {
    for (const authorization of ['', 'Bearer wrong', `Basic ${h.token}`]) {
      const res = await h.request('GET', '/scim/v2/Users', undefined, { authorization });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ status: '401', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
    }
  });

  it('stops accepting a revoked token on the very next request', async () => {
    const t = await op(h.ctx, 'token.create', { connection: h.connectionId, name: 'soon revoked' });
    expect((await h.request('GET', '/scim/v2/Users', undefined, { authorization: `Bearer ${t.token}` })).status).toBe(200);
    await op(h.ctx, 'token.revoke', { id: t.id });
    expect((await h.request('GET', '/scim/v2/Users', undefined, { authorization: `Bearer ${t.token}` })).status).toBe(401);
  });

  it('serves the connection-scoped prefix only to that connection’s tokens', async () => {
    expect((await h.request('GET', `/scim/v2/enterprise-idps/${h.connectionId}/Users`)).body.totalResults).toBeGreaterThan(0);
    const foreign = await h.request('GET', `/scim/v2/enterprise-idps/${h.connectionId}/Users`, undefined, { authorization: `Bearer ${h.other.token}` });
    expect(foreign.status).toBe(401);
  });

  it('records when a token was last used, without writing on every request', async () => {
    const t = await op(h.ctx, 'token.create', { connection: h.connectionId, name: 'usage' });
    const lastUsed = async () =>
      (await op(h.ctx, 'token.list', { connection: h.connectionId })).find((x: { id: string }) => x.id === t.id).lastUsedAt as string | null;
    expect(await lastUsed()).toBeNull();
    await h.request('GET', '/scim/v2/Users', undefined, { authorization: `Bearer ${t.token}` });
    await new Promise((r) => setTimeout(r, 50)); // the write is not awaited by the request
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await h.request('GET', '/scim/v2/Users', undefined, { authorization: `Bearer ${t.token}` });
    await new Promise((r) => setTimeout(r, 50));
    expect(await lastUsed()).toBe(first);
  });

  it('keeps two connections of one tenant apart: a token sees only its own connection', async () => {
    const sibling = await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'sibling', kind: 'scim' });
    const { token } = await op(h.ctx, 'token.create', { connection: sibling.id, name: 'sibling' });
    const as = { authorization: `Bearer ${token}` };
    expect((await h.request('GET', `/scim/v2/Users/${userId}`, undefined, as)).status).toBe(404);
    expect((await h.request('GET', `/scim/v2/Groups/${groupId}`, undefined, as)).status).toBe(404);
    expect((await h.request('DELETE', `/scim/v2/Users/${userId}`, undefined, as)).status).toBe(404);
    expect((await h.request('GET', '/scim/v2/Users', undefined, as)).body.totalResults).toBe(0);
    expect((await h.request('GET', `/scim/v2/Users/${userId}`)).status).toBe(200);
  });

  it('never lets another tenant’s token read or change this connection’s users and groups, on any route', async () => {
    const as = { authorization: `Bearer ${h.other.token}` };
    const patchBody = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'pwned' }] };
    const attempts: Array<[string, string, unknown]> = [
      ['GET', `/scim/v2/Users/${userId}`, undefined],
      ['PUT', `/scim/v2/Users/${userId}`, userBody('owner@acme.test', { displayName: 'pwned' })],
      ['PATCH', `/scim/v2/Users/${userId}`, patchBody],
      ['DELETE', `/scim/v2/Users/${userId}`, undefined],
      ['GET', `/scim/v2/Groups/${groupId}`, undefined],
      ['PUT', `/scim/v2/Groups/${groupId}`, { displayName: 'pwned' }],
      ['PATCH', `/scim/v2/Groups/${groupId}`, patchBody],
      ['DELETE', `/scim/v2/Groups/${groupId}`, undefined],
    ];
    for (const [method, url, body] of attempts) {
      const res = await h.request(method as 'GET', url, body, as);
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    const lists = [
      await h.request('GET', `/scim/v2/Users?filter=${encodeURIComponent('userName eq "owner@acme.test"')}`, undefined, as),
      await h.request('GET', `/scim/v2/Groups?filter=${encodeURIComponent(`members[value eq "${userId}"]`)}`, undefined, as),
      await h.request('GET', '/scim/v2/Users', undefined, as),
      await h.request('GET', '/scim/v2/Groups', undefined, as),
    ];
    for (const res of lists) expect(res.body.totalResults).toBe(0);
    // A group created by the other tenant cannot take this tenant's user as a member.
    const stolen = await h.request('POST', '/scim/v2/Groups', { displayName: 'Theirs', members: [{ value: userId }] }, as);
    expect(stolen.body.members ?? []).toEqual([]);
    const mine = await h.request('GET', `/scim/v2/Users/${userId}`);
    expect(mine.body.displayName).toBeUndefined();
    expect((await h.request('GET', `/scim/v2/Groups/${groupId}`)).body.displayName).toBe('Mine');
  });
});

describe('limits and malformed requests', () => {
  it('rate-limits a token: past the burst a 429 with an integer Retry-After', async () => {
    const limited = await scimHarness({ rateLimit: 60 });
    try {
      await op(limited.ctx, 'connection.update', { connection: limited.connectionId, scimBurst: 3 });
      const statuses: number[] = [];
      let retryAfter: unknown;
      for (let i = 0; i < 5; i++) {
        const res = await limited.request('GET', '/scim/v2/Users');
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers['retry-after'];
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(String(retryAfter)).toMatch(/^\d+$/);
    } finally {
      await limited.close();
    }
  });

  it('answers an oversized body with 413 and invalid JSON with 400 invalidSyntax', async () => {
    const huge = JSON.stringify(userBody('big@acme.test', { title: 'x'.repeat(3 * 1024 * 1024) }));
    const big = await h.request('POST', '/scim/v2/Users', huge);
    expect(big.status).toBe(413);
    expect(big.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    const bad = await h.request('POST', '/scim/v2/Users', '{"userName": ');
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe('invalidSyntax');
  });

  it('accepts a bodiless DELETE that still names a content type', async () => {
    const id = (await h.request('POST', '/scim/v2/Users', userBody('tobedeleted@acme.test'))).body.id;
    expect((await h.request('DELETE', `/scim/v2/Users/${id}`)).status).toBe(204);
  });
});
