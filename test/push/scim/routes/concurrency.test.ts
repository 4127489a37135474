/**
 * Many SCIM requests at once, as an IdP's burst sends them: each answer is its
 * own (status, body, ETag), a duplicate userName among them is one 409 with a
 * SCIM error body, and reads made together return the right resources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scimHarness, userBody, type ScimHarness } from './support.js';

let h: ScimHarness;
beforeAll(async () => {
  h = await scimHarness();
});
afterAll(() => h.close());

describe('SCIM requests at once', () => {
  it('answers every POST, PATCH and GET of a burst on its own', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `burst${i}@example.test`);
    const created = await Promise.all([...names, names[3]!].map((n) => h.request('POST', '/scim/v2/Users', userBody(n))));
    expect(created.map((r) => r.status).sort()).toEqual([...Array(20).fill(201), 409].sort());
    const conflict = created.find((r) => r.status === 409)!;
    expect(conflict.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], scimType: 'uniqueness', status: '409' });
    const users = created.filter((r) => r.status === 201).map((r) => r.body as { id: string; userName: string });
    expect(new Set(users.map((u) => u.userName))).toEqual(new Set(names));

    const patched = await Promise.all(
      users.map((u, i) =>
        h.request('PATCH', `/scim/v2/Users/${u.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'active', value: i % 2 === 0 }],
        }),
      ),
    );
    expect(patched.map((r) => r.status)).toEqual(users.map(() => 200));
    expect(patched.map((r) => [r.body.id, r.body.active])).toEqual(users.map((u, i) => [u.id, i % 2 === 0]));
    expect(patched.map((r) => r.headers.etag)).toEqual(patched.map((r) => r.body.meta.version));

    const read = await Promise.all(users.map((u) => h.request('GET', `/scim/v2/Users/${u.id}`)));
    expect(read.map((r) => [r.body.userName, r.body.active])).toEqual(users.map((u, i) => [u.userName, i % 2 === 0]));
    expect(read.map((r) => r.headers.etag)).toEqual(patched.map((r) => r.headers.etag));
  });

  it('answers a burst of userName eq lookups each with its own user, case-insensitively, within the connection', async () => {
    const names = ['lookup-a@example.test', 'Lookup-B@Example.test'];
    for (const n of names) expect((await h.request('POST', '/scim/v2/Users', userBody(n))).status).toBe(201);
    // The other tenant has a user of the same name: never returned here.
    const other = await h.app.inject({
      method: 'POST',
      url: '/scim/v2/Users',
      headers: { authorization: `Bearer ${h.other.token}`, 'content-type': 'application/scim+json' },
      payload: JSON.stringify(userBody('lookup-c@example.test')),
    });
    expect(other.statusCode).toBe(201);
    const filters = [
      'userName eq "LOOKUP-A@example.test"',
      'userName eq "lookup-b@example.test"',
      'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "lookup-a@example.test"',
      'userName eq "lookup-c@example.test"',
      'userName eq "0f8fad5b-d9cb-469f-a165-70867728950e"',
    ];
    const answers = await Promise.all(filters.map((f) => h.request('GET', `/scim/v2/Users?filter=${encodeURIComponent(f)}`)));
    expect(answers.map((a) => a.status)).toEqual(filters.map(() => 200));
    expect(answers.map((a) => [a.body.totalResults, a.body.Resources.map((r: { userName: string }) => r.userName)])).toEqual([
      [1, ['lookup-a@example.test']],
      [1, ['Lookup-B@Example.test']],
      [1, ['lookup-a@example.test']],
      [0, []],
      [0, []],
    ]);
    // Paging past the one result, or count=0, still says how many there are.
    const second = await h.request('GET', `/scim/v2/Users?filter=${encodeURIComponent(filters[0]!)}&startIndex=2`);
    expect([second.body.totalResults, second.body.Resources.length]).toEqual([1, 0]);
    const counted = await h.request('GET', `/scim/v2/Users?filter=${encodeURIComponent(filters[1]!)}&count=0`);
    expect(counted.body.totalResults).toBe(1);
  });
});
