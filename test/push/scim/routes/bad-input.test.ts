/**
 * Hostile and odd input on the SCIM surface: every case is a 4xx with a SCIM
 * error body, never a 500 (issue 10, "Bad input and edges").
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM_ERROR_SCHEMA } from '../../../../src/push/scim/errors.js';
import { scimHarness, userBody, type ScimHarness } from './support.js';

let h: ScimHarness;
beforeAll(async () => {
  h = await scimHarness();
});
afterAll(async () => h.close());

const expectScimError = (res: { status: number; body: any }, status: number, scimType?: string) => {
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(status);
  expect(res.body.schemas).toEqual([SCIM_ERROR_SCHEMA]);
  expect(res.body.status).toBe(String(status));
  if (scimType) expect(res.body.scimType).toBe(scimType);
};

describe('paging parameters (RFC 7644 §3.4.2.4)', () => {
  it('answers a startIndex far past any row (1e23 written out) with an empty page, not a 500', async () => {
    const res = await h.request('GET', `/scim/v2/Users?startIndex=${'1' + '0'.repeat(23)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.Resources).toEqual([]);
    expect(res.body.itemsPerPage).toBe(0);
  });

  it('answers a count of 24 digits with at most a page', async () => {
    const res = await h.request('GET', `/scim/v2/Groups?count=${'9'.repeat(24)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.startIndex).toBe(1);
  });

  it('treats a negative startIndex as 1 and a negative count as 0', async () => {
    await h.request('POST', '/scim/v2/Users', userBody('paging@acme.test'));
    const res = await h.request('GET', '/scim/v2/Users?startIndex=-5&count=-3');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ startIndex: 1, itemsPerPage: 0, Resources: [] });
    expect(res.body.totalResults).toBeGreaterThan(0);
  });

  it('refuses a non-numeric startIndex or count with invalidValue naming it', async () => {
    for (const q of ['startIndex=abc', 'count=ten', 'startIndex=1.5', 'count=Infinity', 'startIndex=1e23', 'count=1e23']) {
      const res = await h.request('GET', `/scim/v2/Users?${q}`);
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).toContain(q.split('=')[0]);
    }
  });
});

describe('NUL characters (Postgres text cannot hold them)', () => {
  it('refuses a NUL in userName, naming the attribute', async () => {
    const res = await h.request('POST', '/scim/v2/Users', userBody('nul\u0000@acme.test'));
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain('userName');
  });

  it('refuses a NUL in a nested value, naming its path', async () => {
    const res = await h.request('POST', '/scim/v2/Users', userBody('nested@acme.test', { name: { givenName: 'A\u0000da' } }));
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain('name.givenName');
  });

  it('refuses a NUL in a key, in a group displayName and in a PATCH value', async () => {
    expectScimError(await h.request('POST', '/scim/v2/Users', userBody('key@acme.test', { 'x\u0000y': 'v' })), 400, 'invalidValue');
    expectScimError(await h.request('POST', '/scim/v2/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'G\u0000' }), 400, 'invalidValue');
    const created = await h.request('POST', '/scim/v2/Users', userBody('patchnul@acme.test'));
    expect(created.status).toBe(201);
    const res = await h.request('PATCH', `/scim/v2/Users/${created.body.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'bad\u0000name' }],
    });
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain('Operations[0].value');
  });

  it('refuses a lone surrogate (not UTF-8 encodable) like a NUL', async () => {
    const res = await h.request('POST', '/scim/v2/Users', '{"userName":"sur\\ud800@acme.test"}');
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain('userName');
  });

  it('refuses a NUL in a filter or a path id', async () => {
    expectScimError(await h.request('GET', '/scim/v2/Users?filter=' + encodeURIComponent('userName eq "a\u0000"')), 400, 'invalidValue');
    const res = await h.request('GET', '/scim/v2/Users/abc%00def');
    expect(res.status).toBe(400);
    expect(res.body.schemas).toEqual([SCIM_ERROR_SCHEMA]);
  });
});

describe('lengths past the index row limit', () => {
  it('refuses an oversize userName, externalId, email and displayName with invalidValue naming each', async () => {
    // Random, so that no compression brings it under the index row limit.
    const long = randomBytes(1600).toString('hex');
    const cases: Array<[string, Record<string, unknown>]> = [
      ['userName', userBody(`${long}@acme.test`)],
      ['externalId', userBody('ext@acme.test', { externalId: long })],
      ['emails', userBody('mail@acme.test', { emails: [{ value: `${long}@acme.test`, primary: true }] })],
      ['displayName', userBody('dn@acme.test', { displayName: long })],
    ];
    for (const [field, body] of cases) {
      const res = await h.request('POST', '/scim/v2/Users', body);
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).toContain(field);
    }
  });

  it('refuses an oversize group displayName', async () => {
    const res = await h.request('POST', '/scim/v2/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: randomBytes(1600).toString('hex') });
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain('displayName');
  });

  it('refuses a PATCH that would set an oversize userName', async () => {
    const created = await h.request('POST', '/scim/v2/Users', userBody('patchlong@acme.test'));
    const res = await h.request('PATCH', `/scim/v2/Users/${created.body.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'userName', value: randomBytes(1600).toString('hex') }],
    });
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain('userName');
  });
});

describe('deeply nested JSON', () => {
  it('refuses a body nested thousands deep with invalidSyntax, not a stack overflow', async () => {
    const depth = 100_000;
    const body = `{"userName":"deep@acme.test","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const res = await h.request('POST', '/scim/v2/Users', body);
    expectScimError(res, 400, 'invalidSyntax');
    expect(res.body.detail).toMatch(/nested/);
  });

  it('accepts ordinary nesting', async () => {
    const res = await h.request('POST', '/scim/v2/Users', userBody('shallow@acme.test', { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: 'm' } } }));
    expect(res.status).toBe(201);
  });
});
