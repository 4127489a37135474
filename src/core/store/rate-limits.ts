/**
 * Rate-limit token buckets held in Postgres, so a limit holds across every
 * replica sharing the database: one upsert per request refills the bucket for
 * the time elapsed and takes a token if there is one.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';

export interface BucketTake {
  /** Tokens left after this request (fractional: the bucket refills continuously). */
  tokens: number;
  allowed: boolean;
}

/** Refill the bucket `key` (at most `burst` tokens, `perSecond` a second) and take one token if there is one. */
export async function takeBucketToken(db: Db, key: string, bucket: { burst: number; perSecond: number }): Promise<BucketTake> {
  const { burst, perSecond } = bucket;
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
  return { tokens: Number(row!.tokens), allowed: row!.allowed };
}
