/**
 * Entra ID's `manager` outside the enterprise extension: as a core-level complex value
 * (`"manager": {"value": "<id>"}`) or a bare string id, in a POST, a PUT or a PATCH, and
 * filtered as `manager eq "<id>"`. Roster keeps it in one place, the enterprise
 * extension's `manager.value` (RFC 7643 §4.3), whichever shape brought it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scimHarness, userBody, type ScimHarness } from './support.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
let h: ScimHarness;
let boss: string;
let n = 0;

beforeAll(async () => {
  h = await scimHarness();
  boss = (await h.request('POST', '/scim/v2/Users', userBody('boss@acme.test'))).body.id;
});
afterAll(() => h.close());

const create = async (extra: Record<string, unknown>) => {
  const res = await h.request('POST', '/scim/v2/Users', userBody(`report${++n}@acme.test`, extra));
  expect(res.status).toBe(201);
  return res.body as Record<string, any> & { id: string };
};
const patch = (id: string, Operations: unknown[]) => h.request('PATCH', `/scim/v2/Users/${id}`, { schemas: [PATCH_OP], Operations });
const ids = (res: { body: { Resources: Array<{ id: string }> } }) => res.body.Resources.map((r) => r.id).sort();

describe('manager at the core level (Entra)', () => {
  it('stores a POSTed core-level {"value": id} as the enterprise extension’s manager.value', async () => {
    const user = await create({ manager: { value: boss } });
    expect(user[ENTERPRISE]).toEqual({ manager: { value: boss } });
    expect(user.schemas).toContain(ENTERPRISE);
    expect(user).not.toHaveProperty('manager');
    const read = await h.request('GET', `/scim/v2/Users/${user.id}`);
    expect(read.body[ENTERPRISE].manager).toEqual({ value: boss });
  });

  it('stores a POSTed core-level bare string id the same way', async () => {
    const user = await create({ manager: boss });
    expect(user[ENTERPRISE]).toEqual({ manager: { value: boss } });
    expect(user).not.toHaveProperty('manager');
  });

  it('keeps the enterprise extension’s manager when both are sent, and its other attributes', async () => {
    const user = await create({ manager: 'ignored-core', [ENTERPRISE]: { department: 'R&D', manager: { value: boss } } });
    expect(user[ENTERPRISE]).toEqual({ department: 'R&D', manager: { value: boss } });
    expect(user).not.toHaveProperty('manager');
  });

  it('refuses a core-level manager that is neither a string nor {"value": string}', async () => {
    const res = await h.request('POST', '/scim/v2/Users', userBody('badmanager@acme.test', { manager: { value: 7 } }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ scimType: 'invalidValue', status: '400' });
  });

  it('sets, replaces and removes it with PATCH path "manager" (bare string, object, no-path value)', async () => {
    const user = await create({});
    const set = await patch(user.id, [{ op: 'Add', path: 'manager', value: boss }]);
    expect(set.status).toBe(200);
    expect(set.body[ENTERPRISE]).toEqual({ manager: { value: boss } });
    expect(set.body).not.toHaveProperty('manager');
    const other = (await create({})).id;
    const replaced = await patch(user.id, [{ op: 'Replace', path: 'manager', value: { value: other } }]);
    expect(replaced.body[ENTERPRISE].manager).toEqual({ value: other });
    const noPath = await patch(user.id, [{ op: 'replace', value: { manager: { value: boss } } }]);
    expect(noPath.body[ENTERPRISE].manager).toEqual({ value: boss });
    const subPath = await patch(user.id, [{ op: 'replace', path: 'manager.value', value: other }]);
    expect(subPath.body[ENTERPRISE].manager).toEqual({ value: other });
    const removed = await patch(user.id, [{ op: 'Remove', path: 'manager' }]);
    expect(removed.status).toBe(200);
    expect(removed.body[ENTERPRISE]).toBeUndefined();
    expect(removed.body).not.toHaveProperty('manager');
  });

  it('replaces it with PUT in the core-level shape', async () => {
    const user = await create({ manager: boss });
    const put = await h.request('PUT', `/scim/v2/Users/${user.id}`, userBody(user.userName, { id: user.id, manager: { value: user.id } }));
    expect(put.status).toBe(200);
    expect(put.body[ENTERPRISE]).toEqual({ manager: { value: user.id } });
  });
});

describe('filtering by manager', () => {
  it('finds a manager’s reports with manager eq, manager.value eq and the enterprise URN forms alike', async () => {
    const bigBoss = (await create({})).id;
    const a = await create({ manager: { value: bigBoss } });
    const b = await create({ [ENTERPRISE]: { manager: { value: bigBoss } } });
    await create({ manager: boss });
    const expected = [a.id, b.id].sort();
    for (const filter of [
      `manager eq "${bigBoss}"`,
      `manager.value eq "${bigBoss}"`,
      `${ENTERPRISE}:manager.value eq "${bigBoss}"`,
      `${ENTERPRISE}:manager eq "${bigBoss}"`,
    ]) {
      const res = await h.request('GET', `/scim/v2/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.status, filter).toBe(200);
      expect(ids(res), filter).toEqual(expected);
    }
  });
});
