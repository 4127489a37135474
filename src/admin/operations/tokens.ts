/**
 * SCIM bearer tokens: created and shown once, stored as a hash, named,
 * listed with when they were last used, revocable at once. Several live
 * tokens per connection allow rotation with overlap.
 */
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors/index.js';
import { generateScimToken, hashScimToken, SHOWN_PREFIX_LENGTH } from '../../core/security/credentials.js';
import { acceptsScimPush } from '../../pull/providers/index.js';
import {
  findScimTokenById,
  findTenantById,
  insertAuditEvent,
  insertScimToken,
  listScimTokens,
  revokeScimToken,
  type ScimTokenRow,
  announceCommitted,
  SCIM_AUTH_CHANNEL,
} from '../../core/store/index.js';
import { resolveConnection } from './resolve.js';
import { defineOperation, iso } from './types.js';

export interface ScimTokenView {
  id: string;
  connection: string;
  connectionId: string;
  name: string;
  /** The first characters of the token, to recognise it; never the token. */
  prefix: string;
  createdAt: string | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  status: 'active' | 'expired' | 'revoked';
}

function tokenView(row: ScimTokenRow, connection: string): ScimTokenView {
  const expired = row.expiresAt !== null && new Date(row.expiresAt).getTime() <= Date.now();
  return {
    id: row.id,
    connection,
    connectionId: row.connectionId,
    name: row.name,
    prefix: row.prefix,
    createdAt: iso(row.createdAt),
    lastUsedAt: iso(row.lastUsedAt),
    expiresAt: iso(row.expiresAt),
    revokedAt: iso(row.revokedAt),
    status: row.revokedAt ? 'revoked' : expired ? 'expired' : 'active',
  };
}

/** `90d`, `12h`, `2w`, or an ISO date; the token expires then. */
export function parseExpiry(value: string, now = new Date()): Date {
  const text = value.trim();
  const m = /^(\d+)\s*([hdw])$/i.exec(text);
  if (m) {
    const hours = { h: 1, d: 24, w: 24 * 7 }[m[2]!.toLowerCase() as 'h' | 'd' | 'w'] * Number(m[1]);
    if (hours <= 0) throw new ValidationError(`--expires "${value}" must be in the future`);
    return new Date(now.getTime() + hours * 3_600_000);
  }
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) {
    throw new ValidationError(`--expires "${value}" must be a duration (90d, 12h, 2w) or a date (2027-01-31)`);
  }
  if (date.getTime() <= now.getTime()) throw new ValidationError(`--expires "${value}" is in the past`);
  return date;
}

export const tokenCreate = defineOperation({
  name: 'token.create',
  input: z.strictObject({
    connection: z.string().min(1),
    name: z.string().trim().min(1, 'a token needs a name (e.g. "Okta SCIM")').max(200),
    expires: z.string().optional(),
  }),
  async run(ctx, input): Promise<ScimTokenView & { token: string }> {
    const connection = await resolveConnection(ctx.store.db, input.connection);
    const label = `${connection.tenant.slug}/${connection.name}`;
    if (!acceptsScimPush(connection)) {
      throw new ValidationError(
        `connection "${label}" (kind ${connection.kind}) does not accept SCIM pushes; enable them first: roster connection update ${label} --scim-push`,
      );
    }
    const expiresAt = input.expires ? parseExpiry(input.expires) : null;
    const token = generateScimToken();
    return ctx.store.db.transaction(async (tx) => {
      const row = await insertScimToken(tx, {
        tenantId: connection.tenantId,
        connectionId: connection.id,
        name: input.name,
        tokenHash: hashScimToken(token),
        prefix: token.slice(0, SHOWN_PREFIX_LENGTH),
        expiresAt,
      });
      const view = tokenView(row, label);
      await insertAuditEvent(tx, {
        tenantId: connection.tenantId,
        connectionId: connection.id,
        action: 'scim_token.created',
        entityType: 'scim_token',
        entityId: row.id,
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        after: view,
      });
      return { ...view, token };
    });
  },
});

export const tokenList = defineOperation({
  name: 'token.list',
  input: z.strictObject({ connection: z.string().min(1) }),
  async run(ctx, input): Promise<ScimTokenView[]> {
    const connection = await resolveConnection(ctx.store.db, input.connection);
    const label = `${connection.tenant.slug}/${connection.name}`;
    return (await listScimTokens(ctx.store.db, connection.tenantId, connection.id)).map((row) => tokenView(row, label));
  },
});

export const tokenRevoke = defineOperation({
  name: 'token.revoke',
  input: z.strictObject({ id: z.string().min(1) }),
  async run(ctx, input): Promise<ScimTokenView> {
    const db = ctx.store.db;
    const existing = await findScimTokenById(db, input.id);
    if (!existing) throw new NotFoundError(`SCIM token "${input.id}" not found`);
    const connection = await resolveConnection(db, existing.connectionId);
    const tenant = await findTenantById(db, existing.tenantId);
    const label = `${tenant?.slug ?? existing.tenantId}/${connection.name}`;
    const result = await db.transaction(async (tx) => {
      const revoked = await revokeScimToken(tx, existing.tenantId, existing.id);
      // Revoking twice is not an error: the token stays revoked since its first revocation.
      const view = tokenView(revoked ?? existing, label);
      if (revoked) {
        await insertAuditEvent(tx, {
          tenantId: existing.tenantId,
          connectionId: existing.connectionId,
          action: 'scim_token.revoked',
          entityType: 'scim_token',
          entityId: existing.id,
          actorType: ctx.actor.type,
          actorId: ctx.actor.id,
          before: tokenView(existing, label),
          after: view,
        });
      }
      return view;
    });
    announceCommitted(SCIM_AUTH_CHANNEL, existing.connectionId);
    return result;
  },
});
