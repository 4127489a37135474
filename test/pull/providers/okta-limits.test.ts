/**
 * The Okta provider under rate limits and faults, Okta's way: it slows down
 * before the X-Rate-Limit budget is spent, retries 5xx, times out. Throttles
 * waited out or given up on, and failing pages, are in ./contract.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOktaProvider } from '../../../src/pull/providers/okta/index.js';
import { ProviderError } from '../../../src/pull/providers/types.js';
import { collect, collectUntilError, fakeOktaContext, startFakeOkta, usersOf, type FakeOkta } from '../../fakes/okta/index.js';

let fake: FakeOkta;
beforeEach(async () => {
  fake = await startFakeOkta();
});
afterEach(async () => {
  await fake.close();
});

function seed(users: number, groups = 0) {
  const us = Array.from({ length: users }, (_, i) => fake.directory.addUser({ profile: { login: `u${i}@example.com` } }));
  for (let i = 0; i < groups; i++) {
    const g = fake.directory.addGroup({ name: `G${i}` });
    if (us[0]) fake.directory.addMember(g.id, us[0].id);
  }
}

describe('rate limits', () => {
  it('waits for the reset when the budget is nearly spent, and never meets a 429', async () => {
    seed(1, 14);
    // 5 requests per 1-second window on every endpoint.
    fake.setRateLimit({ limit: 5, windowMs: 1000 });
    const ctx = fakeOktaContext(fake, { concurrency: 2 });
    const { events } = await collect(await createOktaProvider(ctx).run({ cursor: null }));
    expect(events.filter((e) => e.type === 'members')).toHaveLength(14);
    expect(fake.rateLimited).toBe(0);
    expect(fake.requests.every((r) => r.status === 200)).toBe(true);
    // 14 member listings at 5 per window: at least two waits for a reset.
    expect(ctx.stats.throttled).toBeGreaterThanOrEqual(2);
    expect(ctx.stats.apiRequests).toBe(16);
  }, 20_000);

  it('keeps a reserve of 10% of a large budget, and stops waiting when the run is aborted', async () => {
    seed(1, 12);
    fake.setRateLimit({ limit: 100, windowMs: 60_000 });
    // "Another client" spends 89 of the 100 before the run starts.
    for (let i = 0; i < 89; i++) await fetch(`${fake.url}/api/v1/groups/x/users`, { headers: { Authorization: 'SSWS test-token' } });
    const ac = new AbortController();
    const ctx = fakeOktaContext(fake, { concurrency: 1, signal: ac.signal });
    const reading = collectUntilError(await createOktaProvider(ctx).run({ cursor: null }));
    await new Promise((r) => setTimeout(r, 500));
    // Two listings bring the remaining budget to 9 (< 10% of 100): the third waits for the reset, up to a minute.
    expect(fake.requestsTo('groupMembers').length - 89).toBe(2);
    expect(ctx.stats.throttled).toBe(1);
    ac.abort();
    const { error } = await reading;
    expect(error).toMatchObject({ kind: 'network' });
    expect(fake.rateLimited).toBe(0);
  });
});

describe('faults', () => {
  it('recovers from a transient 500', async () => {
    seed(450);
    fake.faults.push({ route: 'users', page: 2, status: 503, times: 1 });
    const { events } = await collect(await createOktaProvider(fakeOktaContext(fake)).run({ cursor: null }));
    expect(usersOf(events)).toHaveLength(450);
    expect(fake.requestsTo('users').map((r) => r.status)).toEqual([200, 503, 200, 200]);
  });

  it('fails a member listing that fails, instead of reporting the group as empty', async () => {
    seed(2, 3);
    fake.faults.push({ route: 'groupMembers', status: 500 });
    const ctx = fakeOktaContext(fake, { settings: { serverErrorRetries: 0 } });
    const { error, events } = await collectUntilError(await createOktaProvider(ctx).run({ cursor: null }));
    expect(error).toMatchObject({ kind: 'bad-response', status: 500 });
    expect(events.some((e) => e.type === 'members')).toBe(false);
  });

  it('times out a request Okta never answers', async () => {
    seed(2);
    fake.faults.push({ route: 'groups', hang: true });
    const ctx = fakeOktaContext(fake, { settings: { requestTimeoutMs: 300 } });
    const { error, events } = await collectUntilError(await createOktaProvider(ctx).run({ cursor: null }));
    expect(usersOf(events)).toHaveLength(2);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'network' });
    expect((error as Error).message).toMatch(/did not answer in time/);
  });

  it('adds latency without failing', async () => {
    seed(2);
    fake.faults.push({ route: 'users', latencyMs: 150, times: 1 });
    const started = Date.now();
    const { events } = await collect(await createOktaProvider(fakeOktaContext(fake)).run({ cursor: null }));
    expect(usersOf(events)).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
