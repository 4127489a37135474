import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/core/errors/index.js';
import { applyChanges } from '../../../src/core/lifecycle/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { groupCreate, userCreate } from '../../support/factories.js';
import { countRows, rolesOf } from '../../support/inspect.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { op, operationContext } from './support.js';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;
let tenantId: string;
let connectionId: string;
const ada = userCreate('', 1, { attributes: { userName: 'Ada@Acme.test', displayName: 'Ada' } });
const eng = groupCreate('', 'Engineering', { externalId: 'grp-eng' });

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  tenantId = (await op(ctx, 'tenant.create', { slug: 'acme' })).id;
  connectionId = (await op(ctx, 'connection.create', { tenant: 'acme', name: 'push', kind: 'scim' })).id;
  await op(ctx, 'tenant.create', { slug: 'globex' });
  // Users and groups arrive through the lifecycle layer, as a sync would bring them.
  await applyChanges(store.db, { tenantId, actor: { type: 'sync' } }, [
    { ...ada, connectionId },
    { ...eng, connectionId },
    { kind: 'membership.add', groupId: eng.id!, userId: ada.id! },
  ]);
});
afterAll(() => store.close());

describe('roles and mappings', () => {
  it('creates roles through the lifecycle and refuses duplicates', async () => {
    const admin = await op(ctx, 'role.create', { tenant: 'acme', name: 'admin', description: 'everything' });
    await op(ctx, 'role.create', { tenant: 'acme', name: 'billing' });
    expect(admin).toMatchObject({ name: 'admin', description: 'everything' });
    await expect(op(ctx, 'role.create', { tenant: 'acme', name: 'admin' })).rejects.toThrow(ConflictError);
    expect((await op(ctx, 'role.list', { tenant: 'acme' })).map((r: { name: string }) => r.name)).toEqual(['admin', 'billing']);
    expect(await op(ctx, 'role.list', { tenant: 'globex' })).toEqual([]);
  });

  it('maps a group by display name to a role its members then hold as idp', async () => {
    const m = await op(ctx, 'mapping.add', { tenant: 'acme', group: 'engineering', role: 'admin', connection: 'push' });
    expect(m).toMatchObject({ role: 'admin', matchBy: 'display_name', group: 'engineering', connection: 'push' });
    expect(await rolesOf(store.db, ada.id!)).toEqual(['admin:idp']);
    const byId = await op(ctx, 'mapping.add', { tenant: 'acme', groupId: 'grp-eng', role: 'billing', tenantWide: true });
    expect(byId).toMatchObject({ matchBy: 'external_id', connection: null, tenantWide: true });
    expect(await rolesOf(store.db, ada.id!)).toEqual(['admin:idp', 'billing:idp']);
    expect((await op(ctx, 'mapping.list', { tenant: 'acme' })).length).toBe(2);
  });

  it('needs exactly one way to name the group, and a known role', async () => {
    await expect(op(ctx, 'mapping.add', { tenant: 'acme', role: 'admin' })).rejects.toThrow(ValidationError);
    await expect(op(ctx, 'mapping.add', { tenant: 'acme', group: 'a', groupId: 'b', role: 'admin' })).rejects.toThrow(ValidationError);
    await expect(op(ctx, 'mapping.add', { tenant: 'acme', group: 'a', role: 'nope', connection: 'push' })).rejects.toThrow(/role "nope" not found/);
  });

  it('grants and revokes manual roles by userName with a tenant, or tenant/userName', async () => {
    const g = await op(ctx, 'role.grant', { user: 'ada@acme.test', tenant: 'acme', role: 'admin' });
    expect(g).toMatchObject({ changed: true, role: { name: 'admin' }, user: { userName: 'Ada@Acme.test' } });
    expect(await rolesOf(store.db, ada.id!)).toEqual(['admin:idp', 'admin:manual', 'billing:idp']);
    expect((await op(ctx, 'role.grant', { user: 'acme/ada@acme.test', role: 'admin' })).changed).toBe(false);
    const shown = await op(ctx, 'user.show', { user: ada.id! });
    expect(shown.groups.map((x: { displayName: string }) => x.displayName)).toEqual(['Engineering']);
    expect(shown.roles.map((r: { name: string; source: string }) => `${r.name}:${r.source}`)).toEqual(['admin:idp', 'admin:manual', 'billing:idp']);
    expect((await op(ctx, 'role.revoke', { user: 'acme/Ada@Acme.test', role: 'admin' })).changed).toBe(true);
    expect(await rolesOf(store.db, ada.id!)).toEqual(['admin:idp', 'billing:idp']);
  });

  it('does not find a user across tenants, and asks for a tenant with a bare userName', async () => {
    await expect(op(ctx, 'user.show', { user: 'ada@acme.test', tenant: 'globex' })).rejects.toThrow(NotFoundError);
    await expect(op(ctx, 'user.show', { user: 'ada@acme.test' })).rejects.toThrow(/--tenant/);
    expect(await op(ctx, 'user.list', { tenant: 'globex' })).toEqual({ users: [], more: false, nextCursor: null });
    expect((await op(ctx, 'user.list', { tenant: 'acme', limit: 10 })).users.map((u: { userName: string }) => u.userName)).toEqual(['Ada@Acme.test']);
  });

  it('removes a mapping and the roles it gave', async () => {
    const [mapping] = (await op(ctx, 'mapping.list', { tenant: 'acme' })).filter((m: { role: string }) => m.role === 'billing');
    await op(ctx, 'mapping.remove', { id: mapping.id });
    expect(await rolesOf(store.db, ada.id!)).toEqual(['admin:idp']);
    await expect(op(ctx, 'mapping.remove', { id: mapping.id })).rejects.toThrow(NotFoundError);
  });
});

describe('deleting a connection that still has users', () => {
  it('refuses without force, naming what is left', async () => {
    await expect(op(ctx, 'connection.delete', { connection: 'acme/push' })).rejects.toThrow(/still has 1 user\(s\) and 1 group\(s\)/);
    expect(await countRows(store.db, 'users', tenantId)).toBe(1);
  });

  it('with force deletes users, groups and connection-bound mappings through the lifecycle, audited', async () => {
    const r = await op(ctx, 'connection.delete', { connection: 'acme/push', force: true });
    expect(r).toMatchObject({ deleted: true, usersDeleted: 1, groupsDeleted: 1, mappingsRemoved: 1 });
    expect(await countRows(store.db, 'users', tenantId)).toBe(0);
    expect(await countRows(store.db, 'connections', tenantId)).toBe(0);
    const actions = await queryRows<{ action: string }>(
      store.db,
      sql`select action from audit_events where tenant_id = ${tenantId}::uuid and action in ('user.deleted', 'group.deleted', 'mapping.removed', 'connection.deleted')`,
    );
    expect(actions.map((a) => a.action).sort()).toEqual(['connection.deleted', 'group.deleted', 'mapping.removed', 'mapping.removed', 'user.deleted']);
  });
});
