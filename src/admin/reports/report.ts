/** The connection report: what `roster report` prints and `/api/v1/connections/{id}/report` returns. */
import { readReportFacts, type ConnectionRow, type Db, type ReportFacts, type SyncRunRow } from '../../core/store/index.js';
import { reportOf, type SyncCounts } from '../../pull/reconcile/report.js';
import { scheduleProblem } from '../../core/connections/index.js';
import { acceptsScimPush, isProviderKind } from '../../pull/providers/index.js';
import { connectionHealth, DEFAULT_SCIM_PUSH_WINDOW_SECONDS, DEFAULT_SYNC_INTERVAL_SECONDS, type Health } from './health.js';

export const DEFAULT_REPORT_RUNS = 10;

export interface RunSummary {
  runId: string;
  trigger: string;
  mode: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  /** null while the run is still going. */
  durationMs: number | null;
  usersSynced: number;
  groupsSynced: number;
  counts: SyncCounts;
  apiRequests: number;
  error: string | null;
}

export interface ConnectionReport {
  connection: string;
  connectionId: string;
  tenant: string;
  kind: string;
  enabled: boolean;
  /** Users and groups the connection holds now. */
  usersSynced: number;
  groupsSynced: number;
  /** When the last run (not a dry run) finished, whatever its outcome. */
  lastSyncAt: string | null;
  lastSuccessAt: string | null;
  /** The latest run's status (`running` while one runs), or `never`. */
  status: string;
  health: Health;
  healthReason: string;
  /** Expected seconds between syncs and the SCIM push window that health uses. */
  syncIntervalSeconds: number;
  /** Set for connections that take SCIM pushes. */
  lastPushAt: string | null;
  scimPushWindowSeconds: number | null;
  recentRuns: RunSummary[];
}

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

function runSummary(row: SyncRunRow, label: string): RunSummary {
  const report = reportOf(row, label);
  return {
    runId: row.id,
    trigger: row.trigger,
    mode: row.mode,
    status: row.status,
    startedAt: iso(row.startedAt)!,
    finishedAt: iso(row.finishedAt),
    durationMs: row.finishedAt ? report.durationMs : null,
    usersSynced: row.usersSynced,
    groupsSynced: row.groupsSynced,
    counts: report.counts,
    apiRequests: row.apiRequests,
    error: row.error,
  };
}

export async function connectionReport(
  db: Db,
  connection: ConnectionRow,
  tenantSlug: string,
  options: { runs?: number; now?: Date } = {},
): Promise<ConnectionReport> {
  const [report] = await connectionReports(db, [{ connection, tenantSlug }], options);
  return report!;
}

/** Reports of several connections, read together (see readReportFacts). */
export async function connectionReports(
  db: Db,
  list: Array<{ connection: ConnectionRow; tenantSlug: string }>,
  options: { runs?: number; now?: Date } = {},
): Promise<ConnectionReport[]> {
  const facts = await readReportFacts(
    db,
    list.map((c) => c.connection),
    options.runs ?? DEFAULT_REPORT_RUNS,
  );
  return list.map(({ connection, tenantSlug }) => reportOfConnection(connection, tenantSlug, facts.get(connection.id)!, options.now ?? new Date()));
}

/** A stored schedule the scheduler cannot arm (one saved before schedules were checked), said the scheduler's way. */
function brokenSchedule(connection: ConnectionRow): string | null {
  for (const [field, expression] of [['schedule', connection.schedule], ['fullSchedule', connection.fullSchedule]] as const) {
    const problem = expression ? scheduleProblem(expression) : undefined;
    if (problem) return `${field} "${expression}" ${problem}`;
  }
  return null;
}

function reportOfConnection(connection: ConnectionRow, tenantSlug: string, facts: ReportFacts, now: Date): ConnectionReport {
  const label = `${tenantSlug}/${connection.name}`;
  const push = !isProviderKind(connection.kind);
  const takesPushes = acceptsScimPush(connection);
  const verdict = connectionHealth({
    mode: push ? 'push' : 'pull',
    enabled: connection.enabled,
    now,
    createdAt: new Date(connection.createdAt),
    lastRun: facts.lastFinished
      ? { status: facts.lastFinished.status, finishedAt: new Date(facts.lastFinished.finishedAt!), error: facts.lastFinished.error }
      : null,
    lastSuccessAt: facts.lastSuccessAt,
    syncIntervalSeconds: connection.syncIntervalSeconds,
    lastPushAt: facts.lastPushAt,
    pushWindowSeconds: connection.scimPushWindowSeconds,
    scheduleProblem: push ? null : brokenSchedule(connection),
  });
  return {
    connection: label,
    connectionId: connection.id,
    tenant: tenantSlug,
    kind: connection.kind,
    enabled: connection.enabled,
    usersSynced: facts.users,
    groupsSynced: facts.groups,
    lastSyncAt: iso(facts.lastFinished?.finishedAt),
    lastSuccessAt: iso(facts.lastSuccessAt),
    status: facts.latestRun?.status ?? 'never',
    health: verdict.health,
    healthReason: verdict.reason,
    syncIntervalSeconds: connection.syncIntervalSeconds ?? DEFAULT_SYNC_INTERVAL_SECONDS,
    lastPushAt: takesPushes ? iso(facts.lastPushAt) : null,
    scimPushWindowSeconds: takesPushes ? (connection.scimPushWindowSeconds ?? DEFAULT_SCIM_PUSH_WINDOW_SECONDS) : null,
    recentRuns: facts.recentRuns.map((row) => runSummary(row, label)),
  };
}
