import { z } from 'zod';
import { listUserGroups, listUserRoles, listUsersByTenant, type UserGroup, type UserRole, type UserRow } from '../store/index.js';
import { resolveTenant, resolveUser } from './resolve.js';
import { defineOperation, iso } from './types.js';

export interface UserView {
  id: string;
  userName: string;
  email: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  active: boolean;
  externalId: string | null;
  connectionId: string;
  createdAt: string | null;
  updatedAt: string | null;
  deactivatedAt: string | null;
}

const userView = (u: UserRow): UserView => ({
  id: u.id,
  userName: u.userName,
  email: u.email,
  displayName: u.displayName,
  givenName: u.givenName,
  familyName: u.familyName,
  active: u.active,
  externalId: u.externalId,
  connectionId: u.connectionId,
  createdAt: iso(u.createdAt),
  updatedAt: iso(u.updatedAt),
  deactivatedAt: iso(u.deactivatedAt),
});

export const userList = defineOperation({
  name: 'user.list',
  input: z.strictObject({
    tenant: z.string().min(1),
    limit: z.number().int().min(1).max(1000).default(100),
    offset: z.number().int().min(0).default(0),
  }),
  async run(ctx, input): Promise<UserView[]> {
    const tenant = await resolveTenant(ctx.store.db, input.tenant);
    return (await listUsersByTenant(ctx.store.db, tenant.id, { limit: input.limit, offset: input.offset })).map(userView);
  },
});

export const userShow = defineOperation({
  name: 'user.show',
  input: z.strictObject({ user: z.string().min(1), tenant: z.string().min(1).optional() }),
  async run(ctx, input): Promise<UserView & { tenant: string; groups: UserGroup[]; roles: UserRole[] }> {
    const db = ctx.store.db;
    const { user, tenant } = await resolveUser(db, input.user, input.tenant);
    const [groups, roles] = [await listUserGroups(db, tenant.id, user.id), await listUserRoles(db, tenant.id, user.id)];
    return { ...userView(user), tenant: tenant.slug, groups, roles };
  },
});
