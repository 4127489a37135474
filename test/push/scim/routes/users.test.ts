/** SCIM /Users over HTTP, in the request shapes Entra ID, Okta and JumpCloud send. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../../../src/core/store/index.js';
import { scimHarness, userBody, type ScimHarness } from './support.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
let h: ScimHarness;
let n = 0;

beforeAll(async () => {
  h = await scimHarness();
});
afterAll(() => h.close());

const create = async (extra: Record<string, unknown> = {}) => {
  const res = await h.request('POST', '/scim/v2/Users', userBody(`user${++n}@acme.test`, extra));
  expect(res.status).toBe(201);
  return res.body as { id: string; userName: string; meta: { version: string; location: string } };
};
const patch = (id: string, Operations: unknown[], headers?: Record<string, string>) =>
  h.request('PATCH', `/scim/v2/Users/${id}`, { schemas: [PATCH_OP], Operations }, headers);
const activeOf = async (id: string) =>
  (await queryRows<{ active: boolean }>(h.store.db, sql`select active from users where id = ${id}::uuid`))[0]?.active;

describe('creating and reading users', () => {
  it('creates a user (201, Location, ETag) and reads it back without null values', async () => {
    const res = await h.request('POST', '/scim/v2/Users', userBody('grace@acme.test', { externalId: 'okta-00u1', title: 'Admiral' }));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.headers.location).toBe(res.body.meta.location);
    expect(res.headers.etag).toBe(res.body.meta.version);
    expect(res.body).toMatchObject({ userName: 'grace@acme.test', externalId: 'okta-00u1', title: 'Admiral', active: true });
    const got = await h.request('GET', `/scim/v2/Users/${res.body.id}`);
    expect(got.body).toEqual(res.body);
    expect(JSON.stringify(got.body)).not.toContain('null');
  });

  it('answers a second POST of the same userName (any case) with 409 uniqueness', async () => {
    await h.request('POST', '/scim/v2/Users', userBody('dup@acme.test'));
    const res = await h.request('POST', '/scim/v2/Users', userBody('DUP@acme.test'));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ scimType: 'uniqueness', status: '409', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
  });

  it('ignores client-sent id, meta, password and groups', async () => {
    const res = await h.request('POST', '/scim/v2/Users', {
      ...userBody('ignored@acme.test'),
      id: 'client-chosen',
      password: 'hunter2',
      groups: [{ value: 'g1' }],
      meta: { created: '2001-01-01T00:00:00Z' },
    });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe('client-chosen');
    expect(res.body.password).toBeUndefined();
    expect(res.body.groups).toBeUndefined();
    expect(res.body.meta.created).not.toMatch(/^2001/);
  });

  it('accepts active as the string "True" (Microsoft sends it) and rejects a missing userName with 400', async () => {
    const res = await h.request('POST', '/scim/v2/Users', userBody('strbool@acme.test', { active: 'True' }));
    expect(res.body.active).toBe(true);
    const bad = await h.request('POST', '/scim/v2/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], active: true });
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe('invalidValue');
  });

  it('accepts application/json with a charset as well as application/scim+json', async () => {
    const res = await h.request('POST', '/scim/v2/Users', userBody('json@acme.test'), { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(201);
  });

  it('keeps the enterprise extension and lists its schema', async () => {
    const res = await h.request('POST', '/scim/v2/Users', userBody('ent@acme.test', { [ENTERPRISE]: { employeeNumber: '42', department: 'R&D' } }));
    expect(res.body.schemas).toContain(ENTERPRISE);
    expect(res.body[ENTERPRISE]).toEqual({ employeeNumber: '42', department: 'R&D' });
  });
});

describe('listing and filtering users', () => {
  it('answers Entra’s Test Connection probe (a random GUID userName) with 200 and an empty list', async () => {
    const res = await h.request('GET', `/scim/v2/Users?filter=${encodeURIComponent('userName eq "8c2a0b3e-5c1f-4a9e-9b7d-1f2e3d4c5b6a"')}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 0, Resources: [], startIndex: 1 });
  });

  it('finds a user by userName case-insensitively, with + for spaces as Microsoft encodes it', async () => {
    const user = await create();
    const res = await h.request('GET', `/scim/v2/Users?filter=userName+eq+%22${user.userName.toUpperCase()}%22`);
    expect(res.body.Resources.map((r: { id: string }) => r.id)).toEqual([user.id]);
  });

  it('pages 1-based and stably, and count=0 returns only the total', async () => {
    for (let i = 0; i < 3; i++) await create();
    const all = await h.request('GET', '/scim/v2/Users?count=200');
    const total = all.body.totalResults as number;
    const pages: string[] = [];
    for (let start = 1; start <= total; start += 2) {
      const page = await h.request('GET', `/scim/v2/Users?startIndex=${start}&count=2`);
      expect(page.body).toMatchObject({ startIndex: start, totalResults: total });
      pages.push(...page.body.Resources.map((r: { id: string }) => r.id));
    }
    expect(pages).toEqual(all.body.Resources.map((r: { id: string }) => r.id));
    const countOnly = await h.request('GET', '/scim/v2/Users?count=0');
    expect(countOnly.body).toMatchObject({ totalResults: total, itemsPerPage: 0, Resources: [] });
  });

  it('returns only the requested attributes (plus id and schemas), or leaves out excluded ones', async () => {
    const user = await create();
    const only = await h.request('GET', `/scim/v2/Users/${user.id}?attributes=userName,name.givenName`);
    expect(Object.keys(only.body).sort()).toEqual(['id', 'name', 'schemas', 'userName']);
    expect(only.body.name).toEqual({ givenName: 'Ada' });
    const without = await h.request('GET', `/scim/v2/Users/${user.id}?excludedAttributes=emails,name`);
    expect(without.body.emails).toBeUndefined();
    expect(without.body.userName).toBe(user.userName);
  });

  it('sorts by userName descending when asked', async () => {
    const res = await h.request('GET', '/scim/v2/Users?sortBy=userName&sortOrder=descending&count=200');
    const names = res.body.Resources.map((r: { userName: string }) => r.userName.toLowerCase());
    expect(names).toEqual([...names].sort().reverse());
  });

  it('answers a filter it cannot evaluate with 400 invalidFilter, never a 500', async () => {
    for (const filter of ['userName eq', 'foo eq "x"', 'active gt true', '(userName eq "a"', 'userName xx "a"']) {
      const res = await h.request('GET', `/scim/v2/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.status, filter).toBe(400);
      expect(res.body.scimType, filter).toBe('invalidFilter');
    }
  });

  it('still returns inactive users to GET and filters', async () => {
    const user = await create();
    await patch(user.id, [{ op: 'replace', path: 'active', value: false }]);
    expect((await h.request('GET', `/scim/v2/Users/${user.id}`)).body.active).toBe(false);
    const res = await h.request('GET', `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}`);
    expect(res.body.totalResults).toBe(1);
  });
});

describe('changing users', () => {
  it('deactivates through Entra’s PATCH with the string "False", as a lifecycle deactivation', async () => {
    const user = await create();
    const res = await patch(user.id, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    expect(await activeOf(user.id)).toBe(false);
    const [event] = await queryRows<{ action: string; actor_type: string }>(
      h.store.db,
      sql`select action, actor_type from audit_events where entity_id = ${user.id} and action = 'user.deactivated'`,
    );
    expect(event).toEqual({ action: 'user.deactivated', actor_type: 'scim' });
  });

  it('deactivates with Okta’s PUT active:false and reactivates with PUT active:true', async () => {
    const user = await create();
    const full = (await h.request('GET', `/scim/v2/Users/${user.id}`)).body;
    expect((await h.request('PUT', `/scim/v2/Users/${user.id}`, { ...full, active: false })).body.active).toBe(false);
    expect(await activeOf(user.id)).toBe(false);
    expect((await h.request('PUT', `/scim/v2/Users/${user.id}`, { ...full, active: true })).body.active).toBe(true);
  });

  it('replaces the whole user on PUT: attributes left out are gone', async () => {
    const user = await create({ title: 'Engineer' });
    const res = await h.request('PUT', `/scim/v2/Users/${user.id}`, userBody(user.userName, { displayName: 'Only this' }));
    expect(res.body.displayName).toBe('Only this');
    expect(res.body.title).toBeUndefined();
  });

  it('creates a missing work email from a value-path PATCH (Entra) and renames userName', async () => {
    const res0 = await h.request('POST', '/scim/v2/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `noemail${++n}@acme.test` });
    const res = await patch(res0.body.id, [
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'new@acme.test' },
      { op: 'Replace', path: 'userName', value: `renamed${n}@acme.test` },
    ]);
    expect(res.body.emails).toEqual([{ type: 'work', value: 'new@acme.test' }]);
    expect(res.body.userName).toBe(`renamed${n}@acme.test`);
  });

  it('sets and clears the manager in both shapes Entra sends', async () => {
    const boss = await create();
    const user = await create();
    const set = await patch(user.id, [{ op: 'Replace', path: `${ENTERPRISE}:manager`, value: boss.id }]);
    expect(set.body[ENTERPRISE].manager.value).toBe(boss.id);
    const cleared = await patch(user.id, [{ op: 'Replace', path: `${ENTERPRISE}:manager`, value: { value: '' } }]);
    expect(cleared.body[ENTERPRISE]?.manager).toBeUndefined();
  });

  it('answers 204 when the client prefers a minimal return', async () => {
    const user = await create();
    const res = await patch(user.id, [{ op: 'replace', path: 'displayName', value: 'Quiet' }], { prefer: 'return=minimal' });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
  });

  it('honours If-Match: the current version applies, a stale one is 412', async () => {
    const user = await create();
    const ok = await patch(user.id, [{ op: 'replace', path: 'displayName', value: 'v2' }], { 'if-match': user.meta.version });
    expect(ok.status).toBe(200);
    expect(ok.body.meta.version).not.toBe(user.meta.version);
    const stale = await patch(user.id, [{ op: 'replace', path: 'displayName', value: 'v3' }], { 'if-match': user.meta.version });
    expect(stale.status).toBe(412);
    expect((await h.request('GET', `/scim/v2/Users/${user.id}`)).body.displayName).toBe('v2');
  });

  it('rejects a malformed PATCH with the SCIM error type that says why', async () => {
    const user = await create();
    expect((await h.request('PATCH', `/scim/v2/Users/${user.id}`, { Operations: [] })).body.scimType).toBe('invalidSyntax');
    expect((await patch(user.id, [{ op: 'remove' }])).body.scimType).toBe('noTarget');
    expect((await patch(user.id, [{ op: 'replace', path: 'id', value: 'x' }])).body.scimType).toBe('mutability');
  });

  it('hard-deletes on DELETE (204, then 404) and keeps the audit history', async () => {
    const user = await create();
    const del = await h.request('DELETE', `/scim/v2/Users/${user.id}`);
    expect(del.status).toBe(204);
    expect((await h.request('GET', `/scim/v2/Users/${user.id}`)).status).toBe(404);
    const actions = await queryRows<{ action: string }>(h.store.db, sql`select action from audit_events where entity_id = ${user.id} order by id`);
    expect(actions.map((a) => a.action)).toEqual(['user.created', 'user.deleted']);
  });

  it('answers an unknown or malformed id with a SCIM 404', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await h.request('GET', `/scim/v2/Users/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
  });
});

describe('PATCH remove of active', () => {
  it('answers 400 mutability and leaves a deactivated user deactivated (never a 500, never a reactivation)', async () => {
    const user = await create();
    await patch(user.id, [{ op: 'replace', path: 'active', value: false }]);
    expect(await activeOf(user.id)).toBe(false);
    const removed = await patch(user.id, [{ op: 'remove', path: 'active' }]);
    expect(removed.status).toBe(400);
    expect(removed.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'mutability' });
    expect(await activeOf(user.id)).toBe(false);
    const cleared = await patch(user.id, [{ op: 'replace', value: { active: null } }]);
    expect(cleared.status).toBe(400);
    expect(await activeOf(user.id)).toBe(false);
  });
});

describe('PUT without active', () => {
  it('keeps a deactivated user deactivated: leaving active out is not a reactivation', async () => {
    const user = await create();
    await patch(user.id, [{ op: 'replace', path: 'active', value: false }]);
    const { active: _left, ...withoutActive } = userBody(user.userName, { displayName: 'Renamed' });
    const res = await h.request('PUT', `/scim/v2/Users/${user.id}`, withoutActive);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ displayName: 'Renamed', active: false });
    expect(await activeOf(user.id)).toBe(false);
    // Saying so still reactivates.
    expect((await h.request('PUT', `/scim/v2/Users/${user.id}`, { ...withoutActive, active: true })).body.active).toBe(true);
  });

  it('creates a user without active as active', async () => {
    const { active: _left, ...withoutActive } = userBody('no-active@acme.test');
    const res = await h.request('POST', '/scim/v2/Users', withoutActive);
    expect(res.status).toBe(201);
    expect(res.body.active).toBe(true);
  });
});
