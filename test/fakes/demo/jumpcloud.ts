/**
 * The demo's JumpCloud sample: system users with JumpCloud-style usernames
 * (`alovelace0`: initial and family name), every 25th SUSPENDED, and user
 * groups `Group 0` … (JumpCloud user groups do not nest). The demo maps
 * `Group 1`.
 *
 * Loaded as a snapshot with ObjectIds derived from names (./people.ts) and no
 * Directory Insights events: a delta after the demo's full sync sees only
 * what changes later. The ids keep JumpCloud's shape (4 bytes of creation
 * time first, so `sort=_id` is creation order).
 */
import { FakeOrg, startFakeJumpCloud, type FakeGroup, type FakeUser } from '../jumpcloud/index.js';
import { MAPPED_GROUP, samplePeople, stableHex, type SamplePerson, type StartedSample } from './people.js';

export const JUMPCLOUD_API_KEY = 'test-key';
export const JUMPCLOUD_MAPPED_GROUP = `Group ${MAPPED_GROUP}`;
/** The sample's "creation time" (2024-01-15), one second apart per entry. */
const CREATED_S = Date.UTC(2024, 0, 15) / 1000;

const objectId = (seconds: number, name: string) => seconds.toString(16).padStart(8, '0') + stableHex(`jumpcloud:${name}`, 8);
const usernameOf = (p: SamplePerson) => `${p.given[0]}${p.family}${p.index}`.toLowerCase();

export interface JumpCloudSampleUser {
  id: string;
  username: string;
  state: 'ACTIVATED' | 'SUSPENDED';
  /** Indexes of the groups the user is a member of. */
  groups: number[];
}

export interface JumpCloudSample {
  users: JumpCloudSampleUser[];
  groupNames: string[];
  org(): FakeOrg;
}

export function jumpCloudSample(size: { users: number; groups: number }): JumpCloudSample {
  const { people, groupCount } = samplePeople(size);
  const groupNames = Array.from({ length: groupCount }, (_, g) => `Group ${g}`);
  // Groups were made first, then the users.
  const groupIds = groupNames.map((name, g) => objectId(CREATED_S + g, `group:${name}`));
  const users = people.map((p) => {
    const username = usernameOf(p);
    const user: JumpCloudSampleUser = { id: objectId(CREATED_S + groupCount + p.index, `user:${username}`), username, state: p.inactive ? 'SUSPENDED' : 'ACTIVATED', groups: p.groups };
    return { person: p, user };
  });
  return {
    users: users.map((u) => u.user),
    groupNames,
    org() {
      const org = new FakeOrg();
      groupNames.forEach((name, g) => {
        const group: FakeGroup = { id: groupIds[g]!, name, description: '', members: new Set() };
        org.groups.set(group.id, group);
      });
      for (const { person: p, user: u } of users) {
        const user: FakeUser = {
          _id: u.id, username: u.username, email: `${u.username}@jumpcloud.example`, firstname: p.given, lastname: p.family,
          displayname: `${p.given} ${p.family}`, state: u.state, activated: true, suspended: u.state === 'SUSPENDED', account_locked: false,
        };
        org.users.set(user._id, user);
        for (const g of u.groups) org.groups.get(groupIds[g]!)!.members.add(user._id);
      }
      return org;
    },
  };
}

export async function startJumpCloudSample(size: { users: number; groups: number }): Promise<StartedSample> {
  const fake = await startFakeJumpCloud({ org: jumpCloudSample(size).org(), apiKeys: [JUMPCLOUD_API_KEY] });
  return { url: fake.url, settings: { baseUrl: fake.url, insightsUrl: fake.insightsUrl, apiKey: JUMPCLOUD_API_KEY }, close: () => fake.close() };
}
