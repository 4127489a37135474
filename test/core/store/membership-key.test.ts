/**
 * A membership's tenant is its group's: one foreign key on (group_id,
 * tenant_id) checks both (issue 15 replaced two keys with it, one check per
 * membership fewer on a first sync). The database itself refuses a row that
 * names another tenant, and deleting a group still takes its memberships.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges } from '../../../src/core/lifecycle/index.js';
import { pgErrorOf, queryRows } from '../../../src/core/store/index.js';
import { groupCreate, makeConnection, makeTenant, userCreate } from '../../support/factories.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let tenantId: string;
let otherTenantId: string;
let groupId: string;
let userId: string;

beforeAll(async () => {
  store = await createTestStore();
  tenantId = (await makeTenant(store.db)).id;
  otherTenantId = (await makeTenant(store.db)).id;
  const connection = await makeConnection(store.db, tenantId);
  const user = userCreate(connection.id, 1);
  const group = groupCreate(connection.id, 'staff');
  await applyChanges(store.db, { tenantId, actor: { type: 'system' } }, [user, group]);
  [userId, groupId] = [user.id!, group.id!];
});
afterAll(() => store?.close());

const insert = (tenant: string) => queryRows(store.db, sql`insert into group_memberships (group_id, user_id, tenant_id) values (${groupId}::uuid, ${userId}::uuid, ${tenant}::uuid)`);
const count = async () => (await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from group_memberships where group_id = ${groupId}::uuid`))[0]!.n;

describe("group_memberships' key to its group and tenant", () => {
  it('refuses a membership that names a tenant other than its group’s', async () => {
    const refused = pgErrorOf(await insert(otherTenantId).then(() => null, (err: unknown) => err));
    expect(refused?.code).toBe('23503');
    expect(refused?.constraint ?? refused?.constraint_name).toBe('group_memberships_group_tenant_fk');
    expect(await count()).toBe(0);
  });

  it("takes a group's memberships with it when the group is deleted", async () => {
    await insert(tenantId);
    expect(await count()).toBe(1);
    await applyChanges(store.db, { tenantId, actor: { type: 'system' } }, [{ kind: 'group.delete', groupId }]);
    expect(await count()).toBe(0);
  });
});
