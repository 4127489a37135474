/**
 * Slows down before Okta's rate limit instead of after it. Every Okta
 * response carries X-Rate-Limit-Limit / -Remaining / -Reset (epoch seconds)
 * for the bucket of the endpoint it answered
 * (https://developer.okta.com/docs/reference/rl-best-practices/). When the
 * remaining budget of a bucket falls under the reserve, the next request to
 * that bucket waits for the reset. The budget is also decremented locally
 * when a request leaves, so concurrent requests do not all spend the last
 * units on the strength of one stale header.
 */

interface Bucket {
  limit: number;
  remaining: number;
  reset: number;
  /** Local clock time at which the window resets. */
  resetAt: number;
}

export interface HeaderReader {
  get(name: string): string | null;
}

/** Okta's rate-limit buckets are per endpoint: ids are folded out of the path. */
export function bucketOf(url: string): string {
  const path = new URL(url).pathname;
  return path.replace(/^(\/api\/v1\/(?:users|groups))\/[^/]+/, '$1/{id}');
}

export class RateGate {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly reserve: number,
    private readonly onWait: (bucket: string, ms: number) => void,
    private readonly signal?: AbortSignal,
  ) {}

  /** Call before a request leaves: waits for the reset when the budget is nearly spent. */
  async acquire(url: string): Promise<void> {
    const key = bucketOf(url);
    const b = this.buckets.get(key);
    if (!b) return;
    const keep = Math.max(1, Math.ceil(b.limit * this.reserve));
    const wait = b.resetAt - Date.now();
    if (b.remaining < keep && wait > 0) {
      this.onWait(key, wait);
      await sleep(wait, this.signal);
      // A new window: its budget is unknown until the next response says it.
      this.buckets.delete(key);
      return;
    }
    b.remaining--;
  }

  /** Call with every response's headers. */
  observe(url: string, headers: HeaderReader): void {
    const limit = Number(headers.get('x-rate-limit-limit'));
    const remaining = Number(headers.get('x-rate-limit-remaining'));
    const reset = Number(headers.get('x-rate-limit-reset'));
    if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset) || limit <= 0 || reset <= 0) return;
    // Reset is in the server's clock: measure it from the response's Date, as the SDK does.
    // Date is whole seconds, so this errs on the late side (never wakes early).
    const date = Date.parse(headers.get('date') ?? '');
    const resetAt = Date.now() + (Number.isFinite(date) ? reset * 1000 - date : reset * 1000 - Date.now()) + 50;
    const key = bucketOf(url);
    const b = this.buckets.get(key);
    // Same window: keep the lower figure (requests still in flight were already counted locally).
    if (b && b.reset === reset) b.remaining = Math.min(b.remaining, remaining);
    else this.buckets.set(key, { limit, remaining, reset, resetAt });
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
