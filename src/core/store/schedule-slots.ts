/**
 * Scheduled ticks and the claims on them (see schema `schedule_slots`). Each
 * claim is one atomic statement (an upsert, or an update of rows locked with
 * `for update skip locked`), so two replicas racing for a tick cannot both
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

export interface ScheduleTick {
  key: string;
  connectionId: string;
  dueAt: Date;
  /** The cron expression the tick came from. */
  schedule: string;
}

/**
 * Write upcoming ticks, unclaimed. Every replica writes the same ticks (same
 * keys, same due times); the first write wins and the others change nothing,
 * so a tick exists once whichever replicas are up.
 */
export async function insertScheduleTicks(db: Db, ticks: ScheduleTick[]): Promise<void> {
  for (let i = 0; i < ticks.length; i += 1000) {
    const batch = ticks.slice(i, i + 1000).map((t) => ({ key: t.key, c: t.connectionId, due: t.dueAt.toISOString(), schedule: t.schedule }));
    await queryRows(
      db,
      sql`insert into schedule_slots (key, connection_id, owner, claimed_at, lease_expires_at, attempts, due_at, schedule)
          select x.key, x.c::uuid, null, null, null, 0, x.due, x.schedule
          from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb) as x(key text, c text, due timestamptz, schedule text)
          where exists (select 1 from connections c where c.id = x.c::uuid)
          on conflict (key) do nothing`,
    );
  }
}

export interface ClaimedTick {
  key: string;
  connectionId: string;
  dueAt: Date;
  attempts: number;
}

/**
 * Claim up to `limit` due ticks for `owner`, oldest due first: ticks nobody
 * claimed yet (whose connection is still enabled on the same schedule), and
 * claims that lapsed unfinished (their replica died). A connection with a
 * live claim is passed over (its run is still going). A replica asks for as
 * many as it has free run slots, so it never holds a tick it cannot start.
 */
export async function claimDueScheduleSlots(db: Db, owner: string, ttlMs: number, limit: number): Promise<ClaimedTick[]> {
  if (limit <= 0) return [];
  const rows = await queryRows<{ key: string; connectionId: string; dueMs: number; attempts: number }>(
    db,
    sql`with picked as (
          select s.key from schedule_slots s
          where s.completed_at is null and s.due_at <= now()
            and (s.owner is null or s.lease_expires_at < now())
            and (s.owner is not null or exists (
              select 1 from connections c where c.id = s.connection_id and c.enabled
                and s.schedule = case when split_part(s.key, ':', 2) = 'full' then c.full_schedule else c.schedule end))
            and not exists (
              select 1 from schedule_slots o where o.connection_id = s.connection_id and o.completed_at is null
                and o.key <> s.key and o.owner is not null and o.lease_expires_at >= now())
          order by s.due_at
          limit ${limit}
          for update of s skip locked
        )
        update schedule_slots s set owner = ${owner}, claimed_at = now(), attempts = s.attempts + 1,
          lease_expires_at = now() + ${ttlMs}::int * interval '1 millisecond'
        from picked where s.key = picked.key
        returning s.key, s.connection_id as "connectionId", (extract(epoch from s.due_at) * 1000)::float8 as "dueMs", s.attempts`,
  );
  return rows.map((r) => ({ key: r.key, connectionId: r.connectionId, dueAt: new Date(Number(r.dueMs)), attempts: Number(r.attempts) }));
}

/** Give back a claim not started (its connection had another tick in the same batch); the tick stays due. */
export async function releaseScheduleSlot(db: Db, key: string, owner: string): Promise<void> {
  await queryRows(
    db,
    sql`update schedule_slots set owner = null, claimed_at = null, lease_expires_at = null, attempts = attempts - 1
        where key = ${key} and owner = ${owner} and completed_at is null`,
  );
}

/**
 * The run of `key` also serves the other due, unclaimed ticks of the same
 * connection and mode (a connection that fell behind runs once, not once per
 * missed tick): mark them done, not run (`attempts` 0).
 */
export async function supersedeScheduleSlots(db: Db, key: string, owner: string): Promise<number> {
  const prefix = key.slice(0, key.indexOf(':', 37) + 1);
  const rows = await queryRows<{ key: string }>(
    db,
    sql`update schedule_slots s set owner = ${owner}, claimed_at = now(), completed_at = now()
        where s.connection_id = (select connection_id from schedule_slots where key = ${key})
          and s.completed_at is null and s.owner is null and s.due_at <= now() and s.key <> ${key}
          and starts_with(s.key, ${prefix})
        returning s.key`,
  );
  return rows.length;
}

/**
 * Completed claims are only needed while a tick could still be raced for; keep a week for inspection.
 * Unclaimed ticks whose connection was disabled or rescheduled since are dropped (they are never claimed).
 */
export async function pruneScheduleSlots(db: Db): Promise<void> {
  await queryRows(db, sql`delete from schedule_slots where completed_at < now() - interval '7 days'`);
  await queryRows(
    db,
    sql`delete from schedule_slots s where s.completed_at is null and s.owner is null and not exists (
          select 1 from connections c where c.id = s.connection_id and c.enabled
            and s.schedule = case when split_part(s.key, ':', 2) = 'full' then c.full_schedule else c.schedule end)`,
  );
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
