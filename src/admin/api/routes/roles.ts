/** A tenant's roles and its group-to-role mappings (mapped roles follow group membership). */
import { z } from 'zod';
import { ops } from '../../operations/index.js';
import { mappingAdd } from '../../operations/mappings.js';
import { roleCreate } from '../../operations/roles.js';
import { defineRoute, operate } from '../route.js';
import { resolveMapping, resolveTenant, resolveTenantConnection } from '../../operations/resolve.js';
import { tenantParams } from './tenants.js';

const mappingParams = tenantParams.extend({ mappingId: z.string().min(1).describe('The mapping\'s id') });

export const roleRoutes = [
  defineRoute({
    method: 'GET',
    path: '/tenants/{tenant}/roles',
    operationId: 'listRoles',
    summary: 'List a tenant\'s roles',
    tag: 'roles',
    scope: 'admin',
    params: tenantParams,
    status: 200,
    response: 'RoleList',
    errors: [404],
    async handle({ params, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      return { roles: await operate(deps, caller, ops.roleList, { tenant: tenant.id }) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tenants/{tenant}/roles',
    operationId: 'createRole',
    summary: 'Create a role',
    tag: 'roles',
    scope: 'admin',
    params: tenantParams,
    body: roleCreate.input.omit({ tenant: true }),
    status: 201,
    response: 'Role',
    errors: [404, 409],
    async handle({ params, body, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      return operate(deps, caller, ops.roleCreate, { ...body, tenant: tenant.id });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tenants/{tenant}/mappings',
    operationId: 'listMappings',
    summary: 'List group-to-role mappings',
    tag: 'roles',
    scope: 'admin',
    params: tenantParams,
    status: 200,
    response: 'MappingList',
    errors: [404],
    async handle({ params, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      return { mappings: await operate(deps, caller, ops.mappingList, { tenant: tenant.id }) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tenants/{tenant}/mappings',
    operationId: 'addMapping',
    summary: 'Map a group to a role',
    description: 'Give exactly one of "group" (display name, case-insensitive) or "groupId" (the IdP\'s id), and exactly one of "connection" (id or name: only that connection\'s groups match) or "tenantWide": true (groups of every connection of the tenant match, SCIM pushes included). Members get the role at once.',
    tag: 'roles',
    scope: 'admin',
    params: tenantParams,
    body: mappingAdd.input.omit({ tenant: true }),
    status: 201,
    response: 'Mapping',
    errors: [404, 409],
    async handle({ params, body, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      const connection = body.connection === undefined ? undefined : (await resolveTenantConnection(deps.db, tenant, body.connection)).id;
      return operate(deps, caller, ops.mappingAdd, { ...body, tenant: tenant.id, connection });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/tenants/{tenant}/mappings/{mappingId}',
    operationId: 'removeMapping',
    summary: 'Remove a group-to-role mapping (the roles it gave are recomputed)',
    tag: 'roles',
    scope: 'admin',
    params: mappingParams,
    status: 204,
    errors: [404],
    async handle({ params, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      const mapping = await resolveMapping(deps.db, tenant, params.mappingId);
      await operate(deps, caller, ops.mappingRemove, { id: mapping.id });
    },
  }),
];
