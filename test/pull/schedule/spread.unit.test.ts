import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { spreadFraction, tickDueAt } from '../../../src/pull/schedule/index.js';

const at = (iso: string) => new Date(iso);

describe('spread of a tick within its period', () => {
  it('gives a connection the same due time for the same tick, every time', () => {
    const id = randomUUID();
    const nominal = at('2026-01-01T10:15:00Z');
    const next = at('2026-01-01T10:30:00Z');
    expect(tickDueAt(id, 'delta', nominal, next).getTime()).toBe(tickDueAt(id, 'delta', new Date(nominal), new Date(next)).getTime());
    expect(spreadFraction(id, 'delta')).toBe(spreadFraction(id, 'delta'));
    // The same offset into every period of the schedule.
    const later = tickDueAt(id, 'delta', at('2026-01-01T10:30:00Z'), at('2026-01-01T10:45:00Z'));
    expect(later.getTime() - next.getTime()).toBe(tickDueAt(id, 'delta', nominal, next).getTime() - nominal.getTime());
  });

  it('keeps every due time inside its period, spread evenly over it', () => {
    const nominal = at('2026-01-01T10:00:00Z');
    const next = at('2026-01-01T10:15:00Z');
    const buckets = new Array<number>(15).fill(0);
    for (let i = 0; i < 5000; i++) {
      const due = tickDueAt(randomUUID(), 'delta', nominal, next).getTime();
      expect(due).toBeGreaterThanOrEqual(nominal.getTime());
      expect(due).toBeLessThan(next.getTime());
      buckets[Math.floor((due - nominal.getTime()) / 60_000)]!++;
    }
    // 5,000 connections over 15 minutes: about 333 a minute, none of the minutes empty or crowded.
    for (const n of buckets) {
      expect(n).toBeGreaterThan(250);
      expect(n).toBeLessThan(420);
    }
  });

  it('spreads at most maxSpreadMs, and not at all with 0', () => {
    const id = randomUUID();
    const nominal = at('2026-01-01T03:00:00Z');
    const nextDay = at('2026-01-02T03:00:00Z');
    const due = tickDueAt(id, 'full', nominal, nextDay);
    expect(due.getTime() - nominal.getTime()).toBeLessThan(15 * 60_000);
    expect(tickDueAt(id, 'full', nominal, nextDay, 60_000).getTime() - nominal.getTime()).toBeLessThan(60_000);
    expect(tickDueAt(id, 'full', nominal, nextDay, 0).getTime()).toBe(nominal.getTime());
  });

  it('spreads a connection’s delta and full syncs independently', () => {
    const fractions = Array.from({ length: 50 }, () => randomUUID()).map((id) => spreadFraction(id, 'delta') - spreadFraction(id, 'full'));
    expect(fractions.some((d) => d !== 0)).toBe(true);
  });
});
