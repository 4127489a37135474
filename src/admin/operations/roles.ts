import { z } from 'zod';
import { ConflictError } from '../../core/errors/index.js';
import { applyChanges } from '../../core/lifecycle/index.js';
import { findRoleById, findRoleByName, listRoles, type RoleRow } from '../../core/store/index.js';
import { resolveRole, resolveTenant, resolveUser } from './resolve.js';
import { defineOperation, iso } from './types.js';

export interface RoleView {
  id: string;
  name: string;
  description: string | null;
  createdAt: string | null;
}

const roleView = (r: RoleRow): RoleView => ({ id: r.id, name: r.name, description: r.description, createdAt: iso(r.createdAt) });

export const roleCreate = defineOperation({
  name: 'role.create',
  input: z.strictObject({
    tenant: z.string().min(1),
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(1000).optional(),
  }),
  async run(ctx, input): Promise<RoleView> {
    const db = ctx.store.db;
    const tenant = await resolveTenant(db, input.tenant);
    if (await findRoleByName(db, tenant.id, input.name)) throw new ConflictError(`role "${input.name}" already exists in tenant "${tenant.slug}"`);
    const result = await applyChanges(db, { tenantId: tenant.id, actor: ctx.actor }, [
      { kind: 'role.create', name: input.name, description: input.description ?? null },
    ]);
    return roleView((await findRoleById(db, tenant.id, result.createdIds[0]!))!);
  },
});

export const roleList = defineOperation({
  name: 'role.list',
  input: z.strictObject({ tenant: z.string().min(1) }),
  async run(ctx, input): Promise<RoleView[]> {
    const tenant = await resolveTenant(ctx.store.db, input.tenant);
    return (await listRoles(ctx.store.db, tenant.id)).map(roleView);
  },
});

const grantInput = z.strictObject({ user: z.string().min(1), role: z.string().min(1), tenant: z.string().min(1).optional() });

export interface GrantResult {
  user: { id: string; userName: string };
  role: { id: string; name: string };
  tenant: string;
  /** False when there was nothing to do (already granted, or not granted manually). */
  changed: boolean;
}

function manualRoleOperation(name: 'role.grant' | 'role.revoke') {
  return defineOperation({
    name,
    input: grantInput,
    async run(ctx, input): Promise<GrantResult> {
      const db = ctx.store.db;
      const { user, tenant } = await resolveUser(db, input.user, input.tenant);
      const role = await resolveRole(db, tenant, input.role);
      const result = await applyChanges(db, { tenantId: tenant.id, actor: ctx.actor }, [{ kind: name, userId: user.id, roleId: role.id }]);
      const changed = name === 'role.grant' ? result.counts.rolesGranted > 0 : result.counts.rolesRevoked > 0;
      return { user: { id: user.id, userName: user.userName }, role: { id: role.id, name: role.name }, tenant: tenant.slug, changed };
    },
  });
}

export const roleGrant = manualRoleOperation('role.grant');
export const roleRevoke = manualRoleOperation('role.revoke');
