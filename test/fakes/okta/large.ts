/**
 * Generated directories for the benchmark, `roster demo` and paging tests.
 * Deterministic (seeded PRNG) and cheap: 100,000 users, 5,000 groups and
 * 500,000 memberships build in well under two seconds.
 */
import { FakeDirectory, type OktaUserStatus } from './directory.js';
import { prng } from '../prng.js';

export { prng };

export interface GeneratedDirectoryOptions {
  users: number;
  groups: number;
  /** Total direct memberships, spread over the groups (some groups much larger than 1,000, to page). */
  memberships: number;
  seed?: number;
  /** `lastUpdated` of generated records is spread over this many days before now (default 365). */
  ageDays?: number;
  domain?: string;
}


const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim', 'Margaret', 'John'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee', 'Hamilton', 'McCarthy'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Support', 'Marketing', 'Legal', 'People'];
/** Roughly what a real org looks like: mostly ACTIVE, a few of every other state. */
const STATUS_WEIGHTS: Array<[OktaUserStatus, number]> = [
  ['ACTIVE', 0.9],
  ['SUSPENDED', 0.03],
  ['DEPROVISIONED', 0.03],
  ['LOCKED_OUT', 0.01],
  ['PASSWORD_EXPIRED', 0.01],
  ['RECOVERY', 0.005],
  ['PROVISIONED', 0.01],
  ['STAGED', 0.005],
];

export function generateDirectory(options: GeneratedDirectoryOptions, into = new FakeDirectory()): FakeDirectory {
  const rand = prng(options.seed ?? 42);
  const domain = options.domain ?? 'example.com';
  const now = into.now();
  const span = (options.ageDays ?? 365) * 86_400_000;
  // At least an hour old, so a delta right after a snapshot (overlap: minutes) sees none of them.
  const past = () => now - 3_600_000 - Math.floor(rand() * span);

  const userIds: string[] = new Array(options.users);
  for (let i = 0; i < options.users; i++) {
    let r = rand();
    let status: OktaUserStatus = 'ACTIVE';
    for (const [s, w] of STATUS_WEIGHTS) {
      if ((r -= w) < 0) {
        status = s;
        break;
      }
    }
    const firstName = FIRST[i % FIRST.length]!;
    const lastName = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const login = `user${i}@${domain}`;
    userIds[i] = into.addUser({
      status,
      lastUpdated: past(),
      profile: {
        login,
        email: login,
        firstName,
        lastName,
        displayName: `${firstName} ${lastName} ${i}`,
        title: i % 10 === 0 ? 'Manager' : 'Engineer',
        department: DEPARTMENTS[i % DEPARTMENTS.length],
        employeeNumber: String(100000 + i),
        mobilePhone: null,
      },
    }).id;
  }

  // Group sizes: one in fifty groups is ten times the average, the rest share what is left.
  const g = options.groups;
  const sizes: number[] = new Array(g).fill(0);
  let left = options.memberships;
  const avg = options.memberships / Math.max(1, g);
  for (let i = 0; i < g && left > 0; i++) {
    const want = i % 50 === 0 ? Math.round(avg * 10) : Math.round(avg * (0.2 + rand() * 1.2));
    sizes[i] = Math.min(want, options.users, left);
    left -= sizes[i]!;
  }
  for (let i = 0; left > 0 && g > 0; i = (i + 1) % g) {
    const add = Math.min(left, options.users - sizes[i]!, Math.ceil(avg));
    sizes[i] = sizes[i]! + add;
    left -= add;
  }

  for (let i = 0; i < g; i++) {
    const at = past();
    const group = into.addGroup({ name: `Group ${i} ${DEPARTMENTS[i % DEPARTMENTS.length]}`, description: `Generated group ${i}`, lastUpdated: at });
    // A contiguous run of users from a random offset: unique members without a Set of candidates.
    const start = Math.floor(rand() * options.users);
    for (let k = 0; k < sizes[i]!; k++) group.members.add(userIds[(start + k) % options.users]!);
    group.lastMembershipUpdated = at;
  }
  return into;
}
