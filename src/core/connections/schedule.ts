import { createTask, validate } from 'node-cron';
import { ValidationError } from '../errors/index.js';

/**
 * A schedule must fire within this horizon. node-cron accepts expressions
 * that can never match (`0 0 1 * 1#2`: the 1st of a month that is also its
 * second Monday) and only fails when a task is started; a yearly run on a
 * weekday-pinned date still fits in five years.
 */
const SCHEDULE_HORIZON_MS = 5 * 366 * 86_400_000;

/**
 * Why node-cron could not arm this expression, or undefined if it can: the
 * next run is computed the way `task.start()` does, on a task that is built
 * but never started. Pure, so the scheduler, health and validation agree.
 */
export function scheduleProblem(expression: string, now?: Date): string | undefined {
  if (now) return probeSchedule(expression, now);
  // Reports ask for every connection's schedules on each listing: an expression's answer is the
  // same each time (building a node-cron task costs ~0.2 ms, a never-firing one ~4 ms), so keep it.
  const known = answers.get(expression);
  if (known !== undefined) return known ?? undefined;
  const answer = probeSchedule(expression, new Date());
  if (answers.size >= MAX_REMEMBERED) answers.clear();
  answers.set(expression, answer ?? null);
  return answer;
}

const MAX_REMEMBERED = 10_000;
const answers = new Map<string, string | null>();

function probeSchedule(expression: string, now: Date): string | undefined {
  const trimmed = expression.trim();
  if (!trimmed) return 'is empty';
  let probe;
  try {
    if (!validate(trimmed)) return 'is not a valid cron expression (e.g. "*/30 * * * *")';
    probe = createTask(trimmed, () => {}, { timezone: 'UTC' });
  } catch (err) {
    // node-cron refuses some impossible dates itself ("31 2 is an impossible day of month").
    return `is not a schedule node-cron can run (${(err as Error).message})`;
  }
  try {
    const [next] = probe.getNextRuns(1);
    if (!next || next.getTime() - now.getTime() > SCHEDULE_HORIZON_MS) return 'never fires (no run within the next five years)';
    return undefined;
  } catch {
    return 'never fires (no date matches all of its fields)';
  } finally {
    void probe.destroy();
  }
}

/**
 * When a schedule fires next (UTC, as the scheduler arms it), as ISO; null for
 * no schedule or one node-cron cannot arm. The console shows it next to the
 * expression, so an admin reads a date rather than a cron line.
 */
export function nextRunAt(expression: string | null): string | null {
  if (!expression || scheduleProblem(expression)) return null;
  const probe = createTask(expression.trim(), () => {}, { timezone: 'UTC' });
  try {
    return probe.getNextRuns(1)[0]?.toISOString() ?? null;
  } finally {
    void probe.destroy();
  }
}

/** A sync schedule is a cron expression node-cron accepts (5 or 6 fields) and that fires; `field` names it in the error. */
export function parseSchedule(expression: string, field = 'schedule'): string {
  const problem = scheduleProblem(expression);
  if (problem) throw new ValidationError(`${field} "${expression}" ${problem}`, { details: { field } });
  return expression.trim();
}

/**
 * The longest wait between two runs of a schedule, in seconds, over its next
 * 50 runs (UTC): what "no successful run within twice its interval" measures
 * a stalled connection against. A weekday schedule counts its weekend gap.
 */
export function scheduleIntervalSeconds(expression: string): number {
  const probe = createTask(expression, () => {}, { timezone: 'UTC' });
  try {
    const runs = probe.getNextRuns(50).map((d) => d.getTime());
    let longest = 0;
    for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]! - runs[i - 1]!);
    return Math.max(1, Math.round(longest / 1000));
  } finally {
    void probe.destroy();
  }
}

/** `--deletion-threshold 50` (users) or `10%` (of the connection's users). */
export function parseDeletionThreshold(value: string | number): { count: number | null; percent: number | null } {
  const text = String(value).trim();
  const m = /^(\d+)(%?)$/.exec(text);
  if (!m) throw new ValidationError(`deletion threshold "${text}" must be a number of users (50) or a percent (10%)`);
  const n = Number(m[1]);
  if (m[2]) {
    if (n > 100) throw new ValidationError(`deletion threshold "${text}" must be at most 100%`);
    return { count: null, percent: n };
  }
  // The count is stored in an int column: anything larger would fail in the database, not here.
  if (n > MAX_DELETION_THRESHOLD) throw new ValidationError(`deletion threshold "${text}" must be at most ${MAX_DELETION_THRESHOLD} users`);
  return { count: n, percent: null };
}

/** Postgres `integer`'s largest value: the column that holds a threshold count. */
export const MAX_DELETION_THRESHOLD = 2_147_483_647;

/** A per-token SCIM rate limit: sustained requests per minute (0 = off) and burst. */
export interface ScimRateLimit {
  perMinute: number;
  burst: number;
}

/** 60 requests a minute with a burst of 20: above what Entra's and Okta's provisioning send, below abuse. */
export const DEFAULT_SCIM_RATE_LIMIT: ScimRateLimit = { perMinute: 60, burst: 20 };

/** `90m`, `24h`, `2d` (or plain seconds) as seconds: how long a SCIM connection may stay silent before it is stalled. */
export function parseWindow(value: string): number {
  const m = /^(\d+)\s*([smhd]?)$/i.exec(value.trim());
  const seconds = m ? Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2]!.toLowerCase() as '' | 's' | 'm' | 'h' | 'd'] : NaN;
  if (!(seconds > 0) || seconds > 365 * 86_400) {
    throw new ValidationError(`window "${value}" must be a duration such as 90m, 24h or 2d (at most 365d)`);
  }
  return seconds;
}
