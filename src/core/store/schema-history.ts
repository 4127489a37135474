/**
 * The history tables: audit_events (every applied change, also the event
 * stream) and change_outcomes (what a run, a SCIM request or a login did not
 * do, and why). Both are append-only, have no foreign keys (history outlives
 * what it describes), and are re-exported by schema.ts, the schema drizzle-kit reads.
 */
import { sql } from 'drizzle-orm';
import { bigint, customType, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from './schema-columns.js';

/** Postgres `xid8`: the id of the transaction that wrote a row (see audit_events.tx_id). */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/**
 * Append-only history of every applied change (a trigger refuses UPDATE and
 * DELETE). `id` only grows, so `after=<id>` reads it as an event stream. Ids
 * are drawn at insert but transactions commit out of order, so a smaller id can
 * become visible after a larger one: a statement trigger gives each inserting
 * transaction its xid before it draws an id, which lets the feed (src/admin/events)
 * wait for every transaction that may hold a smaller id to end.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** No foreign keys: history outlives the users, groups and connections it describes. */
    tenantId: uuid('tenant_id').notNull(),
    connectionId: uuid('connection_id'),
    /** `user.created`, `user.deactivated`, `membership.added`, `role.granted`, ... */
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    /** Who brought the change: `sync` | `scim` | `login` | `admin` | `cli`, and which one. */
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    runId: uuid('run_id'),
    /** The request that brought the change (a SCIM request's id, a login sync's, a provision on demand's). */
    requestId: text('request_id'),
    /** Why, where the change says (e.g. `user left the sync scope`). */
    reason: text('reason'),
    before: jsonb('before'),
    after: jsonb('after'),
    txId: xid8('tx_id')
      .notNull()
      .default(sql`pg_current_xact_id()`),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_events_tenant_id_idx').on(t.tenantId, t.id),
    index('audit_events_entity_idx').on(t.entityId),
    // A run's provisioning log reads its events in id order.
    index('audit_events_run_idx').on(t.runId, t.id).where(sql`${t.runId} is not null`),
  ],
);

/**
 * The provisioning log's other half: what a run, a SCIM request or a login
 * sync did *not* do to one object, and why (held back by a userName conflict,
 * failed with an error). Applied changes are in audit_events; a held run's
 * plan is in sync_runs.held_plan; scope skips are summarised in
 * sync_runs.skipped. Append-only, no foreign keys, kept as long as the audit log.
 */
export const changeOutcomes = pgTable(
  'change_outcomes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: uuid('tenant_id').notNull(),
    connectionId: uuid('connection_id'),
    runId: uuid('run_id'),
    requestId: text('request_id'),
    /** `sync` | `scim` | `login` | `admin` */
    source: text('source').notNull(),
    /** `user` | `group` | `membership` */
    entityType: text('entity_type').notNull(),
    /** Roster's id of the object, when it has one. */
    entityId: text('entity_id'),
    externalId: text('external_id'),
    userName: text('user_name'),
    /** `held` | `failed` | `skipped` */
    outcome: text('outcome').notNull(),
    reason: text('reason').notNull(),
    /** What would have changed, or the error's details. Never secrets. */
    detail: jsonb('detail'),
    createdAt: createdAt(),
  },
  (t) => [
    index('change_outcomes_run_idx').on(t.runId, t.id).where(sql`${t.runId} is not null`),
    index('change_outcomes_tenant_entity_idx').on(t.tenantId, t.entityId),
    index('change_outcomes_tenant_id_idx').on(t.tenantId, t.id),
  ],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type ChangeOutcomeRow = typeof changeOutcomes.$inferSelect;
