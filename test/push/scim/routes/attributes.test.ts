/**
 * `attributes` and `excludedAttributes` with sub-attribute paths (RFC 7644 §3.4.2.5):
 * only what was asked comes back, plus `id` and `schemas` (returned "always",
 * RFC 7643 §7), on reads by id, lists and writes alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scimHarness, userBody, type ScimHarness } from './support.js';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
let h: ScimHarness;
let users: string[];
let groupId: string;

beforeAll(async () => {
  h = await scimHarness();
  users = [];
  for (const name of ['ann', 'bob']) {
    const extra = { [ENTERPRISE]: { department: 'R&D', employeeNumber: '7' }, phoneNumbers: [{ value: '+1 555', type: 'work' }] };
    users.push((await h.request('POST', '/scim/v2/Users', userBody(`${name}@acme.test`, extra))).body.id);
  }
  const group = await h.request('POST', '/scim/v2/Groups', { schemas: [GROUP], displayName: 'Readers', externalId: 'g-1', members: users.map((value) => ({ value })) });
  groupId = group.body.id;
});
afterAll(() => h.close());

const keys = (o: object) => Object.keys(o).sort();

describe('attributes with sub-attribute paths', () => {
  it('members.value on a group: only id, schemas and each member’s value', async () => {
    const res = await h.request('GET', `/scim/v2/Groups/${groupId}?attributes=members.value`);
    expect(res.status).toBe(200);
    expect(keys(res.body)).toEqual(['id', 'members', 'schemas']);
    expect(res.body.members.map((m: object) => keys(m))).toEqual([['value'], ['value']]);
    expect(res.body.members.map((m: { value: string }) => m.value).sort()).toEqual([...users].sort());
  });

  it('members.value in a group list, and with the core URN prefix', async () => {
    for (const attributes of ['members.value', `${GROUP}:members.value`]) {
      const res = await h.request('GET', `/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "Readers"')}&attributes=${encodeURIComponent(attributes)}`);
      expect(res.status).toBe(200);
      expect(res.body.Resources).toHaveLength(1);
      expect(keys(res.body.Resources[0])).toEqual(['id', 'members', 'schemas']);
      expect(res.body.Resources[0].members.every((m: object) => keys(m).join() === 'value')).toBe(true);
    }
  });

  it('emails.value and name.givenName on a user: only those sub-attributes', async () => {
    const res = await h.request('GET', `/scim/v2/Users/${users[0]}?attributes=emails.value,name.givenName`);
    expect(keys(res.body)).toEqual(['emails', 'id', 'name', 'schemas']);
    expect(res.body.emails).toEqual([{ value: 'ann@acme.test' }]);
    expect(res.body.name).toEqual({ givenName: 'Ada' });
  });

  it('an enterprise sub-attribute: only it inside the extension', async () => {
    const res = await h.request('GET', `/scim/v2/Users/${users[0]}?attributes=${encodeURIComponent(`${ENTERPRISE}:department`)}`);
    expect(keys(res.body)).toEqual(['id', 'schemas', ENTERPRISE].sort());
    expect(res.body[ENTERPRISE]).toEqual({ department: 'R&D' });
  });

  it('the same attribute asked whole and by sub-attribute returns it whole', async () => {
    const res = await h.request('GET', `/scim/v2/Users/${users[0]}?attributes=emails.value,emails`);
    expect(res.body.emails[0]).toMatchObject({ value: 'ann@acme.test', type: 'work', primary: true });
  });

  it('attributes on a write’s answer too (POST /Groups?attributes=displayName)', async () => {
    const res = await h.request('POST', '/scim/v2/Groups?attributes=displayName', { schemas: [GROUP], displayName: 'Writers', members: [{ value: users[0] }] });
    expect(res.status).toBe(201);
    expect(keys(res.body)).toEqual(['displayName', 'id', 'schemas']);
  });

  it('members.value on a PATCH’s and a PUT’s answer', async () => {
    const patched = await h.request('PATCH', `/scim/v2/Groups/${groupId}?attributes=members.value`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Readers' }],
    });
    expect(patched.status).toBe(200);
    expect(keys(patched.body)).toEqual(['id', 'members', 'schemas']);
    expect(patched.body.members.every((m: object) => keys(m).join() === 'value')).toBe(true);
    const put = await h.request('PUT', `/scim/v2/Users/${users[1]}?attributes=emails.value`, userBody('bob@acme.test', { id: users[1] }));
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ schemas: expect.any(Array), id: users[1], emails: [{ value: 'bob@acme.test' }] });
  });

  it('excludedAttributes with a sub-attribute of a multi-valued attribute drops it from each value', async () => {
    const res = await h.request('GET', `/scim/v2/Groups/${groupId}?excludedAttributes=members.display`);
    expect(res.body.displayName).toBe('Readers');
    expect(res.body.members.map((m: object) => keys(m).includes('display'))).toEqual([false, false]);
    expect(res.body.members.map((m: { value: string }) => m.value).sort()).toEqual([...users].sort());
  });

  it('never drops id or schemas, even when excluded', async () => {
    const res = await h.request('GET', `/scim/v2/Users/${users[1]}?excludedAttributes=id,schemas,userName`);
    expect(res.body.id).toBe(users[1]);
    expect(res.body.schemas).toBeDefined();
    expect(res.body.userName).toBeUndefined();
  });
});

describe('attributes given more than once', () => {
  it('reads a repeated attributes parameter as one list (never a 500)', async () => {
    const res = await h.request('GET', `/scim/v2/Groups/${groupId}?attributes=members.value&attributes=displayName`);
    expect(res.status).toBe(200);
    expect(keys(res.body)).toEqual(['displayName', 'id', 'members', 'schemas']);
    const excluded = await h.request('GET', `/scim/v2/Users?excludedAttributes=emails&excludedAttributes=name&count=1`);
    expect(excluded.status).toBe(200);
    expect(keys(excluded.body.Resources[0])).not.toContain('emails');
    expect(keys(excluded.body.Resources[0])).not.toContain('name');
  });
});
