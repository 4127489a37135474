/**
 * How long one run may spend waiting out an IdP's throttling (429,
 * Retry-After, Okta's X-Rate-Limit-Reset, Google's 403 rateLimitExceeded)
 * before it gives up and the run is reported partial or failed.
 *
 * A count of retries is the wrong bound: a burst of four 429s on one page
 * would end a run that a few more seconds would have finished, while a
 * server asking for long pauses could hold a run for hours. So each provider
 * retries a throttled request for as long as the asked wait fits in the
 * run's remaining budget (`throttleBudgetSeconds` in the connection's
 * settings, default 300). The budget counts wall time spent waiting: waits
 * that overlap (concurrent member listings throttled together) count once.
 * A throttle asking for no wait at all still costs an exponential floor
 * (`floorMs`, doubling per attempt), so an IdP that answers 429 with
 * Retry-After: 0 for ever exhausts the budget instead of spinning.
 */
import { z } from 'zod';

export const DEFAULT_THROTTLE_BUDGET_SECONDS = 300;

/**
 * Zod schema of the setting, shared by the connection settings and each
 * provider's parser. At most 6 minutes: a run held longer than that by one
 * IdP's throttling is better reported partial and retried on the next tick.
 * (The sync lease does not bound it: a heartbeat renews the lease while the
 * run waits, see src/pull/reconcile/lease.ts.)
 */
export const MAX_THROTTLE_BUDGET_SECONDS = 360;
export const throttleBudgetSeconds = () => z.number().min(0).max(MAX_THROTTLE_BUDGET_SECONDS);

/** HTTP statuses a read is retried on a few times: the server's trouble, not the request's. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3); 0 when absent, past or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : 0;
}

/** Floors of the wait for a throttle that asks for none, by attempt: base·2^attempt, at most 30 s. */
export function throttleFloorMs(baseMs: number, attempt: number): number {
  return Math.min(30_000, baseMs * 2 ** Math.min(attempt, 20));
}

export class ThrottleBudget {
  private spentMs = 0;
  /** When the latest wait granted ends: a wait starting before then overlaps it. */
  private waitingUntil = 0;

  constructor(readonly totalMs: number) {}

  /** The budget a connection's settings ask for (`throttleBudgetSeconds`), or the default. */
  static fromSettings(settings: Record<string, unknown>): ThrottleBudget {
    const parsed = throttleBudgetSeconds().safeParse(settings.throttleBudgetSeconds);
    return new ThrottleBudget((parsed.success ? parsed.data : DEFAULT_THROTTLE_BUDGET_SECONDS) * 1000);
  }

  get remainingMs(): number {
    return Math.max(0, this.totalMs - this.spentMs);
  }

  /**
   * Ask to wait `ms` for a throttle. True (the wait is counted) when the
   * run's budget covers it; false when it does not, and the caller gives up.
   */
  take(ms: number, now = Date.now()): boolean {
    const end = now + Math.max(0, ms);
    const added = Math.max(0, end - Math.max(now, this.waitingUntil));
    if (this.spentMs + added > this.totalMs) return false;
    this.spentMs += added;
    this.waitingUntil = Math.max(this.waitingUntil, end);
    return true;
  }
}

/** Wait `ms`, or reject with the signal's reason as soon as it aborts (every provider's retry waits this way). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
