/** BadKeyLimiter (src/core/security/bad-keys.ts) on its own, with a stopped clock: what it remembers. */
import { describe, expect, it } from 'vitest';
import { BadKeyLimiter } from '../../src/core/security/bad-keys.js';

describe('BadKeyLimiter', () => {
  it('forgets addresses past its size bound, oldest first', () => {
    const limiter = new BadKeyLimiter({ burst: 1, perMinute: 1 }, { now: () => 0, maxAddresses: 2 });
    for (const a of ['a', 'b', 'c']) limiter.failed(a);
    expect(limiter.retryAfterSeconds('a')).toBe(0);
    expect(limiter.retryAfterSeconds('c')).toBeGreaterThan(0);
  });
});
