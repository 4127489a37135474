import { z } from 'zod';
import { ValidationError } from '../../core/errors/index.js';
import { isUuid, listUserGroups, listUserRoles, listUsersByTenant, type UserGroup, type UserListPosition, type UserRole, type UserRow } from '../../core/store/index.js';
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
  /** Named custom attributes from the connection's attribute expressions; null when it has none. */
  customAttributes: Record<string, unknown> | null;
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
  customAttributes: (u.customAttributes as Record<string, unknown> | null) ?? null,
});

/** One page of a tenant's users; `nextCursor` continues after it while `more` is true. */
export interface UserPage {
  users: UserView[];
  more: boolean;
  nextCursor: string | null;
}

/** A cursor is opaque to callers: the position of a page's last user, base64url JSON. */
function encodeCursor(position: UserListPosition): string {
  return Buffer.from(JSON.stringify([position.userName, position.id])).toString('base64url');
}

function decodeCursor(cursor: string): UserListPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string' || !isUuid(parsed[1])) {
    throw new ValidationError('cursor is not one a user listing gave (pass the nextCursor of the previous page as it is)');
  }
  return { userName: parsed[0], id: parsed[1] };
}

export const userList = defineOperation({
  name: 'user.list',
  input: z.strictObject({
    tenant: z.string().min(1),
    limit: z.number().int().min(1).max(1000).default(100),
    offset: z.number().int().min(0).default(0),
    cursor: z.string().min(1).max(2000).optional(),
  }),
  async run(ctx, input): Promise<UserPage> {
    const tenant = await resolveTenant(ctx.store.db, input.tenant);
    const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
    // One row past the page says whether another follows.
    const rows = await listUsersByTenant(ctx.store.db, tenant.id, { limit: input.limit + 1, offset: input.offset, after });
    const page = rows.slice(0, input.limit);
    const last = page.at(-1);
    const more = rows.length > input.limit;
    return { users: page.map(userView), more, nextCursor: more && last ? encodeCursor({ userName: last.userName, id: last.id }) : null };
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
