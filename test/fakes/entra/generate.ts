/**
 * Builds fake tenants: a small readable sample, or a big one for the benchmark
 * and `roster demo` (100,000 users, 5,000 groups, 500,000 links) in a few
 * seconds and without per-object garbage beyond the model itself. Deterministic
 * for a given seed, so figures are comparable between runs.
 */
import { FakeDirectory } from './directory.js';
import { prng } from '../prng.js';

export interface GenerateOptions {
  users: number;
  groups: number;
  /** Direct user → group links in total (duplicates are skipped and redrawn). */
  memberships: number;
  /** Every `nestEvery`-th group gets the next group as a nested member (0 = no nesting). Default 50. */
  nestEvery?: number;
  /** Every `disableEvery`-th user has accountEnabled false (0 = none). Default 25. */
  disableEvery?: number;
  seed?: number;
  domain?: string;
}


const GIVEN = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Linus'];
const FAMILY = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Ritchie', "O'Neil", 'Perlman'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Support', 'Legal', 'People'];

export function generateDirectory(options: GenerateOptions, directory = new FakeDirectory()): FakeDirectory {
  const random = prng(options.seed ?? 1);
  const domain = options.domain ?? 'contoso.example';
  const nestEvery = options.nestEvery ?? 50;
  const disableEvery = options.disableEvery ?? 25;
  directory.loadInitial(() => {
    const userIds: string[] = new Array(options.users);
    for (let i = 0; i < options.users; i++) {
      const given = GIVEN[i % GIVEN.length]!;
      const family = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]!;
      const login = `${given}.${family}.${i}`.toLowerCase().replace(/'/g, '');
      userIds[i] = directory.addUser({
        userPrincipalName: `${login}@${domain}`,
        mail: i % 10 === 9 ? null : `${login}@${domain}`, // some users have no mailbox: mail is null
        displayName: `${given} ${family}`,
        givenName: given,
        surname: family,
        accountEnabled: disableEvery > 0 ? i % disableEvery !== disableEvery - 1 : true,
        jobTitle: i % 3 === 0 ? 'Engineer' : null,
        department: DEPARTMENTS[i % DEPARTMENTS.length]!,
        employeeId: String(100000 + i),
        mobilePhone: null,
      }).id;
    }
    const groupIds: string[] = new Array(options.groups);
    for (let g = 0; g < options.groups; g++) groupIds[g] = directory.addGroup({ displayName: `Group ${g + 1}` }).id;
    if (options.groups === 0 || options.users === 0) return;
    let links = 0;
    let attempts = 0;
    while (links < options.memberships && attempts < options.memberships * 4) {
      attempts++;
      // Squaring skews towards low group numbers: a few big groups, many small ones, as in real tenants.
      const r = random();
      const group = directory.groups[Math.floor(r * r * options.groups)]!;
      const userId = userIds[Math.floor(random() * options.users)]!;
      if (group.members.has(userId)) continue;
      directory.addMember(group.id, userId);
      links++;
    }
    if (nestEvery > 0) {
      for (let g = 0; g + 1 < options.groups; g += nestEvery) directory.addMember(groupIds[g]!, groupIds[g + 1]!);
    }
  });
  return directory;
}
