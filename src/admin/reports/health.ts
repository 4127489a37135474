/**
 * Health of a connection, from plain facts (no I/O, so it is tested alone):
 *
 * - `stalled`: a pull connection has had no successful run within twice its
 *   interval; a push (SCIM) connection has had no push within its window.
 *   A connection that never succeeded counts from its creation, so a new one
 *   has one full window to get going.
 * - `degraded`: the last finished run failed, was partial, or is held; or a
 *   schedule of the connection can never be armed (so it is not synced on it).
 * - `healthy`: neither.
 *
 * Stalled wins over degraded: a connection that keeps failing is both, and the
 * more urgent fact is that nothing has been synced for too long.
 */

export type Health = 'healthy' | 'degraded' | 'stalled';

/** For a connection without a schedule (connections.sync_interval_seconds is set from the schedule): a pull an hour, so stalled after two. */
export const DEFAULT_SYNC_INTERVAL_SECONDS = 3600;
/**
 * Until a window is configured: a day without a push. Entra provisions every
 * ~40 minutes, but Okta and JumpCloud push only on change, so a quiet
 * directory may legitimately stay silent for hours.
 */
export const DEFAULT_SCIM_PUSH_WINDOW_SECONDS = 86_400;

const DEGRADED_STATUSES = new Set(['failed', 'partial', 'held']);
const MAX_ERROR_IN_REASON = 200;

export interface HealthFacts {
  /** `pull`: synced by runs; `push`: fed by SCIM (the registry's `direction`, src/pull/providers). */
  mode: 'pull' | 'push';
  enabled: boolean;
  now: Date;
  createdAt: Date;
  /** The last finished run that was not a dry run. */
  lastRun: { status: string; finishedAt: Date; error: string | null } | null;
  lastSuccessAt: Date | null;
  /** null = DEFAULT_SYNC_INTERVAL_SECONDS */
  syncIntervalSeconds: number | null;
  /** The most recent use of any of the connection's SCIM tokens. */
  lastPushAt: Date | null;
  /** null = DEFAULT_SCIM_PUSH_WINDOW_SECONDS */
  pushWindowSeconds: number | null;
  /** Why a stored schedule cannot be armed (`fullSchedule "…" never fires …`), if one cannot. */
  scheduleProblem?: string | null;
}

export interface HealthVerdict {
  health: Health;
  /** One sentence for people: why, and since when. */
  reason: string;
}

/** `90` → `90s`, `7200` → `2h`, `129600` → `1.5d`: for reasons people read. */
export function formatSeconds(seconds: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ];
  for (const [unit, size] of units) {
    if (seconds >= size) return `${Number((seconds / size).toFixed(1))}${unit}`;
  }
  return `${Math.max(0, Math.round(seconds))}s`;
}

const since = (date: Date) => date.toISOString();

export function connectionHealth(facts: HealthFacts): HealthVerdict {
  const disabled = facts.enabled ? '' : ' (the connection is disabled)';
  const ageSeconds = (date: Date) => (facts.now.getTime() - date.getTime()) / 1000;

  if (facts.mode === 'push') {
    const window = facts.pushWindowSeconds ?? DEFAULT_SCIM_PUSH_WINDOW_SECONDS;
    const reference = facts.lastPushAt ?? facts.createdAt;
    if (ageSeconds(reference) > window) {
      const what = facts.lastPushAt ? `no SCIM push since ${since(facts.lastPushAt)}` : `no SCIM push since the connection was created (${since(facts.createdAt)})`;
      return { health: 'stalled', reason: `${what}; expected within ${formatSeconds(window)}${disabled}` };
    }
    return {
      health: 'healthy',
      reason: facts.lastPushAt ? `last SCIM push at ${since(facts.lastPushAt)}` : `waiting for a first SCIM push (within ${formatSeconds(window)} of creation)`,
    };
  }

  const interval = facts.syncIntervalSeconds ?? DEFAULT_SYNC_INTERVAL_SECONDS;
  const reference = facts.lastSuccessAt ?? facts.createdAt;
  if (ageSeconds(reference) > 2 * interval) {
    const what = facts.lastSuccessAt ? `no successful sync since ${since(facts.lastSuccessAt)}` : `no successful sync since the connection was created (${since(facts.createdAt)})`;
    return { health: 'stalled', reason: `${what}; expected every ${formatSeconds(interval)}${disabled}` };
  }
  if (facts.scheduleProblem) {
    return { health: 'degraded', reason: `${facts.scheduleProblem}: the connection is not synced on it until the schedule is fixed` };
  }
  if (facts.lastRun && DEGRADED_STATUSES.has(facts.lastRun.status)) {
    const error = facts.lastRun.error ? `: ${facts.lastRun.error.slice(0, MAX_ERROR_IN_REASON)}` : '';
    return { health: 'degraded', reason: `the last run (${since(facts.lastRun.finishedAt)}) was ${facts.lastRun.status}${error}` };
  }
  return {
    health: 'healthy',
    reason: facts.lastSuccessAt ? `last successful sync at ${since(facts.lastSuccessAt)}` : `waiting for a first sync (within ${formatSeconds(2 * interval)} of creation)`,
  };
}
