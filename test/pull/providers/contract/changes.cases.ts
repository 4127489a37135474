/**
 * Contract: change over time. Deletions reach the reconciler each IdP's way
 * (Graph `@removed`, Okta DEPROVISIONED and absence from a full listing,
 * Google showDeleted), always in common terms. Where the IdP has a delta
 * (Graph delta links, Okta watermarks) a listing from the saved cursor
 * returns only the change, and a refused cursor starts a full listing over;
 * where it has none (Google), every run is a complete full listing whose
 * records are the same while the directory is, so content hashes make it cheap.
 */
import { describe, expect, it } from 'vitest';
import type { DirectoryEvent } from '../../../../src/pull/providers/types.js';
import { totalOf, type ContractAdapter, type DeletionOutcome } from './adapter.js';
import {
  cursorOf, eventsNaming, foldMembers, groupIdsIn, list, memberEvents, person, sorted, useFreshFake, userById, usersIn,
} from './fixtures.js';

const describeOutcome = (o: DeletionOutcome) =>
  o.seen === 'removed' ? `user.removed (${o.reason})` : o.seen === 'inactive' ? `an inactive user (${o.status})` : 'no event';

/** Users in a stable order, so two listings can be compared record for record. */
const byId = (events: DirectoryEvent[]) => usersIn(events).sort((a, b) => a.externalId.localeCompare(b.externalId));

export function changesCases(adapter: ContractAdapter): void {
  const fake = useFreshFake(adapter);

  describe('deletions, each IdP its way, in common terms', () => {
    for (const deletion of adapter.deletions) {
      it(`reports a user ${deletion.name} in a ${deletion.seenIn} listing as ${describeOutcome(deletion.outcome)}`, async () => {
        const [keep, gone] = [fake().addUser(person()), fake().addUser(person())];
        const team = fake().addGroup('Team');
        fake().addMember(team, { user: keep });
        fake().addMember(team, { user: gone });
        fake().settle();
        const handle = fake().connect();
        const before = await list(handle);
        deletion.apply(fake(), gone);
        const after = await list(handle, deletion.seenIn === 'delta' ? { cursor: cursorOf(before) } : {});

        expect(after.error).toBeUndefined();
        expect(after.mode).toBe(deletion.seenIn);
        const outcome = deletion.outcome;
        if (outcome.seen === 'removed') {
          expect(after.events).toContainEqual({ type: 'user.removed', externalId: gone, reason: outcome.reason });
          expect(userById(after.events, gone)).toBeUndefined();
        } else if (outcome.seen === 'inactive') {
          expect(userById(after.events, gone)).toMatchObject({ active: false, status: outcome.status });
          expect(after.events.some((e) => e.type === 'user.removed')).toBe(false);
        } else {
          expect(eventsNaming(after.events, gone)).toEqual([]);
        }
        // A full listing that does not name the user is complete: the others are all there.
        if (deletion.seenIn === 'full') expect(userById(after.events, keep)).toBeDefined();
      });
    }
  });

  describe('a deleted group', () => {
    async function listedThenDeleted() {
      const user = fake().addUser(person());
      const [kept, gone] = [fake().addGroup('Kept'), fake().addGroup('Gone')];
      fake().addMember(kept, { user });
      fake().addMember(gone, { user });
      fake().settle();
      const handle = fake().connect();
      const before = await list(handle);
      fake().deleteGroup(gone);
      return { handle, before, kept, gone };
    }

    it('is no longer listed by a full listing, nor are its members', async () => {
      const { handle, kept, gone } = await listedThenDeleted();
      const after = await list(handle, { full: true });
      expect(after.error).toBeUndefined();
      expect(groupIdsIn(after.events)).toEqual([kept]);
      expect(memberEvents(after.events, gone)).toEqual([]);
    });

    const inDelta = adapter.groupDeletionInDelta;
    it(inDelta.reported ? 'is reported by a delta as group.removed' : `is not seen by a delta (${inDelta.source})`, async () => {
      const { handle, before, gone } = await listedThenDeleted();
      const after = await list(handle, { cursor: cursorOf(before) });
      expect(after.error).toBeUndefined();
      const naming = after.events.filter((e) => ('externalId' in e && e.externalId === gone) || (e.type === 'group' && e.group.externalId === gone) || (e.type === 'members' && e.groupExternalId === gone));
      if (inDelta.reported) expect(naming).toEqual([{ type: 'group.removed', externalId: gone }]);
      else expect(naming).toEqual([]);
    });
  });

  it('lists the same records twice while the directory does not change (what content hashes rely on)', async () => {
    const users = [fake().addUser(person()), fake().addUser(person({ state: adapter.userStates.at(-1)!.state }))];
    const team = fake().addGroup('Team');
    users.forEach((u) => fake().addMember(team, { user: u }));
    const handle = fake().connect();
    const [first, second] = [await list(handle, { full: true }), await list(handle, { full: true })];
    expect(second.error).toBeUndefined();
    expect(byId(second.events)).toEqual(byId(first.events));
    expect(sorted(groupIdsIn(second.events))).toEqual(sorted(groupIdsIn(first.events)));
    expect(foldMembers(second.events)).toEqual(foldMembers(first.events));
  });

  const { incremental } = adapter;
  if (!incremental.supported) {
    describe(`no delta: ${incremental.source}`, () => {
      it('runs full whatever cursor it is given, hands out none, and shows a change in the next listing', async () => {
        const [alice, bob] = [fake().addUser(person()), fake().addUser(person())];
        const handle = fake().connect();
        const first = await list(handle);
        expect(first.mode).toBe('full');
        expect(cursorOf(first)).toBeNull();
        fake().rename(bob, 'Robert Renamed');
        const second = await list(handle, { cursor: { users: 'a cursor of another provider' } });
        expect(second.mode).toBe('full');
        expect(second.error).toBeUndefined();
        expect(cursorOf(second)).toBeNull();
        expect(userById(second.events, bob)?.displayName).toBe('Robert Renamed');
        expect(userById(second.events, alice)).toEqual(userById(first.events, alice));
      });
    });
    return;
  }

  describe('delta from a saved cursor', () => {
    /** Three users, one group holding the first; time passes; a full listing gives the cursor. */
    async function baseline() {
      const users = [fake().addUser(person()), fake().addUser(person()), fake().addUser(person())];
      const team = fake().addGroup('Team');
      fake().addMember(team, { user: users[0]! });
      fake().settle();
      const handle = fake().connect();
      const full = await list(handle);
      return { handle, users, team, full, cursor: cursorOf(full) };
    }

    it('returns only what changed since the cursor, and a cursor to go on from', async () => {
      const { handle, users, team, full, cursor } = await baseline();
      fake().rename(users[1]!, 'Renamed Since');
      fake().addMember(team, { user: users[2]! });
      fake().removeMember(team, users[0]!);
      const delta = await list(handle, { cursor });
      expect(delta.error).toBeUndefined();
      expect(delta.mode).toBe('delta');
      expect(usersIn(delta.events).map((u) => [u.externalId, u.displayName])).toEqual([[users[1], 'Renamed Since']]);
      expect(foldMembers(delta.events, foldMembers(full.events)).get(team)!.users).toEqual(new Set([users[2]]));
      // The next cursor may equal the old one (Okta: less than a second of server time went by).
      const next = await list(handle, { cursor: cursorOf(delta) });
      expect(next.mode).toBe('delta');
    });

    it(`returns nothing when nothing changed, in ${incremental.noChangeRequests} requests`, async () => {
      const { handle, cursor } = await baseline();
      fake().resetRequests();
      const delta = await list(handle, { cursor });
      expect(delta.mode).toBe('delta');
      expect(delta.events).toEqual([]);
      expect(totalOf(fake().tally())).toBe(incremental.noChangeRequests);
      expect(handle.stats.apiRequests).toBeGreaterThan(0);
    });

    it('starts over with a complete full listing when the cursor is refused, and its cursor then works', async () => {
      const { handle, users, team, cursor } = await baseline();
      const refused = incremental.invalidate(fake(), cursor);
      const again = await list(handle, { cursor: refused });
      expect(again.error).toBeUndefined();
      expect(again.mode).toBe('full');
      expect(sorted(usersIn(again.events).map((u) => u.externalId))).toEqual(sorted([...fake().baselineUserIds, ...users]));
      expect(memberEvents(again.events, team)[0]).toMatchObject({ mode: 'set', userExternalIds: [users[0]] });
      const next = await list(handle, { cursor: cursorOf(again) });
      expect(next.mode).toBe('delta');
      expect(next.events).toEqual([]);
    });

    it('lists everything when asked for a full run, cursor or not', async () => {
      const { handle, users, cursor } = await baseline();
      const full = await list(handle, { cursor, full: true });
      expect(full.mode).toBe('full');
      expect(sorted(usersIn(full.events).map((u) => u.externalId))).toEqual(sorted([...fake().baselineUserIds, ...users]));
    });
  });
}
