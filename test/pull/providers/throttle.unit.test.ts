/** The per-run throttle budget (pure). */
import { describe, expect, it } from 'vitest';
import { retryAfterMs, ThrottleBudget, throttleFloorMs } from '../../../src/pull/providers/throttle.js';

describe('ThrottleBudget', () => {
  it('grants waits until the next one would pass the budget, then refuses without counting it', () => {
    const budget = new ThrottleBudget(1000);
    expect(budget.take(400, 0)).toBe(true);
    expect(budget.take(400, 400)).toBe(true);
    expect(budget.take(300, 800)).toBe(false);
    expect(budget.remainingMs).toBe(200);
    expect(budget.take(200, 800)).toBe(true);
    expect(budget.remainingMs).toBe(0);
  });

  it('counts waits that overlap (concurrent requests throttled together) once, as wall time', () => {
    const budget = new ThrottleBudget(1000);
    expect(budget.take(500, 0)).toBe(true);
    expect(budget.take(500, 100)).toBe(true); // 0–600 so far: 600 ms
    expect(budget.remainingMs).toBe(400);
  });

  it('reads throttleBudgetSeconds from settings and falls back to five minutes', () => {
    expect(ThrottleBudget.fromSettings({ throttleBudgetSeconds: 2 }).totalMs).toBe(2000);
    expect(ThrottleBudget.fromSettings({}).totalMs).toBe(300_000);
    expect(ThrottleBudget.fromSettings({ throttleBudgetSeconds: -5 }).totalMs).toBe(300_000);
  });

  it('gives a throttle that asks no wait a doubling floor, at most 30 s', () => {
    expect([0, 1, 2, 3].map((a) => throttleFloorMs(100, a))).toEqual([100, 200, 400, 800]);
    expect(throttleFloorMs(1000, 40)).toBe(30_000);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates; an absent, past or unreadable one asks for nothing', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBe(0);
  });
});
