/**
 * Slows down before Okta's rate limit instead of after it. Every Okta
 * response carries X-Rate-Limit-Limit / -Remaining / -Reset (epoch seconds)
 * for the bucket of the endpoint it answered
 * (https://developer.okta.com/docs/reference/rl-best-practices/). When the
 * remaining budget of a bucket, less the requests still in flight, falls
 * under the reserve, the next request to that bucket waits for the reset:
 * concurrent requests do not all spend the last units on one stale header.
 */
import { sleep } from '../throttle.js';

interface Bucket {
  /** Unknown (undefined) until a response of the current window says. */
  window?: { limit: number; remaining: number; reset: number; resetAt: number };
  /** Requests sent and not yet answered: the last header does not count them yet. */
  inFlight: number;
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

  private bucket(url: string): [string, Bucket] {
    const key = bucketOf(url);
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { inFlight: 0 }));
    return [key, b];
  }

  /** Call before a request leaves: waits for the reset when the budget is nearly spent. */
  async acquire(url: string): Promise<void> {
    const [key, b] = this.bucket(url);
    const w = b.window;
    if (w) {
      const keep = Math.max(1, Math.ceil(w.limit * this.reserve));
      const wait = w.resetAt - Date.now();
      if (w.remaining - b.inFlight < keep && wait > 0) {
        this.onWait(key, wait);
        await sleep(wait, this.signal);
        // A new window: its budget is unknown until the next response says it.
        if (b.window === w) b.window = undefined;
      }
    }
    b.inFlight++;
  }

  /** Call when a request failed without a response. */
  release(url: string): void {
    const [, b] = this.bucket(url);
    b.inFlight = Math.max(0, b.inFlight - 1);
  }

  /** Call with every response's headers. */
  observe(url: string, headers: HeaderReader): void {
    const [, b] = this.bucket(url);
    b.inFlight = Math.max(0, b.inFlight - 1);
    const limit = Number(headers.get('x-rate-limit-limit'));
    const remaining = Number(headers.get('x-rate-limit-remaining'));
    const reset = Number(headers.get('x-rate-limit-reset'));
    if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset) || limit <= 0 || reset <= 0) return;
    // Reset is in the server's clock: measure it from the response's Date, as the SDK does.
    // Date is whole seconds, so this errs on the late side (never wakes early).
    const date = Date.parse(headers.get('date') ?? '');
    const resetAt = Date.now() + (Number.isFinite(date) ? reset * 1000 - date : reset * 1000 - Date.now()) + 50;
    // Answers can arrive out of order: within one window the lowest figure is the truest.
    if (b.window && b.window.reset === reset) b.window.remaining = Math.min(b.window.remaining, remaining);
    else b.window = { limit, remaining, reset, resetAt };
  }
}

