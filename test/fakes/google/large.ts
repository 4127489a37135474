/**
 * A large, deterministic Google directory for the benchmark and `roster demo`:
 * by default 100,000 users, 5,000 groups and 500,000 direct memberships.
 *
 * Group sizes are mixed on purpose: one group in ten has `largeGroupSize`
 * members (several 200-member pages), the rest share what is left (one page
 * each), so the member listing exercises paging the way real tenants do. One
 * group in fifty also nests the next group, and the first group holds the
 * CUSTOMER member (everyone), which counts as one membership.
 */
import { FakeGoogleDirectory, type FakeMember } from './directory.js';
import { prng } from '../prng.js';

export interface LargeDirectoryOptions {
  users?: number;
  groups?: number;
  memberships?: number;
  largeGroupSize?: number;
  customerId?: string;
  domain?: string;
  /** Seed of the pseudo-random member choice; the same seed gives the same directory. */
  seed?: number;
}

const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lee'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Support', 'Legal'];


export function createLargeGoogleDirectory(options: LargeDirectoryOptions = {}): FakeGoogleDirectory {
  const userCount = options.users ?? 100_000;
  const groupCount = options.groups ?? 5_000;
  const membershipCount = options.memberships ?? 500_000;
  const largeSize = Math.min(options.largeGroupSize ?? 500, userCount);
  const random = prng(options.seed ?? 42);
  const dir = new FakeGoogleDirectory({ customerId: options.customerId, domain: options.domain });

  const userIds: string[] = new Array<string>(userCount);
  for (let i = 0; i < userCount; i++) {
    const given = GIVEN[i % GIVEN.length]!;
    const family = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]!;
    const user = dir.addUser({
      id: `1${String(i).padStart(20, '0')}`,
      primaryEmail: `u${i}@${dir.domain}`,
      name: { givenName: given, familyName: `${family}${i}` },
      suspended: i % 100 === 99,
      archived: i % 500 === 498,
      organizations: [{ title: 'Engineer', department: DEPARTMENTS[i % DEPARTMENTS.length]!, primary: true }],
      externalIds: [{ value: `E${i}`, type: 'organization' }],
    });
    userIds[i] = user.id;
  }

  const groupIds: string[] = [];
  for (let g = 0; g < groupCount; g++) {
    groupIds.push(dir.addGroup({ id: `03g${String(g).padStart(12, '0')}`, email: `g${g}@${dir.domain}`, name: `Group ${g}` }).id);
  }

  // Extra entries first (CUSTOMER, nesting), then users until the total is reached.
  let remaining = membershipCount;
  if (groupCount > 0 && remaining > 0) {
    dir.pushMembers(groupIds[0]!, [{ id: dir.customerId, type: 'CUSTOMER', role: 'MEMBER', status: 'ACTIVE' }]);
    remaining -= 1;
  }
  for (let g = 0; g + 1 < groupCount && remaining > 0; g += 50) {
    dir.pushMembers(groupIds[g]!, [{ id: groupIds[g + 1]!, email: `g${g + 1}@${dir.domain}`, type: 'GROUP', role: 'MEMBER', status: 'ACTIVE' }]);
    remaining -= 1;
  }
  const large = groupIds.filter((_, g) => g % 10 === 0);
  const small = groupIds.filter((_, g) => g % 10 !== 0);
  const largeTotal = Math.min(remaining, large.length * largeSize);
  const sizes = new Map<string, number>();
  large.forEach((id) => sizes.set(id, Math.floor(largeTotal / Math.max(large.length, 1))));
  const rest = remaining - [...sizes.values()].reduce((a, b) => a + b, 0);
  small.forEach((id, k) => sizes.set(id, Math.floor(rest / small.length) + (k < rest % small.length ? 1 : 0)));
  if (small.length === 0 && large.length > 0) sizes.set(large[0]!, sizes.get(large[0]!)! + rest);

  for (const [groupId, size] of sizes) {
    // Consecutive users from a random start: distinct members, cheap to draw.
    const start = Math.floor(random() * userCount);
    const entries: FakeMember[] = new Array<FakeMember>(Math.min(size, userCount));
    for (let k = 0; k < entries.length; k++) {
      const i = (start + k) % userCount;
      entries[k] = { id: userIds[i]!, email: `u${i}@${dir.domain}`, type: 'USER', role: 'MEMBER', status: 'ACTIVE' };
    }
    dir.pushMembers(groupId, entries);
  }
  return dir;
}
