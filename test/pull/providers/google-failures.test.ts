/**
 * How the Google provider behaves when Google throttles, refuses, fails or
 * hangs, Google's way: 403 quota reasons retried with backoff (Directory API
 * limits page), no retry on a real 403, 5xx retried, listings stopped early.
 * Throttles, failing pages and the concurrency bound: ./contract.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/pull/providers/types.js';
import { startFakeGoogle, type FakeGoogleServer } from '../../fakes/google/index.js';
import { collectPages, collectUntilError, connectToFake, minimumRequests } from '../../fakes/google/harness.js';

describe('Google provider under failures', () => {
  let fake: FakeGoogleServer;

  beforeAll(async () => {
    fake = await startFakeGoogle();
    for (let i = 0; i < 1200; i++) fake.directory.addUser(); // 3 user pages with the admin
    for (let g = 0; g < 12; g++) {
      const group = fake.directory.addGroup();
      fake.directory.addMember(group.id, { user: `user${g + 1}@example.com` });
    }
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.faults.length = 0;
    fake.latencyMs = 0;
    fake.resetRequests();
  });

  it('retries 403 rateLimitExceeded and userRateLimitExceeded, counting them as throttled', async () => {
    fake.addFault({ endpoint: 'users', kind: 'rateLimitExceeded', times: 2 });
    fake.addFault({ endpoint: 'members', kind: 'userRateLimitExceeded', times: 1 });
    const { provider, stats } = connectToFake(fake);
    const events = (await collectPages(await provider.run({ cursor: null }))).flat();
    expect(events.filter((e) => e.type === 'user')).toHaveLength(1201);
    expect(stats.throttled).toBe(3);
    expect(fake.requests.filter((r) => r.status === 403)).toHaveLength(3);
    expect(stats.apiRequests).toBe(minimumRequests(fake) + 3);
    expect(fake.requests).toHaveLength(stats.apiRequests);
  });

  it('retries a 503 without counting it as throttling', async () => {
    fake.addFault({ endpoint: 'users', kind: '503', page: 2 });
    const { provider, stats } = connectToFake(fake);
    await collectPages(await provider.run({ cursor: null }));
    expect(stats.throttled).toBe(0);
    expect(fake.count('users')).toBe(5); // 3 pages + 1 retry + deleted listing
  });

  it('does not retry a real 403 forbidden, and reports a permission error', async () => {
    fake.addFault({ endpoint: 'users', kind: 'forbidden', times: Infinity });
    const { provider, stats } = connectToFake(fake);
    const { pages, error } = await collectUntilError(await provider.run({ cursor: null }));
    expect(pages).toHaveLength(0);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'permission', status: 403 });
    expect(fake.count('users')).toBe(1);
    expect(stats.throttled).toBe(0);
  });

  it('fails the run when one group’s member listing fails, and stops the other listings', async () => {
    fake.addFault({ endpoint: 'members', kind: '500', times: Infinity });
    const { provider } = connectToFake(fake, { settings: { maxRetries: 0 } });
    const { error } = await collectUntilError(await provider.run({ cursor: null }));
    expect(error).toMatchObject({ kind: 'network', message: expect.stringContaining('listing members of group') });
    expect(fake.count('members')).toBeLessThanOrEqual(4); // the first wave only, not all 12 groups
  });

  it('times out a hanging request and retries it, then succeeds', async () => {
    fake.addFault({ endpoint: 'groups', kind: 'hang' });
    const { provider } = connectToFake(fake, { settings: { requestTimeoutMs: 300 } });
    const events = (await collectPages(await provider.run({ cursor: null }))).flat();
    expect(events.filter((e) => e.type === 'group')).toHaveLength(12);
    expect(fake.count('groups')).toBe(2);
  });

  it('stops listing when the consumer stops reading', async () => {
    const { provider } = connectToFake(fake);
    const run = await provider.run({ cursor: null });
    for await (const page of run.pages) {
      expect(page).toHaveLength(500);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.count('users')).toBe(1);
  });

  it('stops with an error when the connection’s signal aborts', async () => {
    const controller = new AbortController();
    fake.latencyMs = 200;
    const { provider } = connectToFake(fake, { signal: controller.signal });
    const run = await provider.run({ cursor: null });
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const { error } = await collectUntilError(run);
    expect(error).toBeInstanceOf(ProviderError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
