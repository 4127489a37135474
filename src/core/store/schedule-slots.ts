/**
 * Claims on scheduled ticks (see schema `schedule_slots`). Each statement is
 * one atomic upsert or update, so two replicas racing for a tick cannot both
 * win it, on Postgres or on the embedded database alike.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { queryRows } from './db.js';

/**
 * Claim `key` for `owner` for `ttlMs`. Wins when nobody claimed it yet, or
 * when the last claim lapsed without completing (its replica died).
 */
export async function claimScheduleSlot(db: Db, key: string, connectionId: string, owner: string, ttlMs: number): Promise<boolean> {
  const rows = await queryRows<{ key: string }>(
    db,
    sql`insert into schedule_slots as s (key, connection_id, owner, lease_expires_at)
        values (${key}, ${connectionId}::uuid, ${owner}, now() + ${ttlMs}::int * interval '1 millisecond')
        on conflict (key) do update set owner = excluded.owner, lease_expires_at = excluded.lease_expires_at,
          claimed_at = now(), attempts = s.attempts + 1
        where s.completed_at is null and s.lease_expires_at < now()
        returning s.key`,
  );
  return rows.length === 1;
}

/** Extend a claim still held by `owner`; false when it was lost (lapsed and taken over). */
export async function renewScheduleSlot(db: Db, key: string, owner: string, ttlMs: number): Promise<boolean> {
  const rows = await queryRows<{ key: string }>(
    db,
    sql`update schedule_slots set lease_expires_at = now() + ${ttlMs}::int * interval '1 millisecond'
        where key = ${key} and owner = ${owner} and completed_at is null returning key`,
  );
  return rows.length === 1;
}

export async function completeScheduleSlot(db: Db, key: string, owner: string): Promise<void> {
  await queryRows(db, sql`update schedule_slots set completed_at = now() where key = ${key} and owner = ${owner} and completed_at is null`);
}

/** Claims that lapsed without completing: ticks whose replica died mid-run. */
export async function listLapsedScheduleSlots(db: Db, limit = 20): Promise<Array<{ key: string; connectionId: string }>> {
  return queryRows<{ key: string; connectionId: string }>(
    db,
    sql`select key, connection_id as "connectionId" from schedule_slots
        where completed_at is null and lease_expires_at < now() order by lease_expires_at limit ${limit}`,
  );
}

/** Completed claims are only needed while a tick could still be raced for; keep a week for inspection. */
export async function pruneScheduleSlots(db: Db): Promise<void> {
  await queryRows(db, sql`delete from schedule_slots where completed_at < now() - interval '7 days'`);
}

/** The connection's most recent finished runs, newest first (for backoff after failures). */
export async function recentRunOutcomes(db: Db, connectionId: string, limit = 20): Promise<Array<{ status: string; finishedAt: Date }>> {
  const rows = await queryRows<{ status: string; finished_ms: number }>(
    db,
    sql`select status, (extract(epoch from finished_at) * 1000)::float8 as finished_ms from sync_runs
        where connection_id = ${connectionId}::uuid and finished_at is not null and mode <> 'dry-run'
        order by started_at desc limit ${limit}`,
  );
  return rows.map((r) => ({ status: r.status, finishedAt: new Date(Number(r.finished_ms)) }));
}
