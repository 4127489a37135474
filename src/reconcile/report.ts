/** The sync report: what a run did, as the CLI prints it and sync_runs keeps it. */
import type { ApplyCounts, LifecycleChange } from '../lifecycle/index.js';
import type { SyncRunRow } from '../store/index.js';

/** Counts per change kind, in the report's words. */
export interface SyncCounts {
  usersCreated: number;
  usersUpdated: number;
  usersDeactivated: number;
  usersReactivated: number;
  usersDeleted: number;
  groupsCreated: number;
  groupsUpdated: number;
  groupsDeleted: number;
  membershipsAdded: number;
  membershipsRemoved: number;
  /** Rows of users, groups, memberships and roles written (0 for a no-change resync). */
  rowsWritten: number;
}

export type SyncStatus = 'running' | 'succeeded' | 'failed' | 'partial' | 'held';

export interface SyncReport {
  runId: string;
  connection: string;
  trigger: string;
  mode: string;
  status: SyncStatus;
  usersSynced: number;
  groupsSynced: number;
  counts: SyncCounts;
  /** For a held run: what is waiting (counts per change kind). */
  held: Partial<Record<LifecycleChange['kind'], number>> | null;
  apiRequests: number;
  durationMs: number;
  error: string | null;
  /** The command that applies a held plan. */
  approveCommand: string | null;
  warnings: string[];
}

export function emptySyncCounts(): SyncCounts {
  return {
    usersCreated: 0,
    usersUpdated: 0,
    usersDeactivated: 0,
    usersReactivated: 0,
    usersDeleted: 0,
    groupsCreated: 0,
    groupsUpdated: 0,
    groupsDeleted: 0,
    membershipsAdded: 0,
    membershipsRemoved: 0,
    rowsWritten: 0,
  };
}

const KIND_TO_COUNT: Partial<Record<LifecycleChange['kind'], keyof SyncCounts>> = {
  'user.create': 'usersCreated',
  'user.update': 'usersUpdated',
  'user.deactivate': 'usersDeactivated',
  'user.reactivate': 'usersReactivated',
  'user.delete': 'usersDeleted',
  'group.create': 'groupsCreated',
  'group.update': 'groupsUpdated',
  'group.delete': 'groupsDeleted',
  'membership.add': 'membershipsAdded',
  'membership.remove': 'membershipsRemoved',
};

/** What a plan would do (dry runs report this). */
export function countsOfChanges(changes: LifecycleChange[]): SyncCounts {
  const out = emptySyncCounts();
  for (const c of changes) {
    const key = KIND_TO_COUNT[c.kind];
    if (key) out[key] += 1;
  }
  return out;
}

/** Add what one applied chunk did. */
export function addApplied(into: SyncCounts, applied: ApplyCounts, rowsWritten: number): void {
  into.usersCreated += applied.usersCreated;
  into.usersUpdated += applied.usersUpdated;
  into.usersDeactivated += applied.usersDeactivated;
  into.usersReactivated += applied.usersReactivated;
  into.usersDeleted += applied.usersDeleted;
  into.groupsCreated += applied.groupsCreated;
  into.groupsUpdated += applied.groupsUpdated;
  into.groupsDeleted += applied.groupsDeleted;
  into.membershipsAdded += applied.membershipsAdded;
  into.membershipsRemoved += applied.membershipsRemoved;
  into.rowsWritten += rowsWritten;
}

export function reportOf(row: SyncRunRow, connection: string, extra: { warnings?: string[] } = {}): SyncReport {
  const held = row.status === 'held' ? ((row.heldPlan as { counts?: SyncReport['held'] } | null)?.counts ?? null) : null;
  const finished = row.finishedAt ?? new Date();
  return {
    runId: row.id,
    connection,
    trigger: row.trigger,
    mode: row.mode,
    status: row.status as SyncStatus,
    usersSynced: row.usersSynced,
    groupsSynced: row.groupsSynced,
    counts: { ...emptySyncCounts(), ...(row.counts as Partial<SyncCounts>) },
    held,
    apiRequests: row.apiRequests,
    durationMs: Math.max(0, new Date(finished).getTime() - new Date(row.startedAt).getTime()),
    error: row.error,
    // A dry run can say it would be held, but has no plan to approve.
    approveCommand: row.status === 'held' && row.heldPlan ? approveCommand(connection, row.id) : null,
    warnings: extra.warnings ?? [],
  };
}

export const approveCommand = (connection: string, runId: string) => `roster sync ${connection} --approve ${runId}`;
