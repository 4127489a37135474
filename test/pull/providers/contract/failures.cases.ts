/**
 * Contract: when the IdP throttles, fails or refuses. A throttle is waited
 * out as long as the IdP asks and the listing completes; a throttle or a
 * page that never recovers ends the listing with a ProviderError after the
 * pages before it, and no cursor: the reconciler then records the run as
 * failed or partial and removes nobody (DESIGN.md, "A snapshot that did not
 * complete is never treated as complete"). Rejected credentials are an
 * `auth` ProviderError to a sync and a failed check to `connection test`;
 * settings a provider cannot use at all are a ConfigError naming the field.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/core/errors/index.js';
import { descriptorOf } from '../../../../src/pull/providers/index.js';
import { ProviderError } from '../../../../src/pull/providers/types.js';
import { totalOf, type ContractAdapter, type ContractFake } from './adapter.js';
import { groupIdsIn, list, loginOf, memberEvents, person, sorted, useFreshFake, usersIn, type Listing } from './fixtures.js';

/** Each fake's throttle asks for at least a second (Retry-After: 1, or Okta's rate-limit reset). */
const ASKED_WAIT_MS = 1000;
/** Timer granularity: a wait of a second never ends more than a few ms early. */
const TIMER_SLACK_MS = 20;

/** No cursor for an incomplete listing: nextCursor() throws, or there is none at all (no delta). */
function expectNoCursor(listing: Listing): void {
  if (listing.cursor.ok) expect(listing.cursor.value).toBeNull();
  else expect(listing.cursor.error).toBeInstanceOf(Error);
}

export function failuresCases(adapter: ContractAdapter): void {
  const fake = useFreshFake(adapter);
  /** Users over more than two pages of the user listing. */
  const seedUsers = (f: ContractFake) => Array.from({ length: 2 * adapter.pageSizes.users + 1 }, () => f.addUser(person()));

  describe('throttling', () => {
    it('waits out a throttled page as long as the IdP asks, completes the listing, and counts the retry', async () => {
      const ids = seedUsers(fake());
      const handle = fake().connect();
      const minimum = fake().minimumRequests();
      fake().throttleOnce('users');
      const started = Date.now();
      const listing = await list(handle);
      expect(Date.now() - started).toBeGreaterThanOrEqual(ASKED_WAIT_MS - TIMER_SLACK_MS);
      expect(listing.error).toBeUndefined();
      expect(sorted(usersIn(listing.events).map((u) => u.externalId))).toEqual(sorted([...fake().baselineUserIds, ...ids]));
      expect(handle.stats.throttled).toBe(1);
      expect(fake().tally().users).toBe(minimum.users + 1);
      expect(handle.stats.apiRequests).toBe(totalOf(fake().tally()));
    });

    it('ends a listing the IdP never stops throttling with a rate-limited ProviderError', async () => {
      seedUsers(fake());
      const handle = fake().connect();
      fake().throttleForever('users');
      const listing = await list(handle);
      expect(listing.error).toBeInstanceOf(ProviderError);
      expect(listing.error).toMatchObject({ kind: 'rate-limited' });
      expect(usersIn(listing.events)).toEqual([]);
      expectNoCursor(listing);
      expect(handle.stats.throttled).toBeGreaterThanOrEqual(1); // waited at least once before giving up
      expect(handle.stats.apiRequests).toBe(totalOf(fake().tally()));
    }, 20_000);
  });

  describe('a page that keeps failing', () => {
    it('yields the pages before it, then fails the listing with a ProviderError and no cursor', async () => {
      seedUsers(fake());
      const handle = fake().connect();
      fake().failPersistently('users', 2);
      const listing = await list(handle);
      expect(listing.error).toBeInstanceOf(ProviderError);
      expect(usersIn(listing.events)).toHaveLength(adapter.pageSizes.users); // page 1, and only page 1
      expect(groupIdsIn(listing.events)).toEqual([]);
      expectNoCursor(listing);
      expect(fake().tally().groups).toBe(0); // nothing is listed after the failure
      expect(handle.stats.apiRequests).toBe(totalOf(fake().tally())); // retries of the failing page included
    });

    it('fails the listing when the group listing keeps failing, though every user was read', async () => {
      const users = [fake().addUser(person()), fake().addUser(person())];
      const team = fake().addGroup('Team');
      fake().addMember(team, { user: users[0]! });
      const handle = fake().connect();
      fake().failPersistently('groups', 1);
      const listing = await list(handle);
      expect(listing.error).toBeInstanceOf(ProviderError);
      expect(sorted(usersIn(listing.events).map((u) => u.externalId))).toEqual(sorted([...fake().baselineUserIds, ...users]));
      expect(memberEvents(listing.events)).toEqual([]);
      expectNoCursor(listing);
      expect(handle.stats.apiRequests).toBe(totalOf(fake().tally()));
    });
  });

  it('hands out no cursor while pages remain unread', async () => {
    seedUsers(fake());
    const run = await fake().connect().provider.run({ cursor: null });
    for await (const page of run.pages) {
      expect(page.length).toBeGreaterThan(0);
      break; // the consumer stops after the first page, as a crashed sync would
    }
    let cursor: Listing['cursor'];
    try {
      cursor = { ok: true, value: run.nextCursor() };
    } catch (error) {
      cursor = { ok: false, error };
    }
    expectNoCursor({ cursor } as Listing);
  });

  describe('credentials', () => {
    it('passes the connection test with credentials the IdP accepts', async () => {
      const result = await fake().connect().provider.test();
      expect(result.checks.length).toBeGreaterThan(1);
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.ok).toBe(true);
    });

    it('reports rejected credentials as an auth ProviderError to a listing and to fetchUser', async () => {
      const p = person();
      const id = fake().addUser(p);
      const handle = fake().connect({ credentials: 'rejected' });
      const listing = await list(handle);
      expect(listing.error).toBeInstanceOf(ProviderError);
      expect(listing.error).toMatchObject({ kind: 'auth' });
      expect(listing.events).toEqual([]);
      expectNoCursor(listing);
      for (const lookup of [{ userName: loginOf(fake(), p) }, { externalId: id }]) {
        await expect(handle.provider.fetchUser(lookup)).rejects.toMatchObject({ name: 'ProviderError', kind: 'auth' });
        // It answers once its requests are over: none is still under way to be counted later.
        expect(handle.stats.apiRequests).toBe(totalOf(fake().tally()));
      }
    });

    it('names the missing group permission in the connection test, and fails a listing with a permission error', async () => {
      const users = [fake().addUser(person())];
      fake().addMember(fake().addGroup('Team'), { user: users[0]! });
      fake().denyGroupReads();
      const handle = fake().connect();
      const result = await handle.provider.test();
      expect(result.ok).toBe(false);
      const failed = result.checks.filter((c) => !c.ok);
      expect(failed).toHaveLength(1);
      expect(`${failed[0]!.name} ${failed[0]!.detail ?? ''}`).toMatch(/group/i);
      const listing = await list(handle);
      expect(listing.error).toBeInstanceOf(ProviderError);
      expect(listing.error).toMatchObject({ kind: 'permission' });
      expect(sorted(usersIn(listing.events).map((u) => u.externalId))).toEqual(sorted([...fake().baselineUserIds, ...users]));
    });

    it('reports rejected credentials as a failed first check of the connection test, with the reason', async () => {
      const result = await fake().connect({ credentials: 'rejected' }).provider.test();
      expect(result.ok).toBe(false);
      expect(result.checks[0]).toMatchObject({ ok: false, detail: expect.stringMatching(/\S/) });
      expect(result.checks.every((c) => !c.ok)).toBe(true); // nothing could be checked without credentials
    });

    it('refuses to open without its secret: a ConfigError naming the secret field, before any request', () => {
      let error: unknown;
      try {
        fake().connect({ credentials: 'missing' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(descriptorOf(adapter.kind).secretFields).toContain((error as ConfigError).details?.field);
      expect(totalOf(fake().tally())).toBe(0);
    });
  });
}
