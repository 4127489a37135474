/**
 * Contract: a full listing. Every user and group streamed page by page, each
 * group's direct members as one `set` then `add`s, in the fewest requests the
 * API allows, counted as they go over the wire; records mapped to the common
 * model, by default and through the connection's attribute mapping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagesFor, totalOf, type ContractAdapter, type ContractFake, type RequestTally } from './adapter.js';
import {
  foldMembers, groupIdsIn, list, loginOf, memberEvents, person, seedPagedDirectory, sorted, useFreshFake, userById, usersIn,
  type Listing, type PagedDirectory,
} from './fixtures.js';
import type { ProviderStats } from '../../../../src/pull/providers/types.js';

export function listingCases(adapter: ContractAdapter): void {
  describe('a full listing of a directory spanning several pages', () => {
    let fake: ContractFake;
    let seeded: PagedDirectory;
    let listing: Listing;
    let stats: ProviderStats;
    let minimum: RequestTally;

    beforeAll(async () => {
      fake = await adapter.start();
      seeded = seedPagedDirectory(fake, adapter);
      minimum = fake.minimumRequests();
      const handle = fake.connect();
      stats = handle.stats;
      listing = await list(handle);
    });
    afterAll(() => fake.close());

    it('completes as a full run', () => {
      expect(listing.error).toBeUndefined();
      expect(listing.mode).toBe('full');
    });

    it('streams every user exactly once, one array per API page', () => {
      const ids = usersIn(listing.events).map((u) => u.externalId);
      expect(ids).toHaveLength(new Set(ids).size);
      expect(sorted(ids)).toEqual(sorted([...fake.baselineUserIds, ...seeded.userIds]));
      const userPages = listing.pages.filter((page) => page.some((e) => e.type === 'user'));
      expect(userPages.length).toBeGreaterThan(2);
      expect(userPages[0]!.filter((e) => e.type === 'user')).toHaveLength(adapter.pageSizes.users);
    });

    it('streams every group exactly once, across more than one group page', () => {
      const ids = groupIdsIn(listing.events);
      expect(ids).toHaveLength(new Set(ids).size);
      expect(sorted(ids)).toEqual(sorted(seeded.groupIds));
      expect(fake.tally().groups).toBeGreaterThan(1);
    });

    it('gives each group one `set` first, then `add`s, whose union is its direct members', () => {
      for (const groupId of seeded.groupIds) {
        const modes = memberEvents(listing.events, groupId).map((e) => e.mode);
        expect(modes[0], `first members event of ${groupId}`).toBe('set');
        expect(modes.slice(1).every((m) => m === 'add')).toBe(true);
      }
      const big = memberEvents(listing.events, seeded.bigGroup);
      expect(big.length).toBeGreaterThan(1); // more members than one page holds
      const members = foldMembers(listing.events);
      expect(sorted(members.get(seeded.bigGroup)!.users)).toEqual(sorted(seeded.userIds));
      expect(members.get(seeded.groupIds[1]!)!.users).toEqual(new Set([seeded.userIds[0]]));
    });

    it('reads users in ceil(users / page size) requests, and every listing in the fewest the API allows', () => {
      const seen = fake.tally();
      const liveUsers = fake.baselineUserIds.length + seeded.userIds.length;
      expect(seen.users).toBe(pagesFor(liveUsers, adapter.pageSizes.users));
      expect(seen).toEqual(minimum);
    });

    it('counts every request that went over the wire, sign-in included', () => {
      expect(stats.apiRequests).toBe(totalOf(fake.tally()));
      expect(stats.apiRequests).toBe(totalOf(minimum));
      expect(stats.throttled).toBe(0);
    });
  });

  describe('a one-user directory', () => {
    const fake = useFreshFake(adapter);

    it('lists a one-user directory in the fewest requests too (an empty listing still costs its page)', async () => {
      fake().addUser(person());
      const handle = fake().connect();
      await list(handle);
      expect(fake().tally().users).toBe(pagesFor(1 + fake().baselineUserIds.length, adapter.pageSizes.users));
      expect(handle.stats.apiRequests).toBe(totalOf(fake().minimumRequests()));
    });
  });

  describe('mapping to the common model', () => {
    const fake = useFreshFake(adapter);

    it('maps each account state to active or inactive, keeping the IdP state word', async () => {
      const ids = adapter.userStates.map((s) => fake().addUser(person({ state: s.state })));
      const { events, error } = await list(fake().connect());
      expect(error).toBeUndefined();
      adapter.userStates.forEach((s, i) => {
        const user = userById(events, ids[i]!);
        expect({ state: s.state, active: user?.active, status: user?.status }).toEqual({ state: s.state, active: s.active, status: s.status });
      });
    });

    it('maps the IdP default fields to externalId, userName, email and names', async () => {
      const p = person();
      const id = fake().addUser(p);
      const { events } = await list(fake().connect());
      expect(userById(events, id)).toMatchObject({
        externalId: id,
        userName: loginOf(fake(), p),
        email: adapter.defaultEmail === 'login' ? loginOf(fake(), p) : p.email,
        displayName: p.displayName,
        givenName: p.givenName,
        familyName: p.familyName,
        active: true,
      });
    });

    it('falls back to the login for userName when the mapped field is empty: userName is never empty', async () => {
      const p = person();
      const id = fake().addUser({ ...p, alt: { ...p.alt, userName: '' } });
      const { events } = await list(fake().connect({ settings: { attributeMapping: adapter.alternateMapping } }));
      expect(userById(events, id)).toMatchObject({ userName: loginOf(fake(), p), email: p.alt.email });
    });

    it('maps the IdP fields the connection attributeMapping names, in listings and in fetchUser', async () => {
      const p = person();
      const id = fake().addUser(p);
      const { provider } = fake().connect({ settings: { attributeMapping: adapter.alternateMapping } });
      const expected = { externalId: id, userName: p.alt.userName, email: p.alt.email, displayName: p.alt.displayName, givenName: p.givenName };
      const { events } = await list({ provider });
      expect(userById(events, id)).toMatchObject(expected);
      expect((await provider.fetchUser({ externalId: id }))?.user).toMatchObject(expected);
      // The login hook knows the user by the mapped userName.
      expect((await provider.fetchUser({ userName: p.alt.userName }))?.user).toMatchObject(expected);
    });
  });

  describe('the connection concurrency limit', () => {
    const fake = useFreshFake(adapter);

    it.each([1, 2])('never has more than %i request(s) in flight; one member listing per group fans out that far', async (concurrency) => {
      const user = fake().addUser(person());
      for (let i = 0; i < 6; i++) fake().addMember(fake().addGroup(`Team ${i}`), { user });
      fake().setLatency(30);
      const { error } = await list(fake().connect({ concurrency }));
      expect(error).toBeUndefined();
      // Graph's delta pages chain by nextLink: one after the other whatever the limit; per-project
      // member listings fan out over projects, and the suite seeds one.
      expect(fake().maxInFlight()).toBe(adapter.memberListing === 'per-group' ? concurrency : 1);
    });
  });
}
