/**
 * Group membership drives roles through the group-to-role mappings; manual
 * grants are never touched by sync. Same suite on PGlite and Postgres.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyChanges, type Actor, type LifecycleChange } from '../../../src/core/lifecycle/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/core/errors/index.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { groupCreate, makeConnection, makeTenant, userCreate } from '../../support/factories.js';
import { auditOf, rolesOf } from '../../support/inspect.js';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../../src/core/store/index.js';

const sync: Actor = { type: 'sync', id: 'run' };
const admin: Actor = { type: 'admin', id: 'alice-admin' };
let store: TestStore;
let n = 0;

/** A fresh tenant per test: a connection, two users, groups Engineering and Sales, roles developer/seller/owner. */
interface World {
  tenantId: string;
  connectionId: string;
  ann: string;
  ben: string;
  eng: string;
  sales: string;
  developer: string;
  seller: string;
  owner: string;
}
let w: World;

beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.close());

const apply = (changes: LifecycleChange[], actor: Actor = sync, tenantId = w.tenantId) =>
  applyChanges(store.db, { tenantId, actor }, changes);

beforeEach(async () => {
  const tenant = await makeTenant(store.db);
  const connection = await makeConnection(store.db, tenant.id, { kind: 'okta' });
  const ann = userCreate(connection.id, ++n);
  const ben = userCreate(connection.id, ++n);
  const eng = groupCreate(connection.id, 'Engineering', { externalId: '00g-eng' });
  const sales = groupCreate(connection.id, 'Sales', { externalId: '00g-sales' });
  const result = await applyChanges(store.db, { tenantId: tenant.id, actor: admin }, [
    ann,
    ben,
    eng,
    sales,
    { kind: 'role.create', name: 'developer' },
    { kind: 'role.create', name: 'seller' },
    { kind: 'role.create', name: 'owner' },
  ]);
  const [, , , , developer, seller, owner] = result.createdIds;
  w = {
    tenantId: tenant.id,
    connectionId: connection.id,
    ann: ann.id!,
    ben: ben.id!,
    eng: eng.id!,
    sales: sales.id!,
    developer: developer!,
    seller: seller!,
    owner: owner!,
  };
  await apply(
    [
      { kind: 'mapping.add', roleId: w.developer, tenantWide: true, match: { matchBy: 'display_name', groupRef: 'engineering' } },
      { kind: 'mapping.add', roleId: w.seller, tenantWide: true, match: { matchBy: 'external_id', groupRef: '00g-sales' } },
    ],
    admin,
  );
});

describe('group membership drives roles', () => {
  it('grants the mapped role when a user joins a group (display name matched case-insensitively)', async () => {
    const result = await apply([{ kind: 'membership.add', groupId: w.eng, userId: w.ann }]);
    expect(result.counts).toMatchObject({ membershipsAdded: 1, rolesGranted: 1 });
    expect(await rolesOf(store.db, w.ann)).toEqual(['developer:idp']);
    const events = await auditOf(store.db, w.ann);
    expect(events.at(-1)).toMatchObject({ action: 'role.granted', after: { role: 'developer', source: 'idp' } });
    expect((await auditOf(store.db, w.eng)).at(-1)).toMatchObject({ action: 'membership.added', after: { userId: w.ann } });
  });

  it('moves the group’s updated_at when its members change, so its version changes', async () => {
    const stamp = async () =>
      (await queryRows<{ t: string }>(store.db, sql`select updated_at::text as t from groups where id = ${w.eng}::uuid`))[0]!.t;
    const before = await stamp();
    await apply([{ kind: 'membership.add', groupId: w.eng, userId: w.ann }]);
    const afterAdd = await stamp();
    expect(afterAdd).not.toBe(before);
    await apply([{ kind: 'membership.remove', groupId: w.eng, userId: w.ann }]);
    expect(await stamp()).not.toBe(afterAdd);
  });

  it('matches a mapping by external id exactly', async () => {
    await apply([{ kind: 'membership.add', groupId: w.sales, userId: w.ben }]);
    expect(await rolesOf(store.db, w.ben)).toEqual(['seller:idp']);
  });

  it('revokes the mapped role when the user leaves the group', async () => {
    await apply([{ kind: 'membership.add', groupId: w.eng, userId: w.ann }]);
    const result = await apply([{ kind: 'membership.remove', groupId: w.eng, userId: w.ann }]);
    expect(result.counts).toMatchObject({ membershipsRemoved: 1, rolesRevoked: 1 });
    expect(await rolesOf(store.db, w.ann)).toEqual([]);
  });

  it('keeps a role that another of the user’s groups still maps to', async () => {
    await apply([{ kind: 'mapping.add', roleId: w.developer, tenantWide: true, match: { matchBy: 'display_name', groupRef: 'Sales' } }], admin);
    await apply([
      { kind: 'membership.add', groupId: w.eng, userId: w.ann },
      { kind: 'membership.add', groupId: w.sales, userId: w.ann },
    ]);
    await apply([{ kind: 'membership.remove', groupId: w.eng, userId: w.ann }]);
    expect(await rolesOf(store.db, w.ann)).toEqual(['developer:idp', 'seller:idp']);
  });

  it('re-evaluates roles when a group is renamed away from its mapping', async () => {
    await apply([{ kind: 'membership.add', groupId: w.eng, userId: w.ann }]);
    const result = await apply([{ kind: 'group.update', groupId: w.eng, displayName: 'Platform' }]);
    expect(result.counts).toMatchObject({ groupsUpdated: 1, rolesRevoked: 1 });
    expect(await rolesOf(store.db, w.ann)).toEqual([]);
  });

  it('revokes the roles of every member when the group is deleted, and audits the deletion with its members', async () => {
    await apply([
      { kind: 'membership.add', groupId: w.eng, userId: w.ann },
      { kind: 'membership.add', groupId: w.eng, userId: w.ben },
    ]);
    const result = await apply([{ kind: 'group.delete', groupId: w.eng }]);
    expect(result.counts).toMatchObject({ groupsDeleted: 1, rolesRevoked: 2 });
    expect(await rolesOf(store.db, w.ann)).toEqual([]);
    const deleted = (await auditOf(store.db, w.eng)).at(-1)!;
    expect(deleted.action).toBe('group.deleted');
    expect((deleted.before as { memberIds: string[] }).memberIds.sort()).toEqual([w.ann, w.ben].sort());
  });

  it('grants to existing members when a mapping is added, and revokes when it is removed', async () => {
    await apply([{ kind: 'membership.add', groupId: w.eng, userId: w.ben }]);
    const added = await apply([{ kind: 'mapping.add', roleId: w.owner, tenantWide: true, match: { matchBy: 'external_id', groupRef: '00g-eng' } }], admin);
    expect(await rolesOf(store.db, w.ben)).toEqual(['developer:idp', 'owner:idp']);
    await apply([{ kind: 'mapping.remove', mappingId: added.createdIds[0]! }], admin);
    expect(await rolesOf(store.db, w.ben)).toEqual(['developer:idp']);
  });

  it('limits a connection-scoped mapping to groups of that connection', async () => {
    const other = await makeConnection(store.db, w.tenantId);
    const otherEng = groupCreate(other.id, 'Engineering', { externalId: 'x-eng' });
    await apply([otherEng, { kind: 'mapping.add', roleId: w.owner, connectionId: other.id, match: { matchBy: 'display_name', groupRef: 'Engineering' } }]);
    await apply([
      { kind: 'membership.add', groupId: w.eng, userId: w.ann },
      { kind: 'membership.add', groupId: otherEng.id!, userId: w.ben },
    ]);
    expect(await rolesOf(store.db, w.ann)).toEqual(['developer:idp']);
    expect(await rolesOf(store.db, w.ben)).toEqual(['developer:idp', 'owner:idp']);
  });

  it('does not match a connection-scoped mapping against a same-named group another connection (a SCIM push) created', async () => {
    const scim = await makeConnection(store.db, w.tenantId, { kind: 'scim' });
    const pulledAdmins = groupCreate(w.connectionId, 'Admins', { externalId: '00g-admins' });
    const pushedAdmins = groupCreate(scim.id, 'Admins');
    const mallory = userCreate(scim.id, ++n);
    await apply([pulledAdmins, pushedAdmins, mallory]);
    await apply([{ kind: 'mapping.add', roleId: w.owner, connectionId: w.connectionId, match: { matchBy: 'display_name', groupRef: 'Admins' } }], admin);
    await apply([
      { kind: 'membership.add', groupId: pushedAdmins.id!, userId: mallory.id! },
      { kind: 'membership.add', groupId: pulledAdmins.id!, userId: w.ann },
    ]);
    expect(await rolesOf(store.db, mallory.id!)).toEqual([]);
    expect(await rolesOf(store.db, w.ann)).toEqual(['owner:idp']);
  });

  it('refuses a mapping that names neither its connection nor tenant-wide, or both', async () => {
    const match = { matchBy: 'display_name' as const, groupRef: 'Admins' };
    await expect(apply([{ kind: 'mapping.add', roleId: w.owner, match }], admin)).rejects.toThrow(ValidationError);
    await expect(apply([{ kind: 'mapping.add', roleId: w.owner, tenantWide: false, connectionId: null, match }], admin)).rejects.toThrow(ValidationError);
    await expect(apply([{ kind: 'mapping.add', roleId: w.owner, tenantWide: true, connectionId: w.connectionId, match }], admin)).rejects.toThrow(
      /names its connection, or is explicitly tenant-wide/,
    );
  });

  it('refuses a duplicate mapping with a conflict', async () => {
    await expect(
      apply([{ kind: 'mapping.add', roleId: w.developer, tenantWide: true, match: { matchBy: 'display_name', groupRef: 'engineering' } }], admin),
    ).rejects.toThrow(ConflictError);
  });

  it('compares display names in the duplicate check as matching does (ignoring case), external ids exactly', async () => {
    await expect(
      apply([{ kind: 'mapping.add', roleId: w.developer, tenantWide: true, match: { matchBy: 'display_name', groupRef: 'ENGINEERING' } }], admin),
    ).rejects.toThrow('this group-to-role mapping already exists');
    const added = await apply([{ kind: 'mapping.add', roleId: w.seller, tenantWide: true, match: { matchBy: 'external_id', groupRef: '00G-SALES' } }], admin);
    expect(added.counts.mappingsAdded).toBe(1);
  });
});

describe('deactivation and reactivation', () => {
  it('removes IdP-mapped roles on deactivation and keeps manual ones', async () => {
    await apply([
      { kind: 'membership.add', groupId: w.eng, userId: w.ann },
      { kind: 'role.grant', userId: w.ann, roleId: w.owner },
    ]);
    expect(await rolesOf(store.db, w.ann)).toEqual(['developer:idp', 'owner:manual']);
    const result = await apply([{ kind: 'user.deactivate', userId: w.ann, reason: 'SUSPENDED' }]);
    expect(result.counts).toMatchObject({ usersDeactivated: 1, rolesRevoked: 1 });
    expect(await rolesOf(store.db, w.ann)).toEqual(['owner:manual']);
  });

  it('restores mapped roles from the memberships current at reactivation', async () => {
    await apply([{ kind: 'membership.add', groupId: w.eng, userId: w.ann }]);
    await apply([{ kind: 'user.deactivate', userId: w.ann }]);
    // While inactive the user moved from Engineering to Sales: membership is kept, roles are not.
    await apply([
      { kind: 'membership.remove', groupId: w.eng, userId: w.ann },
      { kind: 'membership.add', groupId: w.sales, userId: w.ann },
    ]);
    expect(await rolesOf(store.db, w.ann)).toEqual([]);
    await apply([{ kind: 'user.reactivate', userId: w.ann }]);
    expect(await rolesOf(store.db, w.ann)).toEqual(['seller:idp']);
  });

  it('records the deactivation before the role revocation in the audit stream', async () => {
    await apply([{ kind: 'membership.add', groupId: w.eng, userId: w.ann }]);
    await apply([{ kind: 'user.deactivate', userId: w.ann }]);
    const actions = (await auditOf(store.db, w.ann)).map((e) => e.action);
    expect(actions.slice(-2)).toEqual(['user.deactivated', 'role.revoked']);
  });
});

describe('manual roles', () => {
  it('grants and revokes a manual role, audited with the admin as actor', async () => {
    await apply([{ kind: 'role.grant', userId: w.ben, roleId: w.owner }], admin);
    expect(await rolesOf(store.db, w.ben)).toEqual(['owner:manual']);
    await apply([{ kind: 'role.revoke', userId: w.ben, roleId: w.owner }], admin);
    expect(await rolesOf(store.db, w.ben)).toEqual([]);
    const events = (await auditOf(store.db, w.ben)).filter((e) => e.action.startsWith('role.'));
    expect(events.map((e) => [e.action, e.actor_id])).toEqual([
      ['role.granted', 'alice-admin'],
      ['role.revoked', 'alice-admin'],
    ]);
  });

  it('keeps a manual grant of the same role when the IdP-mapped grant goes away', async () => {
    await apply([
      { kind: 'membership.add', groupId: w.eng, userId: w.ann },
      { kind: 'role.grant', userId: w.ann, roleId: w.developer },
    ]);
    await apply([{ kind: 'membership.remove', groupId: w.eng, userId: w.ann }]);
    expect(await rolesOf(store.db, w.ann)).toEqual(['developer:manual']);
  });

  it('revoking a manual role leaves the IdP-mapped grant of it in place', async () => {
    await apply([
      { kind: 'membership.add', groupId: w.eng, userId: w.ann },
      { kind: 'role.grant', userId: w.ann, roleId: w.developer },
    ]);
    await apply([{ kind: 'role.revoke', userId: w.ann, roleId: w.developer }], admin);
    expect(await rolesOf(store.db, w.ann)).toEqual(['developer:idp']);
  });

  it('deletes a user’s roles with the user, and the audit event keeps what they had', async () => {
    await apply([{ kind: 'membership.add', groupId: w.eng, userId: w.ann }, { kind: 'role.grant', userId: w.ann, roleId: w.owner }]);
    await apply([{ kind: 'user.delete', userId: w.ann }]);
    const deleted = (await auditOf(store.db, w.ann)).at(-1)!;
    expect(deleted.action).toBe('user.deleted');
    expect((deleted.before as { roles: Array<{ source: string }> }).roles.map((r) => r.source).sort()).toEqual(['idp', 'manual']);
    expect((deleted.before as { groupIds: string[] }).groupIds).toEqual([w.eng]);
  });
});

describe('tenant boundaries and atomicity', () => {
  it('does not let one tenant change, join or grant another tenant’s records by id', async () => {
    const mine = w;
    const otherTenant = await makeTenant(store.db);
    const asOther = (change: LifecycleChange) => apply([change], admin, otherTenant.id);
    await expect(asOther({ kind: 'user.deactivate', userId: mine.ann })).rejects.toThrow(NotFoundError);
    await expect(asOther({ kind: 'user.update', userId: mine.ann, attributes: { displayName: 'pwned' } })).rejects.toThrow(NotFoundError);
    await expect(asOther({ kind: 'user.delete', userId: mine.ann })).rejects.toThrow(NotFoundError);
    await expect(asOther({ kind: 'membership.add', groupId: mine.eng, userId: mine.ann })).rejects.toThrow(NotFoundError);
    await expect(asOther({ kind: 'role.grant', userId: mine.ann, roleId: mine.owner })).rejects.toThrow(NotFoundError);
    await expect(asOther({ kind: 'group.delete', groupId: mine.eng })).rejects.toThrow(NotFoundError);
    await expect(asOther(userCreate(mine.connectionId, ++n))).rejects.toThrow(/connection .* not found/);
    expect(await rolesOf(store.db, mine.ann)).toEqual([]);
  });

  it('applies nothing of a batch whose last change fails', async () => {
    const before = (await auditOf(store.db, w.ann)).length;
    await expect(
      apply([
        { kind: 'membership.add', groupId: w.eng, userId: w.ann },
        { kind: 'user.update', userId: w.ann, attributes: { displayName: 'Half applied?' } },
        { kind: 'role.grant', userId: w.ann, roleId: '00000000-0000-4000-8000-000000000000' },
      ]),
    ).rejects.toThrow(NotFoundError);
    expect(await rolesOf(store.db, w.ann)).toEqual([]);
    expect(await auditOf(store.db, w.ann)).toHaveLength(before);
  });
});
