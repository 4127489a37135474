/**
 * The demo's Zitadel sample: one organization's human users and a project
 * `Portal` whose roles `group-0` … are the groups (Zitadel's groups are
 * project roles; they do not nest), each user holding one grant with three
 * of them. Login names are `<user>@zitadel.example`; every 25th user is
 * INACTIVE (deactivated by an admin). The demo maps role `group-1`.
 *
 * Loaded as a snapshot with ids derived from names (./people.ts) and no
 * events: a delta after the demo's full sync sees only what changes later.
 */
import { ORG_ID, startFakeZitadel, type FakeGrant, type FakeUser, type FakeZitadelDirectory } from '../zitadel/index.js';
import { handleOf, MAPPED_GROUP, samplePeople, stableNumericId, type StartedSample } from './people.js';

export const ZITADEL_PAT = 'test-pat';
const PROJECT = 'Portal';
const roleKey = (g: number) => `group-${g}`;
export const ZITADEL_MAPPED_GROUP = roleKey(MAPPED_GROUP);
/** A fixed change date (the listing shows it), so a reloaded instance is the same instance. */
const CHANGED = new Date(Date.UTC(2024, 0, 15)).toISOString();

export interface ZitadelSampleUser {
  id: string;
  /** The preferred login name: Roster's userName for Zitadel users. */
  loginName: string;
  state: 'ACTIVE' | 'INACTIVE';
  /** Indexes of the roles (groups) the user holds. */
  groups: number[];
}

export interface ZitadelSample {
  users: ZitadelSampleUser[];
  /** The role keys, `group-0` …, which are the groups' names. */
  groupNames: string[];
  load(directory: FakeZitadelDirectory): void;
}

export function zitadelSample(size: { users: number; groups: number }): ZitadelSample {
  const { people, groupCount } = samplePeople(size);
  const groupNames = Array.from({ length: groupCount }, (_, g) => roleKey(g));
  const users = people.map((p) => {
    const loginName = `${handleOf(p)}@zitadel.example`;
    return { person: p, user: { id: stableNumericId(`zitadel:user:${loginName}`), loginName, state: p.inactive ? ('INACTIVE' as const) : ('ACTIVE' as const), groups: p.groups } };
  });
  return {
    users: users.map((u) => u.user),
    groupNames,
    load(directory) {
      for (const { person: p, user: u } of users) {
        const user: FakeUser = {
          userId: u.id, state: u.state, username: handleOf(p), preferredLoginName: u.loginName, givenName: p.given, familyName: p.family,
          displayName: `${p.given} ${p.family}`, nickName: '', email: u.loginName, phone: '', organizationId: ORG_ID, changeDate: CHANGED,
        };
        directory.users.set(user.userId, user);
      }
      const projectId = stableNumericId(`zitadel:project:${PROJECT}`);
      directory.projects.set(projectId, {
        id: projectId, name: PROJECT, organizationId: ORG_ID,
        roles: new Map(groupNames.map((key, g) => [key, { key, displayName: `Group ${g}` }])),
      });
      for (const { user: u } of users) {
        const grant: FakeGrant = { id: stableNumericId(`zitadel:grant:${u.loginName}:${PROJECT}`), userId: u.id, projectId, roles: new Set(u.groups.map(roleKey)) };
        directory.grants.set(grant.id, grant);
      }
    },
  };
}

export async function startZitadelSample(size: { users: number; groups: number }): Promise<StartedSample> {
  const fake = await startFakeZitadel();
  zitadelSample(size).load(fake.directory);
  return { url: fake.url, settings: { baseUrl: fake.url, personalAccessToken: ZITADEL_PAT }, close: () => fake.close() };
}
