/**
 * Backoff for a failing connection: each consecutive failed run doubles the
 * wait before the next scheduled run may start, up to a cap. The schedule
 * keeps ticking (and the skips are logged and reported); a success resets it.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 60_000, capMs: 60 * 60_000 };

export interface RunOutcome {
  status: string;
  finishedAt: Date;
}

/** Consecutive `failed` runs at the head of `outcomes` (newest first). */
export function consecutiveFailures(outcomes: RunOutcome[]): number {
  let n = 0;
  for (const o of outcomes) {
    if (o.status !== 'failed') break;
    n++;
  }
  return n;
}

/** The time before which a scheduled run should not start, or undefined when it may run now. */
export function backoffUntil(outcomes: RunOutcome[], now: Date, policy: BackoffPolicy = DEFAULT_BACKOFF): Date | undefined {
  const failures = consecutiveFailures(outcomes);
  if (failures === 0) return undefined;
  const wait = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(failures - 1, 30));
  const until = new Date(outcomes[0]!.finishedAt.getTime() + wait);
  return until > now ? until : undefined;
}
