/**
 * A generated organisation for the sync benchmark (bench/sync) and paging
 * tests: N system users, G user groups and M direct memberships, each user
 * in ⌊M/N⌋ (or one more) distinct groups drawn with a seeded PRNG, so every
 * run serves the same organisation. Written straight into the maps, with no
 * Directory Insights events: an organisation whose directory was built
 * before the events a delta reads (Insights keeps 15–90 days). Changes made
 * afterwards through FakeOrg's methods record their events as usual.
 *
 * LargeOrg keeps the `sort=_id` order until a user is added or deleted, so
 * that paging 100,000 users by 100 does not sort them once per page.
 */
import { prng } from '../prng.js';
import { FakeOrg, objectId, type FakeGroup, type FakeUser, type NewUser } from './directory.js';

export class LargeOrg extends FakeOrg {
  private sorted: FakeUser[] | null = null;

  override sortedUsers(): FakeUser[] {
    return (this.sorted ??= super.sortedUsers());
  }

  override addUser(input: NewUser): FakeUser {
    this.sorted = null;
    return super.addUser(input);
  }

  override deleteUser(id: string): void {
    this.sorted = null;
    super.deleteUser(id);
  }
}

export interface GeneratedOrgOptions {
  users: number;
  groups: number;
  memberships: number;
  seed?: number;
}

const pad = (i: number, width: number) => String(i).padStart(width, '0');

/** The organisation, its users (`user000000`…) and groups (`group00000`…) in creation order. */
export function generateOrg(options: GeneratedOrgOptions, org = new LargeOrg()): { org: LargeOrg; users: FakeUser[]; groups: FakeGroup[] } {
  const random = prng(options.seed ?? 42);
  // Created a day ago: ids (time first) older than any watermark's overlap.
  const created = org.now() - 86_400_000;
  const users: FakeUser[] = new Array(options.users);
  for (let i = 0; i < options.users; i++) {
    const username = `user${pad(i, 6)}`;
    const user: FakeUser = {
      _id: objectId(created), username, email: `${username}@example.com`, firstname: 'User', lastname: `N${i}`, displayname: `User N${i}`,
      state: 'ACTIVATED', activated: true, suspended: false, account_locked: false,
    };
    org.users.set(user._id, user);
    users[i] = user;
  }
  const groups: FakeGroup[] = new Array(options.groups);
  for (let g = 0; g < options.groups; g++) {
    const group: FakeGroup = { id: objectId(created), name: `group${pad(g, 5)}`, description: '', members: new Set() };
    org.groups.set(group.id, group);
    groups[g] = group;
  }
  const perUser = Math.min(options.groups, Math.floor(options.memberships / Math.max(1, options.users)));
  const extra = options.memberships - perUser * options.users;
  for (let u = 0; u < options.users; u++) {
    const want = Math.min(options.groups, perUser + (u < extra ? 1 : 0));
    const chosen = new Set<number>();
    while (chosen.size < want) chosen.add(Math.floor(random() * options.groups));
    for (const g of chosen) groups[g]!.members.add(users[u]!._id);
  }
  return { org, users, groups };
}
