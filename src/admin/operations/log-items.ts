/**
 * The provisioning log's one item shape, whatever it comes from: an audit
 * event (a change made), a change_outcomes row (a change held, failed or
 * skipped) or a held run's waiting change. Pure: names of users and groups
 * come in looked up already.
 */
import type { AuditEventRow, ChangeOutcomeRow, EntityNames } from '../../core/store/index.js';
import { kindOfAction, outcomeOfAction } from '../../core/store/index.js';
import type { LifecycleChange } from '../../core/lifecycle/index.js';
import { iso } from './types.js';

export interface LogItem {
  at: string | null;
  kind: string;
  outcome: string;
  action: string;
  entity: { type: string; id: string | null; externalId: string | null; userName: string | null; group?: { id: string; displayName: string | null } };
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  source: { type: string; runId: string | null; requestId: string | null; actorId: string | null };
}

/** Columns that move with every write or say nothing to an admin: never shown as a change. */
const BOOKKEEPING = new Set(['id', 'tenant_id', 'connection_id', 'created_at', 'updated_at', 'source_hash', 'version']);

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null);
const shown = (o: Json | null) => o && Object.fromEntries(Object.entries(o).filter(([k]) => !BOOKKEEPING.has(k)));

/** Before and after of the fields that moved (an update), or the whole record (a create, a delete). */
export function movedFields(before: unknown, after: unknown): { before: Json | null; after: Json | null } {
  const b = shown(asObject(before));
  const a = shown(asObject(after));
  if (!b || !a) return { before: b, after: a };
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
  return { before: Object.fromEntries(keys.map((k) => [k, b[k] ?? null])), after: Object.fromEntries(keys.map((k) => [k, a[k] ?? null])) };
}

const text = (v: unknown) => (typeof v === 'string' ? v : null);

/** Users and groups an audit event names besides its entity (memberships name a user; roles a user). */
export function idsNamedBy(rows: AuditEventRow[]): { users: string[]; groups: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  for (const r of rows) {
    const payload = asObject(r.after) ?? asObject(r.before);
    if (r.action.startsWith('membership.')) {
      groups.push(r.entityId);
      const u = text(payload?.userId);
      if (u) users.push(u);
    } else if (r.entityType === 'user') users.push(r.entityId);
  }
  return { users, groups };
}

export function auditItem(row: AuditEventRow, names: EntityNames): LogItem {
  const payload = asObject(row.after) ?? asObject(row.before);
  const membership = row.action.startsWith('membership.');
  const userId = membership ? text(payload?.userId) : row.entityType === 'user' ? row.entityId : null;
  const user = userId ? names.users.get(userId) : undefined;
  const group = membership ? names.groups.get(row.entityId) : undefined;
  const { before, after } = membership ? { before: asObject(row.before), after: asObject(row.after) } : movedFields(row.before, row.after);
  return {
    at: iso(row.createdAt),
    kind: kindOfAction(row.action),
    outcome: outcomeOfAction(row.action),
    action: row.action,
    entity: {
      type: membership ? 'membership' : row.entityType,
      id: membership ? userId : row.entityId,
      externalId: user?.externalId ?? text(payload?.external_id),
      userName: user?.userName ?? text(payload?.user_name) ?? text(payload?.display_name),
      ...(membership ? { group: { id: row.entityId, displayName: group?.displayName ?? null } } : {}),
    },
    before,
    after,
    reason: row.reason,
    source: { type: row.actorType, runId: row.runId, requestId: row.requestId, actorId: row.actorId },
  };
}

export function outcomeItem(row: ChangeOutcomeRow): LogItem {
  const detail = asObject(row.detail);
  return {
    at: iso(row.createdAt),
    kind: row.entityType,
    outcome: row.outcome,
    action: text(detail?.action) ?? `${row.entityType}.${row.outcome}`,
    entity: { type: row.entityType, id: row.entityId, externalId: row.externalId, userName: row.userName },
    before: null,
    after: detail,
    reason: row.reason,
    source: { type: row.source, runId: row.runId, requestId: row.requestId, actorId: text(detail?.actorId) },
  };
}

/** The users and groups a held plan's changes name. */
export function idsInPlan(changes: LifecycleChange[]): { users: string[]; groups: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  for (const c of changes) {
    if ('userId' in c) users.push(c.userId);
    if ('groupId' in c) groups.push(c.groupId);
  }
  return { users, groups };
}

const PLAN_KIND: Partial<Record<LifecycleChange['kind'], string>> = {
  'user.deactivate': 'user',
  'user.delete': 'user',
  'membership.remove': 'membership',
  'group.delete': 'group',
};

export function planKind(change: LifecycleChange): string {
  return PLAN_KIND[change.kind] ?? change.kind.slice(0, change.kind.indexOf('.'));
}

/** A held run's waiting change: what it would do, to whom, and why it waits. */
export function heldItem(change: LifecycleChange, names: EntityNames, run: { id: string; finishedAt: Date | null; status: string; error: string | null }): LogItem {
  const userId = 'userId' in change ? change.userId : null;
  const groupId = 'groupId' in change ? change.groupId : null;
  const user = userId ? names.users.get(userId) : undefined;
  const group = groupId ? names.groups.get(groupId) : undefined;
  const kind = planKind(change);
  const waiting = run.status === 'rejected' ? 'rejected by an admin: never applied' : (run.error ?? 'held for approval');
  const why = change.kind === 'user.deactivate' && change.reason ? `${change.reason}; ${waiting}` : waiting;
  return {
    at: iso(run.finishedAt),
    kind,
    outcome: 'held',
    action: change.kind,
    entity: {
      type: kind,
      id: kind === 'group' ? groupId : userId,
      externalId: kind === 'group' ? (group?.externalId ?? null) : (user?.externalId ?? null),
      userName: kind === 'group' ? (group?.displayName ?? null) : (user?.userName ?? null),
      ...(kind === 'membership' && groupId ? { group: { id: groupId, displayName: group?.displayName ?? null } } : {}),
    },
    before: null,
    after: null,
    reason: why,
    source: { type: 'sync', runId: run.id, requestId: null, actorId: null },
  };
}
