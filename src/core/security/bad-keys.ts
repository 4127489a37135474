/**
 * Requests with a bad key (unknown, revoked or expired SCIM token or API
 * key, or none) are throttled per client address: after a burst of them the
 * address is answered 429 before its key is even looked up, until the
 * budget refills. Keys cannot then be tried at full speed, and a flood of
 * guesses costs no database work.
 *
 * Why in process, not in Postgres like the per-token SCIM limit: that limit
 * guards a known token's fair share, while this one sees every stranger. A
 * bucket row per bad attempt would let anyone drive a database write per
 * request, the very load the limit exists to shed. In process the check is a
 * map lookup; the cost is that each replica keeps its own count, so N
 * replicas allow N times the rate, still far from full speed. The map is
 * bounded (oldest address forgotten first) and an address whose budget is
 * full again is dropped, so it holds only addresses misbehaving right now.
 *
 * The address is the socket's (fastify's `request.ip`). Behind a reverse
 * proxy every client shares the proxy's address, so one client's guessing
 * makes the others wait too; limit bad requests at the proxy as well there.
 */

export interface BadKeyLimit {
  /** Bad keys an address may present in a row before it must wait. */
  burst: number;
  /** How fast that allowance comes back. */
  perMinute: number;
}

/** Ten tries, then one every six seconds: an IdP with a stale token retries far slower than that. */
export const DEFAULT_BAD_KEY_LIMIT: BadKeyLimit = { burst: 10, perMinute: 10 };

interface Bucket {
  tries: number;
  at: number;
}

export class BadKeyLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxAddresses: number;

  constructor(
    private readonly limit: BadKeyLimit = DEFAULT_BAD_KEY_LIMIT,
    options: { now?: () => number; maxAddresses?: number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Whole seconds before this address may present a key again; 0 = now. */
  retryAfterSeconds(address: string): number {
    const bucket = this.refilled(address);
    if (!bucket || bucket.tries >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - bucket.tries) / this.limit.perMinute) * 60));
  }

  /** The address presented a bad key: one try spent. */
  failed(address: string): void {
    const bucket = this.refilled(address);
    if (bucket) {
      bucket.tries = Math.max(0, bucket.tries - 1);
      return;
    }
    if (this.buckets.size >= this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(address, { tries: this.limit.burst - 1, at: this.now() });
  }

  /** The address's bucket brought up to date, or undefined when it is full (and so forgotten). */
  private refilled(address: string): Bucket | undefined {
    const bucket = this.buckets.get(address);
    if (!bucket) return undefined;
    const now = this.now();
    bucket.tries = Math.min(this.limit.burst, bucket.tries + ((now - bucket.at) / 60_000) * this.limit.perMinute);
    bucket.at = now;
    if (bucket.tries >= this.limit.burst) {
      this.buckets.delete(address);
      return undefined;
    }
    return bucket;
  }
}
