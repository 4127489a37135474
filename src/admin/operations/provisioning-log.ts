/**
 * The provisioning log: a run's changes (what it did, held, failed and
 * skipped, paged across its audit events, its outcomes and, for a held run,
 * its waiting plan), a user's history, an audit search, and rejecting a
 * held run. Cursors are opaque to callers (base64url JSON of a position).
 */
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors/index.js';
import type { LifecycleChange } from '../../core/lifecycle/index.js';
import {
  findRunInReach,
  findUserById,
  findUserByUserName,
  isUuid,
  LOG_KINDS,
  LOG_OUTCOMES,
  readEntityNames,
  readRunLog,
  readUserHistory,
  searchAuditEvents,
  type Db,
  type HistoryPosition,
  type LogFilter,
  type RunLogPosition,
  type SyncRunRow,
} from '../../core/store/index.js';
import { rejectHeldRun } from '../../pull/reconcile/reject.js';
import type { SyncReport } from '../../pull/reconcile/report.js';
import { auditItem, heldItem, idsInPlan, idsNamedBy, outcomeItem, planKind, type LogItem } from './log-items.js';
import { resolveConnection, resolveTenant, resolveUser } from './resolve.js';
import { defineOperation, iso } from './types.js';

export const DEFAULT_LOG_PAGE = 100;
export const MAX_LOG_PAGE = 500;

const limit = z.number().int().min(1).max(MAX_LOG_PAGE).default(DEFAULT_LOG_PAGE);
const cursor = z.string().min(1).max(2000).optional();

function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor<T>(raw: string, valid: (v: unknown) => v is T, what: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!valid(parsed)) throw new ValidationError(`cursor is not one ${what} gave (pass the nextCursor of the previous page as it is)`);
  return parsed;
}

const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A run's log position: `['a'|'o', id]` in its audit events or outcomes, `['h', index]` in its held plan. */
type RunCursor = ['a' | 'o' | 'h', number];
const isRunCursor = (v: unknown): v is RunCursor => Array.isArray(v) && v.length === 2 && ['a', 'o', 'h'].includes(v[0]) && whole(v[1]);

export interface RunView {
  id: string;
  connection: string;
  connectionId: string;
  status: string;
  mode: string;
  trigger: string;
  startedAt: string | null;
  finishedAt: string | null;
  usersSynced: number;
  groupsSynced: number;
  counts: unknown;
  held: unknown;
  error: string | null;
}

export interface RunChangesPage {
  run: RunView;
  changes: LogItem[];
  skipped: unknown;
  nextCursor: string | null;
}

type RunInReach = SyncRunRow & { connectionName: string; tenantSlug: string };

function runView(run: RunInReach): RunView {
  return {
    id: run.id,
    connection: `${run.tenantSlug}/${run.connectionName}`,
    connectionId: run.connectionId,
    status: run.status,
    mode: run.mode,
    trigger: run.trigger,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    usersSynced: run.usersSynced,
    groupsSynced: run.groupsSynced,
    counts: run.counts,
    held: (run.heldPlan as { counts?: unknown } | null)?.counts ?? null,
    error: run.error,
  };
}

/** A run by id; with `connection`, only a run of that connection (the API's path names both). */
async function resolveRun(db: Db, runId: string, connection: { id: string; tenantId: string } | undefined): Promise<RunInReach> {
  const run = isUuid(runId) ? await findRunInReach(db, runId, connection?.tenantId ?? null) : undefined;
  if (!run || (connection && run.connectionId !== connection.id)) throw new NotFoundError(`sync run "${runId}" not found`);
  return run;
}

/** The run log's user filter: a stored user (by id or userName), or a userName Roster never stored (a held create). */
async function userFilter(db: Db, tenantId: string, ref: string): Promise<LogFilter['user']> {
  const user = (await findUserById(db, tenantId, ref)) ?? (await findUserByUserName(db, tenantId, ref));
  return user ? { id: user.id, userName: user.userName } : { userName: ref };
}

/** A held (or rejected) run's waiting plan, filtered as the log is. */
function heldChanges(run: SyncRunRow, filter: LogFilter): LifecycleChange[] {
  if ((run.status !== 'held' && run.status !== 'rejected') || (filter.outcome && filter.outcome !== 'held')) return [];
  const changes = ((run.heldPlan as { changes?: LifecycleChange[] } | null)?.changes ?? []).filter((c) => !filter.kind || planKind(c) === filter.kind);
  const user = filter.user;
  if (!user) return changes;
  return user.id ? changes.filter((c) => 'userId' in c && c.userId === user.id) : [];
}

export const runChanges = defineOperation({
  name: 'run.changes',
  input: z.strictObject({
    run: z.string().min(1),
    /** The connection the run must belong to (the API's path); the CLI names a run by its id alone. */
    connection: z.string().min(1).optional(),
    kind: z.enum(LOG_KINDS).optional(),
    outcome: z.enum(LOG_OUTCOMES).optional(),
    user: z.string().min(1).max(500).optional(),
    limit,
    cursor,
  }),
  async run(ctx, input): Promise<RunChangesPage> {
    const db = ctx.store.db;
    const connection = input.connection ? await resolveConnection(db, input.connection) : undefined;
    const run = await resolveRun(db, input.run, connection);
    const filter: LogFilter = { kind: input.kind, outcome: input.outcome, user: input.user ? await userFilter(db, run.tenantId, input.user) : undefined };
    const [part, at] = input.cursor ? decodeCursor(input.cursor, isRunCursor, 'a run\'s changes') : (['a', 0] as RunCursor);

    const changes: LogItem[] = [];
    let next: RunCursor | null = null;
    let heldFrom = part === 'h' ? at : 0;
    if (part !== 'h') {
      const from: RunLogPosition = { part: part === 'a' ? 'audit' : 'outcomes', after: at };
      const page = await readRunLog(db, run.tenantId, run.id, filter, from, input.limit);
      const names = await readEntityNames(db, run.tenantId, idsNamedBy(page.audit));
      changes.push(...page.audit.map((r) => auditItem(r, names)), ...page.outcomes.map(outcomeItem));
      if (page.next) next = [page.next.part === 'audit' ? 'a' : 'o', page.next.after];
      heldFrom = 0;
    }
    if (!next) {
      const waiting = heldChanges(run, filter);
      const room = input.limit - changes.length;
      const slice = waiting.slice(heldFrom, heldFrom + room);
      if (slice.length) {
        const names = await readEntityNames(db, run.tenantId, idsInPlan(slice));
        changes.push(...slice.map((c) => heldItem(c, names, run)));
      }
      if (heldFrom + room < waiting.length) next = ['h', heldFrom + room];
    }
    return { run: runView(run), changes, skipped: run.skipped ?? null, nextCursor: next ? encodeCursor(next) : null };
  },
});

export const runReject = defineOperation({
  name: 'run.reject',
  input: z.strictObject({ run: z.string().min(1), connection: z.string().min(1).optional() }),
  async run(ctx, input): Promise<SyncReport> {
    const db = ctx.store.db;
    const given = input.connection ? await resolveConnection(db, input.connection) : undefined;
    const run = await resolveRun(db, input.run, given);
    const connection = given ?? (await resolveConnection(db, run.connectionId));
    const label = `${run.tenantSlug}/${run.connectionName}`;
    return rejectHeldRun({ db, logger: ctx.logger, actor: ctx.actor }, connection, { label, runId: run.id, actor: ctx.actor, leaseTtlMs: ctx.syncLeaseMs });
  },
});

type HistoryCursor = [number | null, number | null];
const isHistoryCursor = (v: unknown): v is HistoryCursor => Array.isArray(v) && v.length === 2 && v.every((x) => x === null || whole(x));

export const userHistory = defineOperation({
  name: 'user.history',
  input: z.strictObject({ user: z.string().min(1), tenant: z.string().min(1).optional(), limit, cursor }),
  async run(ctx, input) {
    const db = ctx.store.db;
    const { user, tenant } = await resolveUser(db, input.user, input.tenant);
    const [auditBefore, outcomesBefore] = input.cursor ? decodeCursor(input.cursor, isHistoryCursor, 'a user\'s history') : [null, null];
    const page = await readUserHistory(db, tenant.id, { id: user.id, userName: user.userName }, { auditBefore, outcomesBefore } satisfies HistoryPosition, input.limit);
    const audit = page.entries.flatMap((e) => (e.source === 'audit' ? [e.row] : []));
    const names = await readEntityNames(db, tenant.id, idsNamedBy(audit));
    return {
      user: { id: user.id, userName: user.userName, email: user.email, displayName: user.displayName, active: user.active, externalId: user.externalId, connectionId: user.connectionId, tenant: tenant.slug },
      history: page.entries.map((e) => (e.source === 'audit' ? auditItem(e.row, names) : outcomeItem(e.row))),
      nextCursor: page.next ? encodeCursor([page.next.auditBefore, page.next.outcomesBefore]) : null,
    };
  },
});

const isAuditCursor = (v: unknown): v is [number] => Array.isArray(v) && v.length === 1 && whole(v[0]);

export const auditSearch = defineOperation({
  name: 'audit.search',
  input: z.strictObject({
    tenant: z.string().min(1),
    action: z.string().min(1).max(200).optional(),
    user: z.string().min(1).max(500).optional(),
    actor: z.string().min(1).max(500).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit,
    cursor,
  }),
  async run(ctx, input) {
    const db = ctx.store.db;
    const tenant = await resolveTenant(db, input.tenant);
    const user = input.user ? await userFilter(db, tenant.id, input.user) : undefined;
    // A userName Roster does not hold has no events: the search finds none rather than every event.
    if (input.user && !user?.id) return { events: [], nextCursor: null };
    const [before] = input.cursor ? decodeCursor(input.cursor, isAuditCursor, 'an audit search') : [null];
    const search = { action: input.action, userId: user?.id, actor: input.actor, from: input.from ? new Date(input.from) : undefined, to: input.to ? new Date(input.to) : undefined };
    const rows = await searchAuditEvents(db, tenant.id, search, before, input.limit + 1);
    const page = rows.slice(0, input.limit);
    const names = await readEntityNames(db, tenant.id, idsNamedBy(page));
    return { events: page.map((r) => auditItem(r, names)), nextCursor: rows.length > input.limit ? encodeCursor([page.at(-1)!.id]) : null };
  },
});
