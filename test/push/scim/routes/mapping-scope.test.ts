/**
 * Issue 10 item 10: a group-to-role mapping meant for one IdP must not grant roles
 * from another. A SCIM token of connection B creates a group "Admins"; the mapping
 * for "Admins" was meant for the pull connection A.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ValidationError } from '../../../../src/core/errors/index.js';
import { queryRows } from '../../../../src/core/store/index.js';
import { makeConnection } from '../../../support/factories.js';
import { op } from '../../../admin/operations/support.js';
import { scimHarness, userBody, type ScimHarness } from './support.js';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
let h: ScimHarness;
let tenantId: string;

beforeAll(async () => {
  h = await scimHarness();
  tenantId = (await queryRows<{ id: string }>(h.store.db, sql`select id from tenants where slug = 'acme'`))[0]!.id;
  await makeConnection(h.store.db, tenantId, { name: 'okta-pull', kind: 'okta' });
  await op(h.ctx, 'role.create', { tenant: 'acme', name: 'superadmin' });
});
afterAll(() => h.close());

const rolesOfUser = async (userId: string) =>
  (await queryRows<{ name: string }>(h.store.db, sql`select r.name from user_roles ur join roles r on r.id = ur.role_id where ur.user_id = ${userId}::uuid order by r.name`)).map((r) => r.name);

const pushAdminsGroup = async (userName: string, displayName = 'Admins') => {
  const user = await h.request('POST', '/scim/v2/Users', userBody(userName));
  expect(user.status).toBe(201);
  const group = await h.request('POST', '/scim/v2/Groups', { schemas: [GROUP], displayName, members: [{ value: user.body.id }] });
  expect(group.status).toBe(201);
  return { userId: user.body.id as string, groupId: group.body.id as string };
};

describe('a mapping names its connection', () => {
  it('refuses a mapping with neither a connection nor an explicit tenant-wide flag', async () => {
    const add = op(h.ctx, 'mapping.add', { tenant: 'acme', group: 'Admins', role: 'superadmin' });
    await expect(add).rejects.toThrow(ValidationError);
    await expect(op(h.ctx, 'mapping.add', { tenant: 'acme', group: 'Admins', role: 'superadmin' })).rejects.toThrow(/needs its connection \(--connection.*explicit --tenant-wide/);
  });

  it('does not grant the pull connection’s role to a group named the same created by a SCIM push', async () => {
    const m = await op(h.ctx, 'mapping.add', { tenant: 'acme', group: 'Admins', role: 'superadmin', connection: 'okta-pull' });
    expect(m).toMatchObject({ connection: 'okta-pull', tenantWide: false });
    const { userId } = await pushAdminsGroup('mallory@acme.test');
    expect(await rolesOfUser(userId)).toEqual([]);
    await op(h.ctx, 'mapping.remove', { id: m.id });
  });

  it('refuses tenant-wide together with a connection', async () => {
    await expect(op(h.ctx, 'mapping.add', { tenant: 'acme', group: 'Admins', role: 'superadmin', connection: 'okta-pull', tenantWide: true })).rejects.toThrow(
      ValidationError,
    );
  });

  it('grants from every connection when the mapping is explicitly tenant-wide, and lists it as such', async () => {
    const m = await op(h.ctx, 'mapping.add', { tenant: 'acme', group: 'Staff', role: 'superadmin', tenantWide: true });
    expect(m).toMatchObject({ connection: null, connectionId: null, tenantWide: true });
    const { userId } = await pushAdminsGroup('staff@acme.test', 'Staff');
    expect(await rolesOfUser(userId)).toEqual(['superadmin']);
    const listed = await op(h.ctx, 'mapping.list', { tenant: 'acme' });
    expect(listed.find((x: { id: string }) => x.id === m.id)).toMatchObject({ tenantWide: true, connection: null });
  });
});
