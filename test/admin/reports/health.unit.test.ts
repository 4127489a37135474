import { describe, expect, it } from 'vitest';
import {
  connectionHealth,
  DEFAULT_SCIM_PUSH_WINDOW_SECONDS,
  DEFAULT_SYNC_INTERVAL_SECONDS,
  formatSeconds,
  type HealthFacts,
} from '../../../src/admin/reports/index.js';

const NOW = new Date('2026-11-23T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const HOUR = 3600;

function pull(overrides: Partial<HealthFacts> = {}): HealthFacts {
  return {
    mode: 'pull',
    enabled: true,
    now: NOW,
    createdAt: ago(30 * 86_400),
    lastRun: { status: 'succeeded', finishedAt: ago(600), error: null },
    lastSuccessAt: ago(600),
    syncIntervalSeconds: HOUR,
    lastPushAt: null,
    pushWindowSeconds: null,
    ...overrides,
  };
}

const push = (overrides: Partial<HealthFacts> = {}) => pull({ mode: 'push', lastRun: null, lastSuccessAt: null, ...overrides });

describe('health of a pull connection', () => {
  it('is healthy when the last run succeeded within its interval', () => {
    expect(connectionHealth(pull())).toEqual({ health: 'healthy', reason: `last successful sync at ${ago(600).toISOString()}` });
  });

  it.each(['failed', 'partial', 'held'])('is degraded when the last run was %s, and says why', (status) => {
    const verdict = connectionHealth(pull({ lastRun: { status, finishedAt: ago(60), error: 'Graph answered 503' } }));
    expect(verdict.health).toBe('degraded');
    expect(verdict.reason).toContain(`was ${status}: Graph answered 503`);
  });

  it('stays healthy just inside twice the interval and is stalled just past it', () => {
    const inside = pull({ lastSuccessAt: ago(2 * HOUR - 1), lastRun: { status: 'succeeded', finishedAt: ago(2 * HOUR - 1), error: null } });
    expect(connectionHealth(inside).health).toBe('healthy');
    const past = pull({ lastSuccessAt: ago(2 * HOUR + 1), lastRun: { status: 'succeeded', finishedAt: ago(2 * HOUR + 1), error: null } });
    expect(connectionHealth(past)).toEqual({
      health: 'stalled',
      reason: `no successful sync since ${ago(2 * HOUR + 1).toISOString()}; expected every 1h`,
    });
  });

  it('is degraded, saying which schedule, when a stored schedule can never be armed', () => {
    const verdict = connectionHealth(pull({ scheduleProblem: 'fullSchedule "0 0 1 * 1#2" never fires (no date matches all of its fields)' }));
    expect(verdict.health).toBe('degraded');
    expect(verdict.reason).toContain('fullSchedule "0 0 1 * 1#2" never fires');
  });

  it('is stalled rather than degraded when it keeps failing for longer than twice its interval', () => {
    const verdict = connectionHealth(pull({ lastSuccessAt: ago(5 * HOUR), lastRun: { status: 'failed', finishedAt: ago(60), error: 'boom' } }));
    expect(verdict.health).toBe('stalled');
  });

  it('uses the default interval when the connection has none', () => {
    const edge = DEFAULT_SYNC_INTERVAL_SECONDS * 2;
    expect(connectionHealth(pull({ syncIntervalSeconds: null, lastSuccessAt: ago(edge - 5) })).health).toBe('healthy');
    expect(connectionHealth(pull({ syncIntervalSeconds: null, lastSuccessAt: ago(edge + 5) })).health).toBe('stalled');
  });

  it('gives a new connection that never ran one window from its creation', () => {
    const fresh = pull({ createdAt: ago(60), lastRun: null, lastSuccessAt: null });
    expect(connectionHealth(fresh)).toEqual({ health: 'healthy', reason: 'waiting for a first sync (within 2h of creation)' });
    const old = pull({ createdAt: ago(3 * HOUR), lastRun: null, lastSuccessAt: null });
    expect(connectionHealth(old).health).toBe('stalled');
    expect(connectionHealth(old).reason).toContain('no successful sync since the connection was created');
  });

  it('says when a stalled connection is disabled', () => {
    const verdict = connectionHealth(pull({ enabled: false, lastSuccessAt: ago(3 * HOUR) }));
    expect(verdict).toMatchObject({ health: 'stalled' });
    expect(verdict.reason).toMatch(/\(the connection is disabled\)$/);
  });
});

describe('health of a SCIM connection', () => {
  it('is healthy while pushes arrive within the window', () => {
    expect(connectionHealth(push({ lastPushAt: ago(HOUR) }))).toEqual({ health: 'healthy', reason: `last SCIM push at ${ago(HOUR).toISOString()}` });
  });

  it('is stalled when no token was used within the window (default a day)', () => {
    const verdict = connectionHealth(push({ lastPushAt: ago(DEFAULT_SCIM_PUSH_WINDOW_SECONDS + 60) }));
    expect(verdict.health).toBe('stalled');
    expect(verdict.reason).toContain('expected within 1d');
    expect(connectionHealth(push({ lastPushAt: ago(3 * HOUR), pushWindowSeconds: 2 * HOUR })).health).toBe('stalled');
    expect(connectionHealth(push({ lastPushAt: ago(HOUR), pushWindowSeconds: 2 * HOUR })).health).toBe('healthy');
  });

  it('counts a connection that never received a push from its creation', () => {
    expect(connectionHealth(push({ createdAt: ago(HOUR) })).health).toBe('healthy');
    const verdict = connectionHealth(push({ createdAt: ago(2 * 86_400) }));
    expect(verdict.health).toBe('stalled');
    expect(verdict.reason).toContain('no SCIM push since the connection was created');
  });

  it('is never degraded by runs: a SCIM connection has none', () => {
    const verdict = connectionHealth(push({ lastPushAt: ago(60), lastRun: { status: 'failed', finishedAt: ago(60), error: 'x' } }));
    expect(verdict.health).toBe('healthy');
  });
});

describe('formatSeconds', () => {
  it('picks the largest unit that fits', () => {
    expect([formatSeconds(45), formatSeconds(90), formatSeconds(7200), formatSeconds(129_600)]).toEqual(['45s', '1.5m', '2h', '1.5d']);
  });
});
