/**
 * Connection administration. Secrets are encrypted before the transaction
 * opens (a missing key fails before anything is written), bound to the
 * connection's id, and never leave this module except as "(set)".
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  DEFAULT_SCIM_RATE_LIMIT,
  defaultFullSchedule,
  parseDeletionThreshold,
  parseSchedule,
  scheduleIntervalSeconds,
  parseWindow,
  nextRunAt,
} from '../../core/connections/index.js';
import { acceptsScimPush, findDescriptor, isProviderKind } from '../../pull/providers/index.js';
import { maskedSettings, mergeSettings, parseKind, validateSettings } from '../../pull/providers/connection-settings.js';
import { ConflictError, ValidationError } from '../../core/errors/index.js';
import { applyChanges, type LifecycleChange } from '../../core/lifecycle/index.js';
import {
  countConnectionContents,
  deleteConnection,
  findConnectionByName,
  insertAuditEvent,
  insertConnection,
  listAllConnections,
  listConnectionMemberIds,
  listConnectionsByTenant,
  listMappings,
  translateDbError,
  updateConnection,
  type ConnectionPatch,
  type ConnectionRow,
  type Db,
  announceCommitted,
  SCIM_AUTH_CHANNEL,
} from '../../core/store/index.js';
import { resolveConnection, resolveTenant } from './resolve.js';
import { defineOperation, iso, type OperationContext } from './types.js';

export interface ConnectionView {
  id: string;
  tenant: string;
  tenantId: string;
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  schedule: string | null;
  /** The periodic full sync next to the delta schedule (pull connections get a daily one by default); null = opted out, or scim. */
  fullSchedule: string | null;
  enabled: boolean;
  /** Sync-on-login: fetch the user live (with this time budget), or answer from the store. */
  loginSync: { enabled: boolean; timeoutMs: number };
  deletionThreshold: { count: number | null; percent: number | null };
  /** Whether IdPs may push to it over SCIM (always for kind `scim`). */
  scimPush: boolean;
  /** Per-token SCIM rate limit; `perMinute` 0 = off. */
  scimRateLimit: { perMinute: number; burst: number };
  /** Stalled when no SCIM push arrived for this long; null = the default (a day). */
  scimPushWindowSeconds: number | null;
  createdAt: string | null;
  updatedAt: string | null;
}

const secretContext = (id: string) => `connection:${id}`;

function readSecrets(ctx: OperationContext, row: ConnectionRow): Record<string, unknown> | null {
  return row.secrets ? (ctx.keyring.decrypt(row.secrets, secretContext(row.id)) as Record<string, unknown>) : null;
}

/** Which secrets are set, for masking; a listing survives a key it cannot use. */
function secretKeysOf(ctx: OperationContext, row: ConnectionRow): string[] {
  if (!row.secrets) return [];
  try {
    return Object.keys(readSecrets(ctx, row) ?? {});
  } catch (err) {
    ctx.logger.warn(`cannot read the secrets of connection ${row.id}`, { error: err });
    return [...(findDescriptor(row.kind)?.secretFields ?? [])];
  }
}

function connectionView(ctx: OperationContext, row: ConnectionRow, tenantSlug: string): ConnectionView {
  const settings = (row.settings ?? {}) as Record<string, unknown>;
  return {
    id: row.id,
    tenant: tenantSlug,
    tenantId: row.tenantId,
    name: row.name,
    kind: row.kind,
    settings: findDescriptor(row.kind) ? maskedSettings(row.kind, settings, secretKeysOf(ctx, row)) : settings,
    schedule: row.schedule,
    fullSchedule: row.fullSchedule,
    enabled: row.enabled,
    loginSync: { enabled: row.loginSyncEnabled, timeoutMs: row.loginSyncTimeoutMs },
    deletionThreshold: { count: row.deletionThresholdCount, percent: row.deletionThresholdPercent },
    scimPush: acceptsScimPush(row),
    scimRateLimit: {
      perMinute: row.scimRatePerMinute ?? DEFAULT_SCIM_RATE_LIMIT.perMinute,
      burst: row.scimBurst ?? DEFAULT_SCIM_RATE_LIMIT.burst,
    },
    scimPushWindowSeconds: row.scimPushWindowSeconds,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

async function audit(ctx: OperationContext, db: Db, action: string, before: ConnectionView | null, after: ConnectionView | null) {
  const subject = (after ?? before)!;
  await insertAuditEvent(db, {
    tenantId: subject.tenantId,
    connectionId: subject.id,
    action,
    entityType: 'connection',
    entityId: subject.id,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    before,
    after,
  });
}

const settingsInput = z.record(z.string(), z.unknown());
const name = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be letters, digits, ".", "_" or "-" (at most 63), with no "/"');

export const connectionCreate = defineOperation({
  name: 'connection.create',
  input: z.strictObject({
    tenant: z.string().min(1),
    name,
    kind: z.string().min(1),
    settings: settingsInput.optional(),
    schedule: z.string().nullable().optional(),
    /** Omitted: a daily full sync (pull kinds); null: none, explicitly. */
    fullSchedule: z.string().nullable().optional(),
  }),
  async run(ctx, input): Promise<ConnectionView> {
    const kind = parseKind(input.kind);
    const split = validateSettings(kind, input.settings ?? {});
    const schedule = input.schedule ? parseSchedule(input.schedule) : null;
    if ((schedule || input.fullSchedule) && !isProviderKind(kind)) throw new ValidationError(`a ${kind} connection is pushed to, not synced: it takes no schedule`);
    const id = randomUUID();
    const fullSchedule = !isProviderKind(kind) || input.fullSchedule === null ? null : input.fullSchedule === undefined ? defaultFullSchedule(id) : parseSchedule(input.fullSchedule, 'fullSchedule');
    const db = ctx.store.db;
    const tenant = await resolveTenant(db, input.tenant);
    if (await findConnectionByName(db, tenant.id, input.name)) {
      throw new ConflictError(`connection "${tenant.slug}/${input.name}" already exists`);
    }
    const secrets = split.secrets ? ctx.keyring.encrypt(split.secrets, secretContext(id), `the ${kind} credentials`) : null;
    try {
      return await db.transaction(async (tx) => {
        const row = await insertConnection(tx, { id, tenantId: tenant.id, name: input.name, kind, settings: split.settings, secrets, schedule, fullSchedule, syncIntervalSeconds: schedule ? scheduleIntervalSeconds(schedule) : null });
        const view = connectionView(ctx, row, tenant.slug);
        await audit(ctx, tx, 'connection.created', null, view);
        return view;
      });
    } catch (err) {
      throw translateDbError(err);
    }
  },
});

export const connectionList = defineOperation({
  name: 'connection.list',
  input: z.strictObject({ tenant: z.string().min(1).optional() }),
  async run(ctx, input): Promise<ConnectionView[]> {
    const db = ctx.store.db;
    if (input.tenant) {
      const tenant = await resolveTenant(db, input.tenant);
      return (await listConnectionsByTenant(db, tenant.id)).map((r) => connectionView(ctx, r, tenant.slug));
    }
    return (await listAllConnections(db)).map((r) => connectionView(ctx, r, r.tenantSlug));
  },
});

export const connectionShow = defineOperation({
  name: 'connection.show',
  input: z.strictObject({ connection: z.string().min(1) }),
  async run(ctx, input): Promise<ConnectionView & { users: number; groups: number; nextRuns: { sync: string | null; full: string | null } }> {
    const db = ctx.store.db;
    const row = await resolveConnection(db, input.connection);
    const contents = await countConnectionContents(db, row.tenantId, row.id);
    // Shown, not stored: the view that audit events hold stays free of a value that changes by the minute.
    const nextRuns = { sync: nextRunAt(row.schedule), full: nextRunAt(row.fullSchedule) };
    return { ...connectionView(ctx, row, row.tenant.slug), ...contents, nextRuns };
  },
});

export const connectionUpdate = defineOperation({
  name: 'connection.update',
  input: z.strictObject({
    connection: z.string().min(1),
    settings: settingsInput.optional(),
    /** A cron expression, or null to make the connection manual-only. */
    schedule: z.string().nullable().optional(),
    /** A cron expression for full syncs (null = none: opts out of the daily default). */
    fullSchedule: z.string().nullable().optional(),
    /** Sync-on-login fetches users live from the IdP. */
    syncGroupsOnLogin: z.boolean().optional(),
    /** The live fetch's time budget in milliseconds (100 ms to 30 s). */
    loginSyncTimeoutMs: z.number().int().min(100).max(30_000).optional(),
    enabled: z.boolean().optional(),
    deletionThreshold: z.union([z.string(), z.number().int().nonnegative()]).optional(),
    /** Accept SCIM pushes on a pull connection too. */
    scimPush: z.boolean().optional(),
    /** Per-token SCIM requests per minute (0 = no limit) and burst. */
    scimRatePerMinute: z.number().int().min(0).max(1_000_000).optional(),
    scimBurst: z.number().int().min(1).max(1_000_000).optional(),
    /** `24h`, `90m`, `2d`: a SCIM connection without a push for longer is stalled; null = the default. */
    scimPushWindow: z.string().min(1).nullable().optional(),
  }),
  async run(ctx, input): Promise<ConnectionView> {
    const db = ctx.store.db;
    const row = await resolveConnection(db, input.connection);
    const patch: ConnectionPatch = {};
    if (input.settings) {
      const kind = parseKind(row.kind);
      const split = mergeSettings(kind, input.settings, { settings: (row.settings ?? {}) as Record<string, unknown>, secrets: readSecrets(ctx, row) });
      patch.settings = split.settings;
      patch.secrets = split.secrets ? ctx.keyring.encrypt(split.secrets, secretContext(row.id), `the ${kind} credentials`) : null;
    }
    if (input.schedule !== undefined) {
      patch.schedule = input.schedule === null ? null : parseSchedule(input.schedule);
      // Health calls a connection stalled after twice this without a success.
      patch.syncIntervalSeconds = patch.schedule === null ? null : scheduleIntervalSeconds(patch.schedule);
    }
    if (input.fullSchedule !== undefined) patch.fullSchedule = input.fullSchedule === null ? null : parseSchedule(input.fullSchedule, 'fullSchedule');
    if ((patch.schedule || patch.fullSchedule) && !isProviderKind(row.kind)) throw new ValidationError(`a ${row.kind} connection is pushed to, not synced: it takes no schedule`);
    if (input.enabled !== undefined) patch.enabled = input.enabled;
    if (input.syncGroupsOnLogin !== undefined) patch.loginSyncEnabled = input.syncGroupsOnLogin;
    if (input.loginSyncTimeoutMs !== undefined) patch.loginSyncTimeoutMs = input.loginSyncTimeoutMs;
    if (input.scimPush !== undefined) patch.pushEnabled = input.scimPush;
    if (input.scimRatePerMinute !== undefined) patch.scimRatePerMinute = input.scimRatePerMinute;
    if (input.scimBurst !== undefined) patch.scimBurst = input.scimBurst;
    if (input.scimPushWindow !== undefined) patch.scimPushWindowSeconds = input.scimPushWindow === null ? null : parseWindow(input.scimPushWindow);
    if (input.deletionThreshold !== undefined) {
      const t = parseDeletionThreshold(input.deletionThreshold);
      patch.deletionThresholdCount = t.count;
      patch.deletionThresholdPercent = t.percent;
    }
    const before = connectionView(ctx, row, row.tenant.slug);
    if (Object.keys(patch).length === 0) return before;
    const view = await db.transaction(async (tx) => {
      const updated = await updateConnection(tx, row.tenantId, row.id, patch);
      const view = connectionView(ctx, updated!, row.tenant.slug);
      await audit(ctx, tx, 'connection.updated', before, view);
      return view;
    });
    announceCommitted(SCIM_AUTH_CHANNEL, row.id);
    return view;
  },
});

export const connectionDelete = defineOperation({
  name: 'connection.delete',
  input: z.strictObject({ connection: z.string().min(1), force: z.boolean().optional() }),
  async run(ctx, input): Promise<{ id: string; deleted: true; usersDeleted: number; groupsDeleted: number; mappingsRemoved: number }> {
    const db = ctx.store.db;
    const row = await resolveConnection(db, input.connection);
    const label = `${row.tenant.slug}/${row.name}`;
    const before = connectionView(ctx, row, row.tenant.slug);
    const deleted = await db.transaction(async (tx) => {
      const { userIds, groupIds } = await listConnectionMemberIds(tx, row.tenantId, row.id);
      if ((userIds.length || groupIds.length) && !input.force) {
        throw new ConflictError(
          `connection "${label}" still has ${userIds.length} user(s) and ${groupIds.length} group(s); delete with --force to remove them too`,
        );
      }
      // Mappings restricted to this connection would vanish by cascade; removing
      // them through the lifecycle keeps the audit trail and recomputes roles.
      const mappingIds = (await listMappings(tx, row.tenantId)).filter((m) => m.connectionId === row.id).map((m) => m.id);
      const changes: LifecycleChange[] = [
        ...mappingIds.map((mappingId): LifecycleChange => ({ kind: 'mapping.remove', mappingId })),
        ...groupIds.map((groupId): LifecycleChange => ({ kind: 'group.delete', groupId })),
        ...userIds.map((userId): LifecycleChange => ({ kind: 'user.delete', userId })),
      ];
      if (changes.length) await applyChanges(tx, { tenantId: row.tenantId, actor: ctx.actor }, changes);
      await deleteConnection(tx, row.tenantId, row.id);
      await audit(ctx, tx, 'connection.deleted', before, null);
      return { id: row.id, deleted: true as const, usersDeleted: userIds.length, groupsDeleted: groupIds.length, mappingsRemoved: mappingIds.length };
    });
    announceCommitted(SCIM_AUTH_CHANNEL, row.id);
    return deleted;
  },
});

