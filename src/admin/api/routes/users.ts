/**
 * Users of a tenant: search (userName or email prefix, paged), show with
 * groups and roles (each role with its source: `idp` from a group mapping,
 * `manual` from an admin), and manual role grants. Sync never touches a
 * manual grant; revoking one leaves the same role from a mapping in place.
 */
import { z } from 'zod';
import { ops } from '../../operations/index.js';
import { searchUsers, type UserRow } from '../../../core/store/index.js';
import { defineRoute, operate } from '../route.js';
import { resolveRole, resolveTenant, resolveTenantUser } from '../../operations/resolve.js';
import { wholeNumber } from './query.js';
import { tenantParams } from './tenants.js';

const userParams = tenantParams.extend({ user: z.string().min(1).describe('The user\'s id or userName') });
const grantParams = userParams.extend({ role: z.string().min(1).describe('The role\'s id or name') });

const searchQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).optional().describe('userName or email prefix, case-insensitive'),
  limit: wholeNumber(1000).pipe(z.number().min(1, 'must be at least 1')).optional().describe('Page size, 1 to 1000 (default 50)'),
  offset: wholeNumber(Number.MAX_SAFE_INTEGER).optional().describe('Users to skip (default 0)'),
});

const DEFAULT_PAGE = 50;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** What a search lists of each user: enough to pick one; `GET .../users/{user}` has the rest. */
const userSummary = (u: UserRow) => ({
  id: u.id,
  userName: u.userName,
  email: u.email,
  displayName: u.displayName,
  active: u.active,
  externalId: u.externalId,
  connectionId: u.connectionId,
  deactivatedAt: iso(u.deactivatedAt),
  customAttributes: (u.customAttributes as Record<string, unknown> | null) ?? null,
});

export const userRoutes = [
  defineRoute({
    method: 'GET',
    path: '/tenants/{tenant}/users',
    operationId: 'searchUsers',
    summary: 'Search users by userName or email prefix, a page at a time',
    description: 'Ordered by userName. "more" says whether another page follows (ask again with offset + limit).',
    tag: 'users',
    scope: 'admin',
    params: tenantParams,
    query: searchQuery,
    status: 200,
    response: 'UserPage',
    errors: [404],
    async handle({ params, query, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      const limit = query.limit ?? DEFAULT_PAGE;
      const offset = query.offset ?? 0;
      const rows = await searchUsers(deps.db, tenant.id, { q: query.q, limit, offset });
      return { users: rows.slice(0, limit).map(userSummary), limit, offset, more: rows.length > limit };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tenants/{tenant}/users/{user}',
    operationId: 'showUser',
    summary: 'Show a user with their groups and roles (with each role\'s source)',
    tag: 'users',
    scope: 'admin',
    params: userParams,
    status: 200,
    response: 'UserDetail',
    errors: [404],
    async handle({ params, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      const user = await resolveTenantUser(deps.db, tenant, params.user);
      return operate(deps, caller, ops.userShow, { user: user.id, tenant: tenant.id });
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/tenants/{tenant}/users/{user}/roles/{role}',
    operationId: 'grantRole',
    summary: 'Grant a role manually',
    description: '"changed" is false when the user already had the manual grant.',
    tag: 'users',
    scope: 'admin',
    params: grantParams,
    status: 200,
    response: 'GrantResult',
    errors: [404],
    async handle({ params, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      const [user, role] = [await resolveTenantUser(deps.db, tenant, params.user), await resolveRole(deps.db, tenant, params.role)];
      return operate(deps, caller, ops.roleGrant, { user: user.id, role: role.id, tenant: tenant.id });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/tenants/{tenant}/users/{user}/roles/{role}',
    operationId: 'revokeRole',
    summary: 'Revoke a manual role grant (a role from a group mapping stays)',
    tag: 'users',
    scope: 'admin',
    params: grantParams,
    status: 204,
    errors: [404],
    async handle({ params, caller, deps }) {
      const tenant = await resolveTenant(deps.db, params.tenant, caller);
      const [user, role] = [await resolveTenantUser(deps.db, tenant, params.user), await resolveRole(deps.db, tenant, params.role)];
      await operate(deps, caller, ops.roleRevoke, { user: user.id, role: role.id, tenant: tenant.id });
    },
  }),
];
