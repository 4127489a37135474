/**
 * The provisioning log's reads and writes: what a run, a SCIM request or a
 * login sync did to each object. Applied changes are the audit events the
 * lifecycle layer writes (with the run and request ids); what was *not* done
 * (held back, failed, skipped) is a change_outcomes row. A run's log reads
 * both in one stable order (its audit events by id, then its outcomes by id)
 * so a cursor can page across them; a user's history merges both newest
 * first. Every query filters on the tenant.
 */
import { and, desc, eq, gt, gte, inArray, like, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from './db.js';
import { auditEvents, changeOutcomes, connections, groups, syncRuns, tenants, users, type AuditEventRow, type ChangeOutcomeRow, type SyncRunRow } from './schema.js';

export type OutcomeSource = 'sync' | 'scim' | 'login' | 'admin';
export type NotDone = 'held' | 'failed' | 'skipped';

export interface ChangeOutcomeInput {
  tenantId: string;
  connectionId?: string | null;
  runId?: string | null;
  requestId?: string | null;
  source: OutcomeSource;
  entityType: 'user' | 'group' | 'membership';
  entityId?: string | null;
  externalId?: string | null;
  userName?: string | null;
  outcome: NotDone;
  reason: string;
  /** What would have changed, or the error's details. Never secrets. */
  detail?: unknown;
}

/** Rows per insert statement: a run holding back thousands of users writes a few statements, not thousands. */
const OUTCOMES_PER_STATEMENT = 1000;

export async function insertChangeOutcomes(db: Db, rows: ChangeOutcomeInput[]): Promise<void> {
  for (let i = 0; i < rows.length; i += OUTCOMES_PER_STATEMENT) {
    await db.insert(changeOutcomes).values(
      rows.slice(i, i + OUTCOMES_PER_STATEMENT).map((r) => ({
        tenantId: r.tenantId,
        connectionId: r.connectionId ?? null,
        runId: r.runId ?? null,
        requestId: r.requestId ?? null,
        source: r.source,
        entityType: r.entityType,
        entityId: r.entityId ?? null,
        externalId: r.externalId ?? null,
        userName: r.userName ?? null,
        outcome: r.outcome,
        reason: r.reason,
        detail: r.detail ?? null,
      })),
    );
  }
}

/** Audit actions by the outcome they mean (`user.created` is `created`). */
const ACTIONS_BY_OUTCOME: Record<string, string[]> = {
  created: ['user.created', 'group.created', 'role.created'],
  updated: ['user.updated', 'group.updated'],
  deactivated: ['user.deactivated'],
  reactivated: ['user.reactivated'],
  deleted: ['user.deleted', 'group.deleted'],
  added: ['membership.added', 'mapping.added'],
  removed: ['membership.removed', 'mapping.removed'],
  granted: ['role.granted'],
  revoked: ['role.revoked'],
};

/** The outcome an audit action records: its verb (`user.deactivated` → `deactivated`). */
export function outcomeOfAction(action: string): string {
  return action.slice(action.indexOf('.') + 1);
}

/** What kind of change an action is, in the log's words (`mapping.*` changes roles). */
export function kindOfAction(action: string): string {
  const prefix = action.slice(0, action.indexOf('.'));
  return prefix === 'mapping' ? 'role' : prefix;
}

export const LOG_KINDS = ['user', 'group', 'membership', 'role'] as const;
export const LOG_OUTCOMES = ['created', 'updated', 'deactivated', 'reactivated', 'deleted', 'added', 'removed', 'granted', 'revoked', 'skipped', 'held', 'failed'] as const;
export type LogKind = (typeof LOG_KINDS)[number];
export type LogOutcome = (typeof LOG_OUTCOMES)[number];

export interface LogFilter {
  kind?: LogKind | undefined;
  outcome?: LogOutcome | undefined;
  /** The user's id (their own events, and memberships and roles naming them) and/or userName (outcomes of users never stored). */
  user?: { id?: string | undefined; userName?: string | undefined } | undefined;
}

const KIND_PREFIXES: Record<LogKind, string[]> = { user: ['user.'], group: ['group.'], membership: ['membership.'], role: ['role.', 'mapping.'] };

/** Audit events about a user: their own, and the membership changes naming them (whose entity is the group). */
function auditOfUser(userId: string): SQL {
  return or(
    eq(auditEvents.entityId, userId),
    and(like(auditEvents.action, 'membership.%'), or(sql`${auditEvents.after}->>'userId' = ${userId}`, sql`${auditEvents.before}->>'userId' = ${userId}`)),
  )!;
}

function auditFilter(filter: LogFilter): SQL | undefined {
  const parts: Array<SQL | undefined> = [];
  if (filter.kind) parts.push(or(...KIND_PREFIXES[filter.kind].map((p) => like(auditEvents.action, `${p}%`))));
  if (filter.outcome) {
    const actions = ACTIONS_BY_OUTCOME[filter.outcome];
    // held, failed and skipped are never audit events.
    parts.push(actions ? inArray(auditEvents.action, actions) : sql`false`);
  }
  if (filter.user) parts.push(filter.user.id ? auditOfUser(filter.user.id) : sql`false`);
  return and(...parts);
}

function outcomeFilter(filter: LogFilter): SQL | undefined {
  const parts: Array<SQL | undefined> = [];
  if (filter.kind) parts.push(filter.kind === 'role' ? sql`false` : eq(changeOutcomes.entityType, filter.kind));
  if (filter.outcome) parts.push(eq(changeOutcomes.outcome, filter.outcome));
  if (filter.user) {
    const { id, userName } = filter.user;
    parts.push(
      or(
        id ? eq(changeOutcomes.entityId, id) : undefined,
        userName ? sql`lower(${changeOutcomes.userName}) = lower(${userName})` : undefined,
      ) ?? sql`false`,
    );
  }
  return and(...parts);
}

/** Where a run's log was left: in its audit events or its outcomes, after this id. */
export interface RunLogPosition {
  part: 'audit' | 'outcomes';
  after: number;
}

export interface RunLogPage {
  audit: AuditEventRow[];
  outcomes: ChangeOutcomeRow[];
  /** Where the next page starts; null when this page ended the run's rows. */
  next: RunLogPosition | null;
}

/** One page of a run's log: its audit events in id order, then its outcomes in id order. */
export async function readRunLog(db: Db, tenantId: string, runId: string, filter: LogFilter, from: RunLogPosition | null, limit: number): Promise<RunLogPage> {
  const position = from ?? { part: 'audit', after: 0 };
  let audit: AuditEventRow[] = [];
  if (position.part === 'audit') {
    audit = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.runId, runId), gt(auditEvents.id, position.after), auditFilter(filter)))
      .orderBy(auditEvents.id)
      .limit(limit + 1);
    if (audit.length > limit) return { audit: audit.slice(0, limit), outcomes: [], next: { part: 'audit', after: audit[limit - 1]!.id } };
  }
  const room = limit - audit.length;
  const outcomesAfter = position.part === 'outcomes' ? position.after : 0;
  const outcomes = await db
    .select()
    .from(changeOutcomes)
    .where(and(eq(changeOutcomes.tenantId, tenantId), eq(changeOutcomes.runId, runId), gt(changeOutcomes.id, outcomesAfter), outcomeFilter(filter)))
    .orderBy(changeOutcomes.id)
    .limit(room + 1);
  if (outcomes.length > room) {
    const kept = outcomes.slice(0, room);
    // A page filled by audit events alone: the outcomes start from the first on the next page.
    return { audit, outcomes: kept, next: { part: 'outcomes', after: kept.at(-1)?.id ?? 0 } };
  }
  return { audit, outcomes, next: null };
}

/** Where a newest-first merge of both tables was left: below these ids (null = from the newest). */
export interface HistoryPosition {
  auditBefore: number | null;
  outcomesBefore: number | null;
}

export type LogEntry = { source: 'audit'; row: AuditEventRow } | { source: 'outcome'; row: ChangeOutcomeRow };

export interface HistoryPage {
  entries: LogEntry[];
  next: HistoryPosition | null;
}

/** Both tables' rows merged newest first; the position keeps each table's own place. */
function mergeNewestFirst(audit: AuditEventRow[], outcomes: ChangeOutcomeRow[], from: HistoryPosition, limit: number): HistoryPage {
  const entries: LogEntry[] = [];
  let a = 0;
  let o = 0;
  while (entries.length < limit && (a < audit.length || o < outcomes.length)) {
    const takeAudit = o >= outcomes.length || (a < audit.length && new Date(audit[a]!.createdAt).getTime() >= new Date(outcomes[o]!.createdAt).getTime());
    entries.push(takeAudit ? { source: 'audit', row: audit[a++]! } : { source: 'outcome', row: outcomes[o++]! });
  }
  const more = a < audit.length || o < outcomes.length;
  if (!more) return { entries, next: null };
  return {
    entries,
    next: { auditBefore: a > 0 ? audit[a - 1]!.id : from.auditBefore, outcomesBefore: o > 0 ? outcomes[o - 1]!.id : from.outcomesBefore },
  };
}

/** A user's history: their audit events (memberships and roles included) and outcomes, newest first. */
export async function readUserHistory(db: Db, tenantId: string, user: { id: string; userName: string }, from: HistoryPosition | null, limit: number): Promise<HistoryPage> {
  const position = from ?? { auditBefore: null, outcomesBefore: null };
  const [audit, outcomes] = await Promise.all([
    db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, tenantId), auditOfUser(user.id), position.auditBefore === null ? undefined : lt(auditEvents.id, position.auditBefore)))
      .orderBy(desc(auditEvents.id))
      .limit(limit + 1),
    db
      .select()
      .from(changeOutcomes)
      .where(and(eq(changeOutcomes.tenantId, tenantId), outcomeFilter({ user }), position.outcomesBefore === null ? undefined : lt(changeOutcomes.id, position.outcomesBefore)))
      .orderBy(desc(changeOutcomes.id))
      .limit(limit + 1),
  ]);
  return mergeNewestFirst(audit, outcomes, position, limit);
}

export interface AuditSearch {
  /** An action (`user.deactivated`), or a prefix ending in `.` or `*` (`user.*`). */
  action?: string | undefined;
  userId?: string | undefined;
  /** An actor's id (`token:…`, an API key's name) or type (`scim`, `sync`). */
  actor?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** A tenant's audit events matching the search, newest first, below `before` (an event id). */
export function searchAuditEvents(db: Db, tenantId: string, search: AuditSearch, before: number | null, limit: number): Promise<AuditEventRow[]> {
  const action = search.action;
  const prefix = action && /[.*]$/.test(action) ? action.replace(/\*$/, '') : undefined;
  return db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.tenantId, tenantId),
        action ? (prefix !== undefined ? like(auditEvents.action, `${prefix.replace(/[\\%_]/g, '\\$&')}%`) : eq(auditEvents.action, action)) : undefined,
        search.userId ? auditOfUser(search.userId) : undefined,
        search.actor ? or(eq(auditEvents.actorId, search.actor), eq(auditEvents.actorType, search.actor)) : undefined,
        search.from ? gte(auditEvents.createdAt, search.from) : undefined,
        search.to ? lte(auditEvents.createdAt, search.to) : undefined,
        before === null ? undefined : lt(auditEvents.id, before),
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(limit);
}

export interface EntityNames {
  users: Map<string, { userName: string; externalId: string | null }>;
  groups: Map<string, { displayName: string; externalId: string | null }>;
}

/** userNames and group names of the given ids, within the tenant (ids of rows since deleted are absent). */
export async function readEntityNames(db: Db, tenantId: string, ids: { users: string[]; groups: string[] }): Promise<EntityNames> {
  const userIds = [...new Set(ids.users)];
  const groupIds = [...new Set(ids.groups)];
  const [u, g] = await Promise.all([
    userIds.length
      ? db.select({ id: users.id, userName: users.userName, externalId: users.externalId }).from(users).where(and(eq(users.tenantId, tenantId), inArray(users.id, userIds)))
      : [],
    groupIds.length
      ? db
          .select({ id: groups.id, displayName: groups.displayName, externalId: groups.externalId })
          .from(groups)
          .where(and(eq(groups.tenantId, tenantId), inArray(groups.id, groupIds)))
      : [],
  ]);
  return {
    users: new Map(u.map((r) => [r.id, { userName: r.userName, externalId: r.externalId }])),
    groups: new Map(g.map((r) => [r.id, { displayName: r.displayName, externalId: r.externalId }])),
  };
}

/** Mark a held run rejected (see src/pull/reconcile/reject.ts): only while it is still held (a concurrent approve or reject finds it changed). */
export async function rejectHeldRun(db: Db, tenantId: string, runId: string): Promise<SyncRunRow | undefined> {
  const [row] = await db
    .update(syncRuns)
    .set({ status: 'rejected' })
    .where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.id, runId), eq(syncRuns.status, 'held')))
    .returning();
  return row;
}

/** A run by its id alone, within one tenant or (null: the CLI, an operator) any, with its connection's name and tenant slug. */
export async function findRunInReach(db: Db, runId: string, tenantId: string | null): Promise<(SyncRunRow & { connectionName: string; tenantSlug: string }) | undefined> {
  const [row] = await db
    .select({ run: syncRuns, connectionName: connections.name, tenantSlug: tenants.slug })
    .from(syncRuns)
    .innerJoin(connections, eq(connections.id, syncRuns.connectionId))
    .innerJoin(tenants, eq(tenants.id, syncRuns.tenantId))
    .where(and(eq(syncRuns.id, runId), tenantId === null ? undefined : eq(syncRuns.tenantId, tenantId)));
  return row && { ...row.run, connectionName: row.connectionName, tenantSlug: row.tenantSlug };
}
