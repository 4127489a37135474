import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors/index.js';
import { FIELD_LIMITS } from '../../core/input/index.js';
import { applyChanges } from '../../core/lifecycle/index.js';
import { findMappingById, findTenantById, listMappings, type MappingView as MappingRow } from '../../core/store/index.js';
import { resolveConnection, resolveRole, resolveTenant } from './resolve.js';
import { defineOperation, iso } from './types.js';

export interface MappingView {
  id: string;
  role: string;
  roleId: string;
  matchBy: 'display_name' | 'external_id';
  group: string;
  connection: string | null;
  connectionId: string | null;
  /** Groups of every connection of the tenant match, SCIM pushes included. */
  tenantWide: boolean;
  createdAt: string | null;
}

const mappingView = (m: MappingRow): MappingView => ({
  id: m.id,
  role: m.roleName,
  roleId: m.roleId,
  matchBy: m.matchBy,
  group: m.groupRef,
  connection: m.connectionName,
  connectionId: m.connectionId,
  tenantWide: m.tenantWide,
  createdAt: iso(m.createdAt),
});

export const mappingAdd = defineOperation({
  name: 'mapping.add',
  input: z.strictObject({
    tenant: z.string().min(1),
    /** The IdP group's display name (matched case-insensitively)... */
    group: z.string().trim().min(1).max(FIELD_LIMITS.groupDisplayName).optional(),
    /** ...or its external id (exact). */
    groupId: z.string().trim().min(1).max(FIELD_LIMITS.externalId).optional(),
    role: z.string().min(1),
    /** Only this connection's groups match: id, name, or tenant/name. */
    connection: z.string().min(1).optional(),
    /** Groups of every connection match, SCIM pushes included: must be asked for. */
    tenantWide: z.boolean().optional(),
  }),
  async run(ctx, input): Promise<MappingView> {
    if ((input.group === undefined) === (input.groupId === undefined)) {
      throw new ValidationError('give exactly one of --group <displayName> or --group-id <externalId>');
    }
    // Refused rather than defaulted, even when the tenant has one connection today: a
    // connection added later (a SCIM token) would silently start matching the mapping.
    const tenantWide = input.tenantWide === true;
    if (tenantWide === (input.connection !== undefined)) {
      throw new ValidationError(
        tenantWide
          ? 'a mapping is for one connection (--connection, "connection") or tenant-wide (--tenant-wide, "tenantWide"), not both'
          : 'a mapping needs its connection (--connection, "connection": only its groups match) or an explicit --tenant-wide ("tenantWide": true: groups of every connection match, SCIM pushes included)',
      );
    }
    const db = ctx.store.db;
    const tenant = await resolveTenant(db, input.tenant);
    const role = await resolveRole(db, tenant, input.role);
    const connection = input.connection ? await resolveConnection(db, input.connection, tenant) : undefined;
    const match = input.group !== undefined
      ? { matchBy: 'display_name' as const, groupRef: input.group }
      : { matchBy: 'external_id' as const, groupRef: input.groupId! };
    const result = await applyChanges(db, { tenantId: tenant.id, actor: ctx.actor }, [
      { kind: 'mapping.add', roleId: role.id, connectionId: connection?.id ?? null, tenantWide, match },
    ]);
    const id = result.createdIds[0]!;
    const created = (await listMappings(db, tenant.id)).find((m) => m.id === id);
    return mappingView(created!);
  },
});

export const mappingList = defineOperation({
  name: 'mapping.list',
  input: z.strictObject({ tenant: z.string().min(1) }),
  async run(ctx, input): Promise<MappingView[]> {
    const tenant = await resolveTenant(ctx.store.db, input.tenant);
    return (await listMappings(ctx.store.db, tenant.id)).map(mappingView);
  },
});

export const mappingRemove = defineOperation({
  name: 'mapping.remove',
  input: z.strictObject({ id: z.string().min(1) }),
  async run(ctx, input): Promise<{ id: string; removed: true; tenant: string }> {
    const db = ctx.store.db;
    const mapping = await findMappingById(db, input.id);
    if (!mapping) throw new NotFoundError(`mapping "${input.id}" not found`);
    await applyChanges(db, { tenantId: mapping.tenantId, actor: ctx.actor }, [{ kind: 'mapping.remove', mappingId: mapping.id }]);
    const tenant = await findTenantById(db, mapping.tenantId);
    return { id: mapping.id, removed: true, tenant: tenant?.slug ?? mapping.tenantId };
  },
});
