/**
 * The demo's Keycloak sample: realm `demo` on the fake Keycloak, signed in as
 * its service-account client. Users log in with their email (the realm's
 * "email as username"), so their names differ from the other samples' in the
 * one demo tenant. Every 25th user has `enabled: false`; groups `Group 0` …
 * are top-level except `Group 2`, a subgroup of `Group 1` (path
 * `/Group 1/Group 2`), which the demo maps to its role.
 *
 * The realm is loaded as a snapshot with ids derived from names
 * (./people.ts), not through the fake's addUser (random UUIDs), and without
 * admin events: a delta after the demo's full sync sees only what changes later.
 */
import { FakeKeycloakRealm, startFakeKeycloak, type FakeKcGroup, type FakeKcUser } from '../keycloak/index.js';
import { handleOf, MAPPED_GROUP, NESTED_GROUP, samplePeople, stableUuid, type StartedSample } from './people.js';

export const KEYCLOAK_REALM = 'demo';
export const KEYCLOAK_MAPPED_GROUP = `Group ${MAPPED_GROUP}`;
export const KEYCLOAK_NESTED_GROUP = `Group ${NESTED_GROUP}`;
/** A fixed creation time (the listing shows it), so a reloaded realm is the same realm. */
const CREATED = Date.UTC(2024, 0, 15);

export interface KeycloakSampleUser {
  id: string;
  username: string;
  enabled: boolean;
  /** Indexes of the groups the user is a direct member of. */
  groups: number[];
}

export interface KeycloakSample {
  users: KeycloakSampleUser[];
  /** `Group 0` …; `Group 2`'s parent is `Group 1`. */
  groupNames: string[];
  realm(): FakeKeycloakRealm;
}

export function keycloakSample(size: { users: number; groups: number }): KeycloakSample {
  const { people, groupCount } = samplePeople(size);
  const groupNames = Array.from({ length: groupCount }, (_, g) => `Group ${g}`);
  const groupId = (g: number) => stableUuid(`keycloak:group:${groupNames[g]}`);
  const users = people.map((p) => {
    const username = `${handleOf(p)}@keycloak.example`;
    return { id: stableUuid(`keycloak:user:${username}`), username, enabled: !p.inactive, groups: p.groups, given: p.given, family: p.family };
  });
  return {
    users: users.map(({ id, username, enabled, groups }) => ({ id, username, enabled, groups })),
    groupNames,
    realm() {
      const realm = new FakeKeycloakRealm(KEYCLOAK_REALM);
      for (const u of users) {
        const user: FakeKcUser = { id: u.id, username: u.username, email: u.username, firstName: u.given, lastName: u.family, enabled: u.enabled, attributes: {}, createdTimestamp: CREATED };
        realm.users.set(user.id, user);
      }
      groupNames.forEach((name, g) => {
        const group: FakeKcGroup = { id: groupId(g), name, parentId: g === NESTED_GROUP ? groupId(MAPPED_GROUP) : null, members: new Set() };
        realm.groups.set(group.id, group);
      });
      for (const u of users) for (const g of u.groups) realm.groups.get(groupId(g))!.members.add(u.id);
      return realm;
    },
  };
}

export async function startKeycloakSample(size: { users: number; groups: number }): Promise<StartedSample> {
  const fake = await startFakeKeycloak({ realm: keycloakSample(size).realm() });
  return {
    url: fake.url,
    settings: { baseUrl: fake.url, realm: KEYCLOAK_REALM, clientId: fake.client.clientId, clientSecret: fake.client.secret },
    close: () => fake.close(),
  };
}
