/**
 * Per-token rate limit as a token bucket held in Postgres, so the limit holds
 * across every replica sharing the database: one upsert per request refills
 * the bucket for the time elapsed and takes a token if there is one.
 */
import { sql } from 'drizzle-orm';
import type { ScimRateLimit as RateLimit } from '../connections/index.js';
import { queryRows, type Db } from '../store/index.js';

export type { RateLimit };

export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

export async function takeToken(db: Db, key: string, limit: RateLimit): Promise<RateDecision> {
  if (limit.perMinute <= 0) return { allowed: true, remaining: Number.POSITIVE_INFINITY };
  const perSecond = limit.perMinute / 60;
  const burst = Math.max(1, limit.burst);
  const [row] = await queryRows<{ tokens: number; allowed: boolean }>(
    db,
    sql`insert into rate_limit_buckets as b (key, tokens, allowed, refreshed_at)
        values (${key}, ${burst - 1}::float8, true, now())
        on conflict (key) do update set
          tokens = case when least(${burst}::float8, b.tokens + extract(epoch from now() - b.refreshed_at) * ${perSecond}::float8) >= 1
                        then least(${burst}::float8, b.tokens + extract(epoch from now() - b.refreshed_at) * ${perSecond}::float8) - 1
                        else least(${burst}::float8, b.tokens + extract(epoch from now() - b.refreshed_at) * ${perSecond}::float8) end,
          allowed = least(${burst}::float8, b.tokens + extract(epoch from now() - b.refreshed_at) * ${perSecond}::float8) >= 1,
          refreshed_at = now()
        returning tokens, allowed`,
  );
  const tokens = Number(row!.tokens);
  if (row!.allowed) return { allowed: true, remaining: Math.floor(tokens) };
  // Whole seconds until one token has refilled (RFC 9110 Retry-After is an integer).
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) };
}
