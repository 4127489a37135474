/**
 * Signed webhooks per tenant: the secret is shown once at creation and kept
 * encrypted (it must be readable to sign). Delivery is src/admin/webhooks.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors/index.js';
import { urlRefusal } from '../../core/net/url-policy.js';
import { deleteWebhook, findWebhook, insertAuditEvent, insertWebhook, listWebhooks, findTenantById, type WebhookRow } from '../../core/store/index.js';
import { resolveTenant } from './resolve.js';
import { defineOperation, iso } from './types.js';

export interface WebhookView {
  id: string;
  tenant: string;
  url: string;
  description: string | null;
  enabled: boolean;
  /** The last event id the endpoint acknowledged. */
  deliveredThrough: number;
  lastDeliveryAt: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string | null;
}

const view = (row: WebhookRow, tenant: string): WebhookView => ({
  id: row.id,
  tenant,
  url: row.url,
  description: row.description,
  enabled: row.enabled,
  deliveredThrough: Number(row.cursor),
  lastDeliveryAt: iso(row.lastDeliveryAt),
  consecutiveFailures: row.consecutiveFailures,
  lastError: row.lastError,
  nextAttemptAt: iso(row.nextAttemptAt),
  createdAt: iso(row.createdAt),
});

/**
 * Events carry personal data and are sent on the tenant's behalf: the
 * outbound URL policy applies (https; no loopback, private or metadata
 * address unless the operator trusts the host), here and again when the
 * sender connects.
 */
export function parseWebhookUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ValidationError(`webhook URL "${value}" is not a URL`, { details: { field: 'url' } });
  }
  const refusal = urlRefusal(url);
  if (refusal) throw new ValidationError(`webhook "url" ${refusal}`, { details: { field: 'url' } });
  return url.toString();
}

export const webhookCreate = defineOperation({
  name: 'webhook.create',
  input: z.strictObject({ tenant: z.string().min(1), url: z.string().min(1), description: z.string().trim().max(500).optional() }),
  async run(ctx, input): Promise<WebhookView & { secret: string }> {
    const url = parseWebhookUrl(input.url);
    const db = ctx.store.db;
    const tenant = await resolveTenant(db, input.tenant);
    const id = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const encrypted = ctx.keyring.encrypt(secret, `webhook:${id}`, 'the webhook signing secret');
    const row = await db.transaction(async (tx) => {
      await insertAuditEvent(tx, { tenantId: tenant.id, action: 'webhook.created', entityType: 'webhook', entityId: id, actorType: ctx.actor.type, actorId: ctx.actor.id, before: null, after: { url, description: input.description ?? null } });
      return insertWebhook(tx, { id, tenantId: tenant.id, url, description: input.description ?? null, secret: encrypted });
    });
    return { ...view(row, tenant.slug), secret };
  },
});

export const webhookList = defineOperation({
  name: 'webhook.list',
  input: z.strictObject({ tenant: z.string().min(1).optional() }),
  async run(ctx, input): Promise<WebhookView[]> {
    const db = ctx.store.db;
    const tenant = input.tenant ? await resolveTenant(db, input.tenant) : undefined;
    const rows = await listWebhooks(db, tenant?.id ?? null);
    const slugs = new Map<string, string>();
    for (const r of rows) if (!slugs.has(r.tenantId)) slugs.set(r.tenantId, (await findTenantById(db, r.tenantId))?.slug ?? r.tenantId);
    return rows.map((r) => view(r, slugs.get(r.tenantId)!));
  },
});

export const webhookDelete = defineOperation({
  name: 'webhook.delete',
  input: z.strictObject({ id: z.string().uuid('is not a webhook id') }),
  async run(ctx, input): Promise<{ id: string; deleted: true }> {
    const db = ctx.store.db;
    const row = await findWebhook(db, input.id);
    if (!row) throw new NotFoundError(`webhook "${input.id}" not found`);
    await db.transaction(async (tx) => {
      await deleteWebhook(tx, row.tenantId, row.id);
      await insertAuditEvent(tx, { tenantId: row.tenantId, action: 'webhook.deleted', entityType: 'webhook', entityId: row.id, actorType: ctx.actor.type, actorId: ctx.actor.id, before: { url: row.url }, after: null });
    });
    return { id: row.id, deleted: true };
  },
});
