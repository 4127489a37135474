/** A schedule's next fire time, as the console shows it next to the cron expression. */
import { describe, expect, it } from 'vitest';
import { nextRunAt } from '../../../src/core/connections/index.js';

describe('nextRunAt', () => {
  it('is the next minute a schedule fires, in UTC', () => {
    const before = Date.now();
    const next = new Date(nextRunAt('17 3 * * *')!);
    expect(next.getUTCHours()).toBe(3);
    expect(next.getUTCMinutes()).toBe(17);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime() - before).toBeLessThanOrEqual(86_400_000);
  });

  it('follows a frequent schedule within its interval', () => {
    const next = new Date(nextRunAt('*/5 * * * *')!);
    expect(next.getUTCMinutes() % 5).toBe(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000);
  });

  it('is null without a schedule, or for one that never fires or does not parse', () => {
    expect(nextRunAt(null)).toBeNull();
    expect(nextRunAt('')).toBeNull();
    expect(nextRunAt('not cron')).toBeNull();
    expect(nextRunAt('0 0 1 * 1#2')).toBeNull();
  });
});
