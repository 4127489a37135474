/**
 * What the API answers, as zod schemas used only to describe it: each one
 * becomes a component of the OpenAPI document (`#/components/schemas/<Name>`).
 * Routes name their response by component name. Objects are loose where the
 * answer carries more than is listed (connection settings, event payloads).
 */
import { z } from 'zod';
import { CONNECTION_KINDS } from '../../../pull/providers/index.js';

const isoDate = z.iso.datetime({ offset: true });
const when = isoDate.nullable();
const uuid = z.string().describe('uuid');

const ErrorResponse = z.object({
  error: z.object({
    code: z.enum(['invalid_input', 'not_found', 'conflict', 'unauthorized', 'forbidden', 'config', 'store_busy', 'rate_limited', 'internal']),
    message: z.string().describe('Safe to show; names the bad field for invalid_input'),
    details: z.record(z.string(), z.unknown()).optional(),
    errorId: z.string().optional().describe('For internal errors: the id in the server log'),
  }),
});

const Tenant = z.object({ id: uuid, slug: z.string(), name: z.string(), createdAt: when });

const Health = z.enum(['healthy', 'degraded', 'stalled']);

const Connection = z.object({
  id: uuid,
  tenant: z.string().describe('Tenant slug'),
  tenantId: uuid,
  name: z.string(),
  kind: z.enum(CONNECTION_KINDS),
  settings: z.record(z.string(), z.unknown()).describe('Secret fields show as "(set)"'),
  schedule: z.string().nullable().describe('Delta sync cron (UTC)'),
  fullSchedule: z.string().nullable().describe('Full sync cron (UTC). Pull connections get a daily one unless created or updated with null (opted out); scim: always null'),
  enabled: z.boolean(),
  loginSync: z.object({ enabled: z.boolean(), timeoutMs: z.int() }),
  deletionThreshold: z.object({ count: z.int().nullable(), percent: z.number().nullable() }),
  scimPush: z.boolean(),
  scimRateLimit: z.object({ perMinute: z.int(), burst: z.int() }),
  scimPushWindowSeconds: z.int().nullable(),
  createdAt: when,
  updatedAt: when,
});

const ConnectionSummary = Connection.extend({
  health: Health.nullable(),
  healthReason: z.string().nullable(),
  status: z.string().nullable().describe('Latest run status, or "never"'),
  lastSyncAt: when,
  lastSuccessAt: when,
  usersSynced: z.int(),
  groupsSynced: z.int(),
});

const ConnectionDetail = Connection.extend({
  users: z.int(),
  groups: z.int(),
  nextRuns: z.object({ sync: when, full: when }).describe('When schedule and fullSchedule fire next (UTC); null without one'),
});

const ConnectionKind = z.object({
  kind: z.string(),
  direction: z.enum(['pull', 'push']).describe('pull: Roster reads the IdP; push: the IdP sends SCIM to Roster'),
  secretFields: z.array(z.string()).describe('Settings kept encrypted: write-only, shown as "(set)"'),
  endpointFields: z.array(z.string()).describe('Settings naming where credentials are sent: changing one needs the secrets again'),
  settings: z.record(z.string(), z.unknown()).describe('The settings the kind takes, as JSON Schema'),
});

const ConnectionTestResult = z.object({
  connection: z.string(),
  kind: z.string(),
  ok: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
});

const AttributePreview = z.object({
  users: z.array(
    z.object({
      externalId: z.string(),
      userName: z.string(),
      fields: z.object({ userName: z.string(), email: z.string().nullable(), displayName: z.string().nullable(), givenName: z.string().nullable(), familyName: z.string().nullable() }),
      custom: z.record(z.string(), z.unknown()).nullable().describe('The named custom attributes; null when the expressions name none'),
      errors: z.array(z.object({ field: z.string().describe('fields.<name> or custom.<name>'), message: z.string() })),
    }),
  ),
});

const SyncCounts = z.record(z.string(), z.int()).describe('usersCreated, usersUpdated, usersDeactivated, usersReactivated, usersDeleted, groupsCreated, ..., membershipsAdded, membershipsRemoved, rowsWritten');

const SyncReport = z.object({
  runId: uuid,
  connection: z.string(),
  trigger: z.string(),
  mode: z.enum(['full', 'delta', 'dry-run']),
  status: z.enum(['running', 'succeeded', 'failed', 'partial', 'held', 'rejected']),
  usersSynced: z.int(),
  groupsSynced: z.int(),
  counts: SyncCounts,
  held: z.record(z.string(), z.int()).nullable().describe('For a held run: the waiting changes per kind'),
  apiRequests: z.int(),
  durationMs: z.int(),
  error: z.string().nullable(),
  approveCommand: z.string().nullable(),
  warnings: z.array(z.string()),
});

const RunSummary = z.object({
  runId: uuid,
  trigger: z.string(),
  mode: z.string(),
  status: z.string(),
  startedAt: isoDate,
  finishedAt: when,
  durationMs: z.int().nullable().describe('null while the run goes on'),
  usersSynced: z.int(),
  groupsSynced: z.int(),
  counts: SyncCounts,
  apiRequests: z.int(),
  error: z.string().nullable(),
});

const ConnectionReport = z.object({
  connection: z.string(),
  connectionId: uuid,
  tenant: z.string(),
  kind: z.string(),
  enabled: z.boolean(),
  usersSynced: z.int(),
  groupsSynced: z.int(),
  lastSyncAt: when,
  lastSuccessAt: when,
  status: z.string(),
  health: Health,
  healthReason: z.string(),
  syncIntervalSeconds: z.int(),
  lastPushAt: when,
  scimPushWindowSeconds: z.int().nullable(),
  recentRuns: z.array(RunSummary),
});

const ScimToken = z.object({
  id: uuid,
  connection: z.string(),
  connectionId: uuid,
  name: z.string(),
  prefix: z.string().describe('The first characters of the token, never the token'),
  createdAt: when,
  lastUsedAt: when,
  expiresAt: when,
  revokedAt: when,
  status: z.enum(['active', 'expired', 'revoked']),
});

const Role = z.object({ id: uuid, name: z.string(), description: z.string().nullable(), createdAt: when });

const Mapping = z.object({
  id: uuid,
  role: z.string(),
  roleId: uuid,
  matchBy: z.enum(['display_name', 'external_id']),
  group: z.string(),
  connection: z.string().nullable().describe('the connection whose groups match; null when tenant-wide'),
  connectionId: uuid.nullable(),
  tenantWide: z.boolean().describe('groups of every connection of the tenant match, SCIM pushes included'),
  createdAt: when,
});

const UserSummary = z.object({
  id: uuid,
  userName: z.string(),
  email: z.string().nullable(),
  displayName: z.string().nullable(),
  active: z.boolean(),
  externalId: z.string().nullable(),
  connectionId: uuid,
  deactivatedAt: when,
  customAttributes: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("Named custom attributes computed by the connection's attribute expressions (settings.expressions.custom); null when it has none"),
});

const UserRole = z.object({
  id: uuid,
  name: z.string(),
  source: z.enum(['idp', 'manual']).describe('idp: from a group-to-role mapping; manual: granted by an admin'),
  grantedBy: z.string().nullable(),
});

const UserGroup = z.object({ id: uuid, displayName: z.string(), externalId: z.string().nullable(), connectionId: uuid });

const UserDetail = UserSummary.extend({
  givenName: z.string().nullable(),
  familyName: z.string().nullable(),
  createdAt: when,
  updatedAt: when,
  tenant: z.string(),
  groups: z.array(UserGroup),
  roles: z.array(UserRole),
});

const GrantResult = z.object({
  user: z.object({ id: uuid, userName: z.string() }),
  role: z.object({ id: uuid, name: z.string() }),
  tenant: z.string(),
  changed: z.boolean().describe('false when there was nothing to do'),
});

const Event = z.looseObject({
  id: z.int(),
  tenant: z.string().nullable(),
  tenantId: uuid,
  connectionId: uuid.nullable(),
  action: z.string().describe('user.created, user.deactivated, membership.added, role.granted, ...'),
  entityType: z.string(),
  entityId: z.string(),
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  runId: uuid.nullable(),
  reason: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  createdAt: isoDate,
});

const EventPage = z.object({
  events: z.array(Event),
  next: z.int().describe('Pass as "after" on the next read'),
  more: z.boolean().describe('More events are ready now'),
  pending: z.boolean().describe('Older transactions are still open: read again shortly'),
});

const Webhook = z.object({
  id: uuid,
  tenant: z.string().describe('Tenant slug'),
  url: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  deliveredThrough: z.int().describe('The last event id the endpoint acknowledged'),
  lastDeliveryAt: when,
  consecutiveFailures: z.int(),
  lastError: z.string().nullable(),
  nextAttemptAt: when,
  createdAt: when,
});

const ApiKey = z.object({
  id: uuid,
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, never the key'),
  scope: z.enum(['admin', 'login-sync']),
  tenant: z.string().nullable().describe('The only tenant the key reaches (slug); null = every tenant'),
  tenantId: uuid.nullable(),
  createdAt: when,
  createdBy: z.string().nullable(),
  lastUsedAt: when,
  revokedAt: when,
  status: z.enum(['active', 'revoked']),
});

/** The answer of POST /login-sync (its request body is the route's own schema). */
const LoginSyncResponse = z.object({
  allowed: z.boolean().describe('false for a deactivated, deleted or unknown user'),
  user: UserSummary.nullable(),
  groups: z.array(UserGroup),
  roles: z.array(UserRole),
  source: z.enum(['live', 'stored']).describe('live: fetched from the IdP now; stored: from Roster\'s store (IdP slow, down, or a SCIM connection)'),
  reason: z.string().optional().describe('Why the answer is stored, or why the user is not allowed'),
  syncedAt: when,
});

/** One entry of the provisioning log: a change made, held, failed or skipped (run changes, user history, audit search). */
const LogItem = z.object({
  at: when,
  kind: z.string().describe('user, group, membership, role (or run, tenant, connection... for admin events)'),
  outcome: z.string().describe('created, updated, deactivated, reactivated, deleted, added, removed, granted, revoked, held, failed, skipped'),
  action: z.string().describe('The audit action (user.deactivated) or, for a change not made, the change it would have been (user.deactivate)'),
  entity: z.object({
    type: z.string(),
    id: z.string().nullable(),
    externalId: z.string().nullable(),
    userName: z.string().nullable().describe('The user\'s userName (a group\'s display name for a group)'),
    group: z.object({ id: z.string(), displayName: z.string().nullable() }).optional().describe('For a membership: its group'),
  }),
  before: z.record(z.string(), z.unknown()).nullable().describe('For an update: the fields that moved, as they were'),
  after: z.record(z.string(), z.unknown()).nullable().describe('For an update: the fields that moved, as they are; for a change not made, its details'),
  reason: z.string().nullable(),
  source: z.object({
    type: z.string().describe('sync, scim, login, admin, cli'),
    runId: z.string().nullable(),
    requestId: z.string().nullable().describe('The SCIM request or login sync that brought the change'),
    actorId: z.string().nullable(),
  }),
});

const Skipped = z
  .object({
    byReason: z.record(z.string(), z.int()),
    sample: z.array(z.object({ externalId: z.string(), userName: z.string().nullable(), email: z.string().nullable(), reason: z.string() })),
  })
  .nullable()
  .describe('Users the scope left out: counts per reason and a sample (at most 1,000); null when none');

const RunChanges = z.object({
  run: z.object({
    id: uuid,
    connection: z.string(),
    connectionId: uuid,
    status: z.string(),
    mode: z.string(),
    trigger: z.string(),
    startedAt: when,
    finishedAt: when,
    usersSynced: z.int(),
    groupsSynced: z.int(),
    counts: z.record(z.string(), z.unknown()),
    held: z.record(z.string(), z.int()).nullable(),
    error: z.string().nullable(),
  }),
  changes: z.array(LogItem).describe('Applied changes in order, then those held or failed, then (a held run) the changes waiting for approval'),
  skipped: Skipped,
  nextCursor: z.string().nullable(),
});

/** The answer of POST /connections/{id}/provision: one user provisioned on demand, step by step. */
const ProvisionStep = z.object({
  step: z.enum(['fetch', 'match', 'scope', 'attributes', 'groups', 'apply']),
  status: z.enum(['ok', 'skipped', 'failed']),
  ms: z.number().describe('How long the step took, in milliseconds'),
  summary: z.string().describe('One line, e.g. "matched to stored user … by externalId …" or "out of scope: in none of the scope groups (Staff)"'),
  detail: z.record(z.string(), z.unknown()).describe('fetch: the IdP\'s record and groups; scope: inScope, matchedGroups; attributes: changes [{field, before, after}], active; groups: add, remove, rolesGranted, rolesRevoked; apply: changes by kind, auditEvents'),
});

const ProvisionResult = z.object({
  dryRun: z.boolean(),
  outcome: z.enum(['created', 'updated', 'reactivated', 'deactivated', 'no-change', 'skipped', 'not-found']),
  steps: z.array(ProvisionStep),
  user: UserSummary.extend({
    groups: z.array(z.string()).describe('Display names of the user\'s groups'),
    roles: z.array(z.object({ name: z.string(), source: z.enum(['idp', 'manual']) })),
  })
    .nullable()
    .describe('The user as stored after the provision (dry run: as stored now); null when there is none'),
});

export const COMPONENT_SCHEMAS = {
  ErrorResponse,
  Tenant,
  TenantList: z.object({ tenants: z.array(Tenant) }),
  Connection,
  ConnectionDetail,
  ConnectionList: z.object({ connections: z.array(ConnectionSummary) }),
  ConnectionTestResult,
  ConnectionKindList: z.object({ kinds: z.array(ConnectionKind) }),
  AttributePreview,
  SyncReport,
  RunList: z.object({ runs: z.array(RunSummary) }),
  ConnectionReport,
  ScimToken,
  ScimTokenCreated: ScimToken.extend({ token: z.string().describe('The bearer token: shown in this answer only') }),
  ScimTokenList: z.object({ tokens: z.array(ScimToken) }),
  Role,
  RoleList: z.object({ roles: z.array(Role) }),
  Mapping,
  MappingList: z.object({ mappings: z.array(Mapping) }),
  UserPage: z.object({ users: z.array(UserSummary), limit: z.int(), offset: z.int(), more: z.boolean() }),
  UserDetail,
  GrantResult,
  EventPage,
  LoginSyncResponse,
  LogItem,
  RunChanges,
  UserHistory: z.object({
    user: z.object({ id: uuid, userName: z.string(), email: z.string().nullable(), displayName: z.string().nullable(), active: z.boolean(), externalId: z.string().nullable(), connectionId: uuid, tenant: z.string() }),
    history: z.array(LogItem).describe('Newest first'),
    nextCursor: z.string().nullable(),
  }),
  AuditPage: z.object({ events: z.array(LogItem).describe('Newest first'), nextCursor: z.string().nullable() }),
  Webhook,
  WebhookCreated: Webhook.extend({ secret: z.string().describe('The signing secret (whsec_...): shown in this answer only') }),
  WebhookList: z.object({ webhooks: z.array(Webhook) }),
  ApiKey,
  ApiKeyCreated: ApiKey.extend({ key: z.string().describe('The key: shown in this answer only') }),
  ApiKeyList: z.object({ keys: z.array(ApiKey) }),
  ProvisionResult,
} satisfies Record<string, z.ZodType>;

export type ComponentName = keyof typeof COMPONENT_SCHEMAS;
