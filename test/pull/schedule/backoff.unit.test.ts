import { describe, expect, it } from 'vitest';
import { backoffUntil, consecutiveFailures, type RunOutcome } from '../../../src/pull/schedule/index.js';

const at = (iso: string) => new Date(iso);
const run = (status: string, finishedAt: string): RunOutcome => ({ status, finishedAt: at(finishedAt) });
const policy = { baseMs: 60_000, capMs: 10 * 60_000 };

describe('backoff after failed runs', () => {
  it('counts only the failures since the last run that did not fail', () => {
    expect(consecutiveFailures([])).toBe(0);
    expect(consecutiveFailures([run('failed', '2026-01-01T10:02:00Z'), run('failed', '2026-01-01T10:01:00Z'), run('succeeded', '2026-01-01T10:00:00Z'), run('failed', '2026-01-01T09:00:00Z')])).toBe(2);
    expect(consecutiveFailures([run('held', '2026-01-01T10:02:00Z'), run('failed', '2026-01-01T10:01:00Z')])).toBe(0);
  });

  it('doubles the wait with each failure, from the last failure, up to the cap', () => {
    const failures = (n: number) => Array.from({ length: n }, () => run('failed', '2026-01-01T10:00:00Z'));
    const now = at('2026-01-01T10:00:30Z');
    expect(backoffUntil(failures(1), now, policy)).toEqual(at('2026-01-01T10:01:00Z'));
    expect(backoffUntil(failures(2), now, policy)).toEqual(at('2026-01-01T10:02:00Z'));
    expect(backoffUntil(failures(3), now, policy)).toEqual(at('2026-01-01T10:04:00Z'));
    expect(backoffUntil(failures(40), now, policy)).toEqual(at('2026-01-01T10:10:00Z'));
  });

  it('lets the run go once the wait is over, or when the last run succeeded', () => {
    expect(backoffUntil([run('failed', '2026-01-01T10:00:00Z')], at('2026-01-01T10:01:01Z'), policy)).toBeUndefined();
    expect(backoffUntil([run('succeeded', '2026-01-01T10:00:00Z')], at('2026-01-01T10:00:01Z'), policy)).toBeUndefined();
  });
});

describe('scheduleIntervalSeconds', () => {
  it('is the longest gap between runs, weekends included', async () => {
    const { scheduleIntervalSeconds } = await import('../../../src/core/connections/index.js');
    expect(scheduleIntervalSeconds('*/15 * * * *')).toBe(900);
    expect(scheduleIntervalSeconds('0 3 * * *')).toBe(86_400);
    expect(scheduleIntervalSeconds('0 9 * * 1-5')).toBe(3 * 86_400);
  });
});
