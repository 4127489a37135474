import { z } from 'zod';
import { ConflictError } from '../../core/errors/index.js';
import { findTenantBySlug, insertAuditEvent, insertTenant, listTenants, translateDbError, type TenantRow } from '../../core/store/index.js';
import { defineOperation, iso } from './types.js';

export interface TenantView {
  id: string;
  slug: string;
  name: string;
  createdAt: string | null;
}

export const tenantView = (t: TenantRow): TenantView => ({ id: t.id, slug: t.slug, name: t.name, createdAt: iso(t.createdAt) });

const slug = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes (at most 63), starting with a letter or digit');

export const tenantCreate = defineOperation({
  name: 'tenant.create',
  input: z.strictObject({ slug, name: z.string().trim().min(1).optional() }),
  async run(ctx, input): Promise<TenantView> {
    if (await findTenantBySlug(ctx.store.db, input.slug)) throw new ConflictError(`tenant "${input.slug}" already exists`);
    try {
      return await ctx.store.db.transaction(async (tx) => {
        const tenant = await insertTenant(tx, { slug: input.slug, name: input.name ?? input.slug });
        const view = tenantView(tenant);
        await insertAuditEvent(tx, {
          tenantId: tenant.id,
          action: 'tenant.created',
          entityType: 'tenant',
          entityId: tenant.id,
          actorType: ctx.actor.type,
          actorId: ctx.actor.id,
          after: view,
        });
        return view;
      });
    } catch (err) {
      // Two creates racing past the check above meet the unique constraint.
      throw translateDbError(err);
    }
  },
});

export const tenantList = defineOperation({
  name: 'tenant.list',
  input: z.strictObject({}),
  async run(ctx): Promise<TenantView[]> {
    return (await listTenants(ctx.store.db)).map(tenantView);
  },
});
