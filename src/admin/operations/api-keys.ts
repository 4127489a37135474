/**
 * API keys for `/api/v1`: created and shown once, stored as a hash, listed
 * with when they were last used, revocable at once. A key may be restricted
 * to one tenant; a key without a tenant reaches every tenant.
 */
import { z } from 'zod';
import { API_KEY_SCOPES, generateApiKey, hashApiKey, SHOWN_PREFIX_LENGTH } from '../../core/security/credentials.js';
import { NotFoundError } from '../../core/errors/index.js';
import { findApiKeyById, insertApiKey, insertAuditEvent, listApiKeys, revokeApiKey, type ApiKeyRow, type Db } from '../../core/store/index.js';
import { resolveTenant } from './resolve.js';
import { defineOperation, iso, type OperationContext } from './types.js';

export interface ApiKeyView {
  id: string;
  name: string;
  /** The first characters of the key, to recognise it; never the key. */
  prefix: string;
  scope: string;
  /** The only tenant the key reaches (slug); null = every tenant. */
  tenant: string | null;
  tenantId: string | null;
  createdAt: string | null;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  status: 'active' | 'revoked';
}

function keyView(row: ApiKeyRow, tenantSlug: string | null): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scope: row.scope,
    tenant: tenantSlug,
    tenantId: row.tenantId,
    createdAt: iso(row.createdAt),
    createdBy: row.createdBy,
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
    status: row.revokedAt ? 'revoked' : 'active',
  };
}

/**
 * audit_events belongs to a tenant; a key that reaches every tenant belongs to
 * none, so its creation and revocation go to the log instead.
 */
async function auditKey(ctx: OperationContext, db: Db, action: string, before: ApiKeyView | null, after: ApiKeyView): Promise<void> {
  if (!after.tenantId) {
    ctx.logger.info(action, { apiKeyId: after.id, name: after.name, scope: after.scope, actor: ctx.actor });
    return;
  }
  await insertAuditEvent(db, {
    tenantId: after.tenantId,
    action,
    entityType: 'api_key',
    entityId: after.id,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    before,
    after,
  });
}

export const apiKeyCreate = defineOperation({
  name: 'apiKey.create',
  input: z.strictObject({
    name: z.string().trim().min(1, 'an API key needs a name (e.g. "console" or "login service")').max(200),
    scope: z.enum(API_KEY_SCOPES, { error: `must be one of ${API_KEY_SCOPES.join(', ')}` }),
    tenant: z.string().min(1).optional(),
  }),
  async run(ctx, input): Promise<ApiKeyView & { key: string }> {
    const tenant = input.tenant ? await resolveTenant(ctx.store.db, input.tenant) : undefined;
    const key = generateApiKey();
    return ctx.store.db.transaction(async (tx) => {
      const row = await insertApiKey(tx, {
        name: input.name,
        scope: input.scope,
        tenantId: tenant?.id ?? null,
        keyHash: hashApiKey(key),
        prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
        createdBy: ctx.actor.id ? `${ctx.actor.type}:${ctx.actor.id}` : ctx.actor.type,
      });
      const view = keyView(row, tenant?.slug ?? null);
      await auditKey(ctx, tx, 'api_key.created', null, view);
      return { ...view, key };
    });
  },
});

export const apiKeyList = defineOperation({
  name: 'apiKey.list',
  /** `tenant`: only the keys restricted to it; omitted = every key. */
  input: z.strictObject({ tenant: z.string().min(1).optional() }),
  async run(ctx, input): Promise<ApiKeyView[]> {
    const tenant = input.tenant ? await resolveTenant(ctx.store.db, input.tenant) : undefined;
    return (await listApiKeys(ctx.store.db, tenant?.id ?? null)).map((row) => keyView(row, row.tenantSlug));
  },
});

export const apiKeyRevoke = defineOperation({
  name: 'apiKey.revoke',
  input: z.strictObject({ id: z.string().min(1) }),
  async run(ctx, input): Promise<ApiKeyView> {
    const db = ctx.store.db;
    const existing = await findApiKeyById(db, input.id);
    if (!existing) throw new NotFoundError(`API key "${input.id}" not found`);
    return db.transaction(async (tx) => {
      const revoked = await revokeApiKey(tx, existing.id);
      // Revoking twice is not an error: the key stays revoked since its first revocation.
      const view = keyView(revoked ?? existing, existing.tenantSlug);
      if (revoked) await auditKey(ctx, tx, 'api_key.revoked', keyView(existing, existing.tenantSlug), view);
      return view;
    });
  },
});
