/**
 * Per-token rate limit as a token bucket held in Postgres (src/core/store/rate-limits.ts),
 * so the limit holds across every replica sharing the database.
 */
import type { ScimRateLimit as RateLimit } from '../../core/connections/index.js';
import { takeBucketToken, type Db } from '../../core/store/index.js';

export type { RateLimit };

export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

export async function takeToken(db: Db, key: string, limit: RateLimit): Promise<RateDecision> {
  if (limit.perMinute <= 0) return { allowed: true, remaining: Number.POSITIVE_INFINITY };
  const perSecond = limit.perMinute / 60;
  const burst = Math.max(1, limit.burst);
  const { tokens, allowed } = await takeBucketToken(db, key, { burst, perSecond });
  if (allowed) return { allowed: true, remaining: Math.floor(tokens) };
  // Whole seconds until one token has refilled (RFC 9110 Retry-After is an integer).
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) };
}
