/**
 * Contract: group members and one user's groups. A provider reports direct
 * members only, a nested group as a `groupExternalIds` entry: flattening
 * (and its cycle protection) is the reconciler's (src/pull/reconcile/flatten.ts).
 * So a provider must not walk nesting itself, and a cycle in the IdP must
 * neither loop nor stop a listing. Where the IdP has no nesting, or refuses
 * cycles, the adapter says so and the suite asserts that instead.
 */
import { describe, expect, it } from 'vitest';
import type { ContractAdapter } from './adapter.js';
import { foldMembers, list, loginOf, memberEvents, person, sorted, useFreshFake } from './fixtures.js';

/** A listing that loops would hang: fail in seconds instead of at the suite's timeout. */
const LOOP_GUARD_MS = 10_000;

export function membersCases(adapter: ContractAdapter): void {
  const fake = useFreshFake(adapter);
  const { nesting } = adapter;

  if (nesting.supported) {
    describe('nested groups', () => {
      it('reports a nested group as a direct member, and its users under it only', async () => {
        const [alice, bob] = [fake().addUser(person()), fake().addUser(person())];
        const [parent, child] = [fake().addGroup('Engineering'), fake().addGroup('Platform')];
        fake().addMember(parent, { user: alice });
        fake().addMember(parent, { group: child });
        fake().addMember(child, { user: bob });
        const { events, error } = await list(fake().connect());
        expect(error).toBeUndefined();
        const members = foldMembers(events);
        expect(members.get(parent)).toEqual({ users: new Set([alice]), groups: new Set([child]) });
        expect(members.get(child)).toEqual({ users: new Set([bob]), groups: new Set() });
      });

      if (nesting.cycles === 'listed') {
        it('lists a nesting cycle as its two edges, and the listing ends', async () => {
          const [a, b] = [fake().addGroup('A'), fake().addGroup('B')];
          fake().addMember(a, { group: b });
          fake().addMember(b, { group: a });
          fake().addMember(b, { user: fake().addUser(person()) });
          const { events, error } = await list(fake().connect());
          expect(error).toBeUndefined();
          const members = foldMembers(events);
          expect(members.get(a)!.groups).toEqual(new Set([b]));
          expect(members.get(b)!.groups).toEqual(new Set([a]));
        }, LOOP_GUARD_MS);
      } else {
        it(`never meets a nesting cycle: the IdP refuses one (${nesting.source})`, async () => {
          const [a, b] = [fake().addGroup('A'), fake().addGroup('B')];
          fake().addMember(a, { group: b });
          expect(() => fake().addMember(b, { group: a })).toThrow(/cycle/i);
          expect(() => fake().addMember(a, { group: a })).toThrow(/cycle/i);
          const { events, error } = await list(fake().connect());
          expect(error).toBeUndefined();
          expect(foldMembers(events).get(b)!.groups).toEqual(new Set());
        }, LOOP_GUARD_MS);
      }
    });
  } else {
    describe('groups without nesting', () => {
      it(`reports users only as members (${nesting.source})`, async () => {
        const [alice, bob] = [fake().addUser(person()), fake().addUser(person())];
        const [eng, ops] = [fake().addGroup('Engineering'), fake().addGroup('Operations')];
        expect(() => fake().addMember(eng, { group: ops })).toThrow();
        fake().addMember(eng, { user: alice });
        fake().addMember(ops, { user: alice });
        fake().addMember(ops, { user: bob });
        const { events, error } = await list(fake().connect());
        expect(error).toBeUndefined();
        expect(memberEvents(events).every((e) => e.groupExternalIds.length === 0)).toBe(true);
        const members = foldMembers(events);
        expect(members.get(eng)!.users).toEqual(new Set([alice]));
        expect(members.get(ops)!.users).toEqual(new Set([alice, bob]));
      });
    });
  }

  describe('fetchUser (the login hook)', () => {
    /** A user directly in `team`; `department` holds `team` where groups nest; `other` is unrelated. */
    function seed() {
      const p = person();
      const id = fake().addUser(p);
      const team = fake().addGroup('Team');
      fake().addGroup('Other');
      fake().addMember(team, { user: id });
      let department: string | null = null;
      if (nesting.supported) {
        department = fake().addGroup('Department');
        fake().addMember(department, { group: team });
      }
      const expectedGroups = adapter.fetchUserGroups === 'transitive' && department ? [team, department] : [team];
      return { p, id, expectedGroups };
    }

    it(`finds a user by externalId, userName and email, with the groups it is in (${adapter.fetchUserGroups})`, async () => {
      const { p, id, expectedGroups } = seed();
      const { provider } = fake().connect();
      const login = loginOf(fake(), p);
      const email = adapter.defaultEmail === 'login' ? login : p.email;
      for (const lookup of [{ externalId: id }, { userName: login }, { email }]) {
        const found = await provider.fetchUser(lookup);
        expect(found?.user, JSON.stringify(lookup)).toMatchObject({ externalId: id, userName: login, email, displayName: p.displayName, active: true });
        expect(sorted(found!.groups.map((g) => g.externalId))).toEqual(sorted(expectedGroups));
      }
    });

    it('finds an inactive user too, and says so (the login hook must see a disabled account)', async () => {
      const inactive = adapter.userStates.filter((s) => !s.active);
      expect(inactive.length).toBeGreaterThan(0);
      const { provider } = fake().connect();
      for (const s of inactive) {
        const p = person({ state: s.state });
        const id = fake().addUser(p);
        const found = await provider.fetchUser({ userName: loginOf(fake(), p) });
        expect({ state: s.state, id: found?.user.externalId, active: found?.user.active }).toEqual({ state: s.state, id, active: false });
      }
    });

    it('answers null for a user the IdP does not have', async () => {
      seed();
      const { provider } = fake().connect();
      expect(await provider.fetchUser({ userName: `nobody@${fake().domain}` })).toBeNull();
      expect(await provider.fetchUser({ email: `nobody@${fake().domain}` })).toBeNull();
      expect(await provider.fetchUser({ externalId: 'no-such-id' })).toBeNull();
    });
  });
}
