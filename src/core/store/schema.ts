/**
 * The one schema Roster keeps, for Postgres and for embedded PGlite alike.
 * `drizzle-kit generate` turns changes here into SQL migrations in `drizzle/`.
 *
 * Tenant boundaries: every tenant-owned table carries `tenant_id`, and every
 * query in `src/core/store` and `src/core/lifecycle` filters on it, so one tenant's
 * caller cannot name another tenant's rows even with a guessed id.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from './schema-columns.js';

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Short, stable handle used by the CLI and URLs (`acme`). */
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    name: text('name').notNull(),
    /** Provider kind: one of the registry's kinds (src/pull/providers/index.ts), validated in code. */
    kind: text('kind').notNull(),
    /** Non-secret settings (tenant ids, URLs, scope filters, attribute mapping). */
    settings: jsonb('settings').notNull().default({}),
    /** Secret settings (client secrets, API tokens, private keys), AES-256-GCM encrypted; null when none. */
    secrets: text('secrets'),
    /** Cron expression of the scheduled sync; null = manual only. */
    schedule: text('schedule'),
    /** Cron expression of a separate, rarer full sync (ignores the delta cursor); null = none. */
    fullSchedule: text('full_schedule'),
    enabled: boolean('enabled').notNull().default(true),
    /** Sync-on-login fetches the user live from the IdP (false = answer from the store). */
    loginSyncEnabled: boolean('login_sync_enabled').notNull().default(true),
    /** Time budget of the live fetch, after which the answer comes from the store. */
    loginSyncTimeoutMs: integer('login_sync_timeout_ms').notNull().default(2000),
    /** Accept SCIM pushes for this connection (always true in effect for kind `scim`). */
    pushEnabled: boolean('push_enabled').notNull().default(false),
    /** Per-token SCIM rate limit: sustained requests per minute and burst (null = 60 and 20). */
    scimRatePerMinute: integer('scim_rate_per_minute'),
    scimBurst: integer('scim_burst'),
    /** Hold a plan that deactivates/deletes more than this many users (null = default). */
    deletionThresholdCount: integer('deletion_threshold_count'),
    /** ...or more than this percent of the connection's users (null = default). */
    deletionThresholdPercent: integer('deletion_threshold_percent'),
    /** Provider-specific incremental-sync state (Graph deltaLinks, Okta watermarks); moves only after a successful apply. */
    deltaCursor: jsonb('delta_cursor'),
    /** Which replica runs this connection's sync now, and until when (a crashed holder's lease lapses). */
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    /**
     * Expected seconds between scheduled syncs, for health (stalled = no successful
     * run within twice this). The scheduler fills it from `schedule`; null = the
     * default interval (src/admin/reports/health.ts).
     */
    syncIntervalSeconds: integer('sync_interval_seconds'),
    /** A SCIM connection is stalled when no token was used for this long; null = the default window. */
    scimPushWindowSeconds: integer('scim_push_window_seconds'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [unique('connections_tenant_name_uq').on(t.tenantId, t.name)],
);

export const users = pgTable(
  'users',
  {
    /** Roster's id for the user; also the SCIM `id`. */
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id),
    /** The IdP's id for the user (Graph `id`, Okta `id`, Google `id`, SCIM `externalId`). */
    externalId: text('external_id'),
    userName: text('user_name').notNull(),
    email: text('email'),
    displayName: text('display_name'),
    givenName: text('given_name'),
    familyName: text('family_name'),
    active: boolean('active').notNull().default(true),
    /**
     * The rest of the user as SCIM attributes (name, emails, phoneNumbers, title,
     * the enterprise extension under its URN...). The columns above are kept
     * authoritative for what they hold; this carries everything else.
     */
    profile: jsonb('profile'),
    /**
     * Named custom attributes, computed by the connection's attribute
     * expressions (settings.expressions.custom) from the IdP's record; null
     * when the connection defines none. Part of the source hash.
     */
    customAttributes: jsonb('custom_attributes'),
    /** Hash of the source record last applied: an unchanged source costs no write. */
    sourceHash: text('source_hash'),
    deactivatedAt: timestamp('deactivated_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_tenant_username_uq').on(t.tenantId, sql`lower(${t.userName})`),
    // Not unique: for SCIM, externalId is the client's identifier (RFC 7643 §3.1) and
    // clients reuse it (Microsoft's reference collection does); for pull connections the
    // reconciler keeps one user per IdP id, creating only ids it has not stored.
    index('users_connection_external_id_idx')
      .on(t.connectionId, t.externalId)
      .where(sql`${t.externalId} is not null`),
    index('users_tenant_email_idx').on(t.tenantId, sql`lower(${t.email})`),
  ],
);

export const groups = pgTable(
  'groups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id),
    externalId: text('external_id'),
    displayName: text('display_name').notNull(),
    /** Further SCIM attributes of the group, beyond displayName, externalId and members. */
    profile: jsonb('profile'),
    sourceHash: text('source_hash'),
    createdAt: createdAt(),
    /** Moves with membership changes too, so it can serve as the group's ETag. */
    updatedAt: updatedAt(),
  },
  (t) => [
    // Not unique, for the same reason as users.external_id: a SCIM client owns it.
    index('groups_connection_external_id_idx')
      .on(t.connectionId, t.externalId)
      .where(sql`${t.externalId} is not null`),
    index('groups_tenant_display_name_idx').on(t.tenantId, sql`lower(${t.displayName})`),
    // The key of group_memberships' foreign key: a membership's tenant is its group's, checked by the database.
    unique('groups_id_tenant_uq').on(t.id, t.tenantId),
  ],
);

export const groupMemberships = pgTable(
  'group_memberships',
  {
    groupId: uuid('group_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tenantId: uuid('tenant_id').notNull(),
    /** How the IdP named the member when it added it (SCIM `members.display`); null = the user's own name. */
    display: text('display'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.userId] }),
    index('group_memberships_user_idx').on(t.userId),
    // One key check per membership for both the group and its tenant (a first sync writes 500k):
    // separate keys to groups and tenants cost ~2 µs more a row and did not tie the two together.
    foreignKey({ name: 'group_memberships_group_tenant_fk', columns: [t.groupId, t.tenantId], foreignColumns: [groups.id, groups.tenantId] }).onDelete('cascade'),
  ],
);

export const roles = pgTable(
  'roles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    /** The role's name as the host application knows it (`admin`, `billing-viewer`). */
    name: text('name').notNull(),
    description: text('description'),
    createdAt: createdAt(),
  },
  (t) => [unique('roles_tenant_name_uq').on(t.tenantId, t.name)],
);

/** An IdP group (by display name or external id) grants a role to its members. */
export const groupRoleMappings = pgTable(
  'group_role_mappings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    /** Only groups of this connection match; null exactly when the mapping is tenant-wide. */
    connectionId: uuid('connection_id').references(() => connections.id, { onDelete: 'cascade' }),
    /**
     * Groups of every connection of the tenant match (a SCIM token's groups included).
     * An explicit choice, never the default: a mapping meant for one IdP must not grant
     * roles to a same-named group another connection creates.
     */
    tenantWide: boolean('tenant_wide').notNull().default(false),
    /** `display_name` (case-insensitive) or `external_id` (exact). */
    matchBy: text('match_by').notNull(),
    groupRef: text('group_ref').notNull(),
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    // One mapping per group reference as matching sees it: display names compare case-insensitively.
    uniqueIndex('group_role_mappings_uq').on(
      t.tenantId,
      sql`coalesce(${t.connectionId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      t.matchBy,
      sql`(case when ${t.matchBy} = 'display_name' then lower(${t.groupRef}) else ${t.groupRef} end)`,
      t.roleId,
    ),
    index('group_role_mappings_role_idx').on(t.roleId),
    check('group_role_mappings_scope_ck', sql`(${t.tenantWide} and ${t.connectionId} is null) or (not ${t.tenantWide} and ${t.connectionId} is not null)`),
  ],
);

export const userRoles = pgTable(
  'user_roles',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    /** `idp` = derived from group memberships (sync owns it); `manual` = granted by an admin (sync never touches it). */
    source: text('source').notNull(),
    grantedBy: text('granted_by'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.roleId, t.source] }),
    index('user_roles_role_idx').on(t.roleId),
    index('user_roles_tenant_source_idx').on(t.tenantId, t.source),
  ],
);

export const scimTokens = pgTable(
  'scim_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** SHA-256 of the token; the token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull().unique(),
    /** The token's first characters, to tell tokens apart in listings. */
    prefix: text('prefix').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('scim_tokens_connection_idx').on(t.connectionId)],
);

/**
 * API keys for `/api/v1` (admins, and the login service's `login-sync` key).
 * Stored like SCIM tokens: a SHA-256 of the key and a short prefix, never the key.
 */
export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  /** `admin` | `login-sync` (validated in code, see src/api-keys). */
  scope: text('scope').notNull(),
  /** The only tenant the key reaches; null = every tenant (admin keys only). */
  tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
  /** SHA-256 of the key; the key itself is shown once and never stored. */
  keyHash: text('key_hash').notNull().unique(),
  /** The key's first characters, to tell keys apart in listings. */
  prefix: text('prefix').notNull(),
  /** Who created it (the CLI user or the API key's actor), for listings. */
  createdBy: text('created_by'),
  createdAt: createdAt(),
  /** Recorded at most once a minute per key: no write per request. */
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

/**
 * Token buckets for rate limits, held in the database so that the limit holds
 * across every replica sharing it. One row per limited key (e.g. a SCIM token).
 */
export const rateLimitBuckets = pgTable('rate_limit_buckets', {
  key: text('key').primaryKey(),
  /** Tokens left after the last request (refilled continuously up to the burst). */
  tokens: doublePrecision('tokens').notNull(),
  /** Whether the last request was let through: a refused request does not spend a token. */
  allowed: boolean('allowed').notNull().default(true),
  refreshedAt: timestamp('refreshed_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One row per sync run: the report admins read and the metrics ops scrape. */
export const syncRuns = pgTable(
  'sync_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    /** `schedule` | `manual` | `login` | `approval` */
    trigger: text('trigger').notNull(),
    /** `full` | `delta` | `dry-run` */
    mode: text('mode').notNull(),
    /** `running` | `succeeded` | `failed` | `partial` | `held` */
    status: text('status').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    usersSynced: integer('users_synced').notNull().default(0),
    groupsSynced: integer('groups_synced').notNull().default(0),
    /** Counts per change kind (users created/updated/deactivated/..., memberships added/removed). */
    counts: jsonb('counts').notNull().default({}),
    apiRequests: integer('api_requests').notNull().default(0),
    error: text('error'),
    /** For a held run: the plan waiting for approval. */
    heldPlan: jsonb('held_plan'),
    /**
     * Users the run left out of scope, without a row per user (a scoped
     * connection skips the same people every run): counts per reason and a
     * bounded sample, `{ byReason: { [reason]: n }, sample: [{ externalId, userName, email, reason }] }`.
     */
    skipped: jsonb('skipped'),
  },
  (t) => [index('sync_runs_connection_started_idx').on(t.connectionId, t.startedAt)],
);

/**
 * Signed webhooks: lifecycle events of one tenant POSTed to the host
 * application, in id order, at least once. `cursor` is the last event id the
 * endpoint acknowledged; it only moves after a 2xx, and only by the replica
 * holding the delivery lease.
 */
export const webhooks = pgTable('webhooks', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  url: text('url').notNull(),
  description: text('description'),
  /** The HMAC key, AES-256-GCM encrypted (it must be readable to sign, so it is not hashed). */
  secret: text('secret').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  cursor: bigint('cursor', { mode: 'number' }).notNull().default(0),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  lastDeliveryAt: timestamp('last_delivery_at', { withTimezone: true }),
  lastError: text('last_error'),
  leaseOwner: text('lease_owner'),
  leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
  createdAt: createdAt(),
});

/**
 * One row per scheduled tick of a connection (`<connection>:<mode>:<tick ISO>`).
 * Replicas write each tick ahead of time, unclaimed (`owner` null), due at the
 * nominal tick plus the connection's spread (src/pull/schedule/spread.ts). A
 * replica claims due ticks only as it has free run slots. A claim is a lease:
 * its holder renews it while the sync runs, and a claim that lapsed without
 * `completed_at` (its replica died) is taken over by another replica, so a due
 * run is not lost. Completed with `attempts` 0 = not run: a later tick of the
 * same connection and mode was run for it (the connection was behind).
 */
export const scheduleSlots = pgTable(
  'schedule_slots',
  {
    key: text('key').primaryKey(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    /** The replica holding (or that held) the claim; null while the tick waits to be claimed. */
    owner: text('owner'),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).defaultNow(),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** How many times the slot was claimed (more than 1 = taken over from a dead replica). */
    attempts: integer('attempts').notNull().default(1),
    /** When the tick may start: the nominal tick plus the connection's spread. */
    dueAt: timestamp('due_at', { withTimezone: true }).notNull().defaultNow(),
    /** The cron expression the tick came from: a tick whose schedule changed since is not claimed. */
    schedule: text('schedule'),
  },
  (t) => [
    index('schedule_slots_open_idx').on(t.leaseExpiresAt).where(sql`${t.completedAt} is null`),
    // The claim query: open ticks by due time, and a connection's open ticks (no overlap, catch-up).
    index('schedule_slots_due_idx').on(t.dueAt).where(sql`${t.completedAt} is null`),
    index('schedule_slots_connection_open_idx').on(t.connectionId, t.dueAt).where(sql`${t.completedAt} is null`),
  ],
);

// The history tables (audit_events, change_outcomes) are in their own file; drizzle-kit reads them through this one.
export * from './schema-history.js';

export type TenantRow = typeof tenants.$inferSelect;
export type ConnectionRow = typeof connections.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type GroupRow = typeof groups.$inferSelect;
export type RoleRow = typeof roles.$inferSelect;
export type GroupRoleMappingRow = typeof groupRoleMappings.$inferSelect;
export type UserRoleRow = typeof userRoles.$inferSelect;
export type ScimTokenRow = typeof scimTokens.$inferSelect;
export type SyncRunRow = typeof syncRuns.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type RateLimitBucketRow = typeof rateLimitBuckets.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;
