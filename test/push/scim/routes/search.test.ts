/**
 * RFC 7644 §3.4.3: POST /Users/.search, /Groups/.search and /.search at the root,
 * with a SearchRequest body (filter, startIndex, count, sortBy, sortOrder,
 * attributes, excludedAttributes), answered 200 with a ListResponse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scimHarness, userBody, type ScimHarness } from './support.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
let h: ScimHarness;
const userIds: string[] = [];
const groupIds: string[] = [];

beforeAll(async () => {
  h = await scimHarness();
  for (const name of ['carol', 'alice', 'bob', 'dave']) {
    userIds.push((await h.request('POST', '/scim/v2/Users', userBody(`${name}@acme.test`, { title: name === 'dave' ? 'Boss' : 'Engineer' }))).body.id);
  }
  for (const name of ['Sales', 'Engineering']) {
    groupIds.push((await h.request('POST', '/scim/v2/Groups', { schemas: [GROUP], displayName: name, members: [{ value: userIds[0] }] })).body.id);
  }
  // The other tenant's data must never show up in a search.
  await h.app.inject({
    method: 'POST',
    url: '/scim/v2/Users',
    headers: { authorization: `Bearer ${h.other.token}`, 'content-type': 'application/scim+json' },
    payload: JSON.stringify(userBody('eve@globex.test')),
  });
});
afterAll(() => h.close());

const search = (path: string, body: Record<string, unknown>) => h.request('POST', `/scim/v2${path}`, { schemas: [SEARCH], ...body });
const names = (res: { body: { Resources: Array<{ userName?: string; displayName?: string }> } }) =>
  res.body.Resources.map((r) => r.userName ?? r.displayName);

describe('POST /Users/.search', () => {
  it('answers 200 with a ListResponse: filter, sort, paging and attributes from the body', async () => {
    const res = await search('/Users/.search', {
      filter: 'title eq "Engineer"',
      sortBy: 'userName',
      sortOrder: 'descending',
      startIndex: 2,
      count: 2,
      attributes: ['userName', 'name.givenName'],
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({ schemas: [LIST], totalResults: 3, itemsPerPage: 2, startIndex: 2 });
    expect(names(res)).toEqual(['bob@acme.test', 'alice@acme.test']);
    expect(Object.keys(res.body.Resources[0]).sort()).toEqual(['id', 'name', 'schemas', 'userName']);
  });

  it('answers the same as the GET list for the same question', async () => {
    const post = await search('/Users/.search', { filter: 'userName sw "a"', excludedAttributes: ['emails'] });
    const get = await h.request('GET', `/scim/v2/Users?filter=${encodeURIComponent('userName sw "a"')}&excludedAttributes=emails`);
    expect(post.body).toEqual(get.body);
    expect(post.body.Resources[0].emails).toBeUndefined();
  });

  it('with no filter lists every user of the connection, and no other tenant’s', async () => {
    const res = await search('/Users/.search', {});
    expect(res.body.totalResults).toBe(4);
    expect(names(res)).not.toContain('eve@globex.test');
  });

  it('works under /enterprise-idps/{connectionId} too', async () => {
    const res = await search(`/enterprise-idps/${h.connectionId}/Users/.search`, { filter: 'userName eq "dave@acme.test"' });
    expect(res.status).toBe(200);
    expect(res.body.Resources.map((r: { id: string }) => r.id)).toEqual([userIds[3]]);
  });
});

describe('POST /Groups/.search', () => {
  it('answers the groups with members.value only when asked', async () => {
    const res = await search('/Groups/.search', { filter: 'displayName eq "Sales"', attributes: ['members.value'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 1, startIndex: 1 });
    expect(res.body.Resources[0]).toEqual({ schemas: [GROUP], id: groupIds[0], members: [{ value: userIds[0] }] });
  });
});

describe('POST /.search at the root', () => {
  it('spans Users and Groups: users first, then groups, with resourceType telling them apart', async () => {
    const res = await search('/.search', {});
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(6);
    const types = res.body.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType);
    expect(types).toEqual(['User', 'User', 'User', 'User', 'Group', 'Group']);
  });

  it('pages across the two types as one list', async () => {
    const all = (await search('/.search', { sortBy: 'meta.created' })).body.Resources.map((r: { id: string }) => r.id);
    const seen: string[] = [];
    for (let start = 1; start <= 6; start += 4) {
      const page = await search('/.search', { sortBy: 'meta.created', startIndex: start, count: 4 });
      expect(page.body).toMatchObject({ totalResults: 6, startIndex: start });
      seen.push(...page.body.Resources.map((r: { id: string }) => r.id));
    }
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(6);
  });

  it('applies a filter on an attribute both types have to both, and one only users have to users alone', async () => {
    const byId = await search('/.search', { filter: `id eq "${groupIds[1]}" or id eq "${userIds[1]}"` });
    expect(byId.body.Resources.map((r: { id: string }) => r.id)).toEqual([userIds[1], groupIds[1]]);
    const onlyUsers = await search('/.search', { filter: 'userName eq "bob@acme.test"' });
    expect(onlyUsers.body).toMatchObject({ totalResults: 1 });
    expect(names(onlyUsers)).toEqual(['bob@acme.test']);
    const onlyGroups = await search('/.search', { filter: 'displayName eq "Engineering"', attributes: ['displayName'] });
    expect(onlyGroups.body.Resources).toEqual([{ schemas: [GROUP], id: groupIds[1], displayName: 'Engineering' }]);
  });

  it('sorts users by userName and keeps groups (which have none) in their default order', async () => {
    const res = await search('/.search', { sortBy: 'userName' });
    expect(names(res)).toEqual(['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'dave@acme.test', expect.any(String), expect.any(String)]);
  });
});

describe('a SearchRequest Roster cannot answer is a 400 with a SCIM error body', () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['no schemas', '/Users/.search', { filter: 'userName eq "x"' }, 'invalidSyntax'],
    ['another message schema', '/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] }, 'invalidSyntax'],
    ['not an object', '/Groups/.search', ['x'], 'invalidSyntax'],
    ['a non-integer startIndex', '/Users/.search', { schemas: [SEARCH], startIndex: 1.5 }, 'invalidValue'],
    ['a count as text that is no number', '/Users/.search', { schemas: [SEARCH], count: 'ten' }, 'invalidValue'],
    ['attributes that are not strings', '/.search', { schemas: [SEARCH], attributes: [1] }, 'invalidValue'],
    ['a filter that is not a string', '/Users/.search', { schemas: [SEARCH], filter: { eq: 1 } }, 'invalidValue'],
    ['an unknown sortOrder', '/Users/.search', { schemas: [SEARCH], sortOrder: 'sideways' }, 'invalidValue'],
    ['a malformed filter', '/.search', { schemas: [SEARCH], filter: 'userName eq' }, 'invalidFilter'],
    ['a filter neither type has', '/.search', { schemas: [SEARCH], filter: 'shoeSize eq "9"' }, 'invalidFilter'],
    ['a sortBy neither type has', '/.search', { schemas: [SEARCH], sortBy: 'shoeSize' }, 'invalidValue'],
  ];
  it.each(cases)('%s', async (_name, path, body, scimType) => {
    const res = await h.request('POST', `/scim/v2${path}`, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType });
  });

  it('an empty body is refused too', async () => {
    const res = await h.request('POST', '/scim/v2/Users/.search', '');
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe('invalidSyntax');
  });

  it('needs a valid token like every SCIM route', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/scim/v2/.search', headers: { 'content-type': 'application/scim+json' }, payload: JSON.stringify({ schemas: [SEARCH] }) });
    expect(res.statusCode).toBe(401);
  });
});
