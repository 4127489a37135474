/** The sync report: what a run did, as the CLI prints it and sync_runs keeps it. */
import type { ApplyCounts, LifecycleChange } from '../../core/lifecycle/index.js';
import type { SyncRunRow } from '../../core/store/index.js';

export type SyncStatus = 'running' | 'succeeded' | 'failed' | 'partial' | 'held' | 'rejected';

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
  /** IdP responses that throttled this run (429, rate limit) and were waited for; not stored with the run. */
  throttled?: number;
  durationMs: number;
  error: string | null;
  /** The command that applies a held plan. */
  approveCommand: string | null;
  warnings: string[];
}

const KIND_TO_COUNT = {
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
} as const satisfies Partial<Record<LifecycleChange['kind'], keyof ApplyCounts>>;

/** Counts per change kind, in the report's words: the lifecycle's user, group and membership counts. */
export type SyncCounts = Pick<ApplyCounts, (typeof KIND_TO_COUNT)[keyof typeof KIND_TO_COUNT]> & {
  /** Rows of users, groups, memberships and roles written (0 for a no-change resync). */
  rowsWritten: number;
};

export function emptySyncCounts(): SyncCounts {
  return Object.fromEntries([...Object.values(KIND_TO_COUNT), 'rowsWritten'].map((key) => [key, 0])) as SyncCounts;
}

/** What a plan would do (dry runs report this). */
export function countsOfChanges(changes: LifecycleChange[]): SyncCounts {
  const out = emptySyncCounts();
  for (const c of changes) {
    const key = KIND_TO_COUNT[c.kind as keyof typeof KIND_TO_COUNT];
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

export function reportOf(row: SyncRunRow, connection: string, extra: { warnings?: string[]; throttled?: number } = {}): SyncReport {
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
    ...(extra.throttled ? { throttled: extra.throttled } : {}),
  };
}

export const approveCommand = (connection: string, runId: string) => `roster sync ${connection} --approve ${runId}`;
