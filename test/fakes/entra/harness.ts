/**
 * Helpers for tests that drive the real Entra provider against FakeEntra:
 * a small readable tenant, a provider wired to the fake, and run collection.
 */
import { silentLogger } from '../../../src/core/logging/index.js';
import { createEntraProvider } from '../../../src/pull/providers/entra/index.js';
import type { DirectoryEvent, DirectoryProvider, DirectoryRun, ProviderStats } from '../../../src/pull/providers/types.js';
import type { FakeDirectory } from './directory.js';
import type { FakeEntra } from './server.js';

export interface SampleTenant {
  alice: string; bob: string; carol: string; dave: string;
  engineering: string; platform: string; everyone: string;
  /** Users only in `everyone` (the big group). */
  crowd: string[];
}

/** Four named users, a nested pair of groups and one big group of `crowd + 4` members. */
export function sampleTenant(dir: FakeDirectory, crowd = 0): SampleTenant {
  const user = (login: string, extra: Record<string, unknown> = {}) => dir.addUser({
    userPrincipalName: `${login}@contoso.example`, mail: `${login}@contoso.example`,
    displayName: login, givenName: login.split('.')[0]!, surname: login.split('.')[1] ?? null, ...extra,
  }).id;
  const t: SampleTenant = {
    alice: user('alice.liddell', { jobTitle: 'Engineer', department: 'R&D', employeeId: 'E1', mobilePhone: '+44 7700 900001' }),
    bob: user('bob.bobson', { accountEnabled: false }),
    carol: user("carol.o'neil"),
    dave: user('dave.null', { mail: null }),
    engineering: '', platform: '', everyone: '', crowd: [],
  };
  for (let i = 0; i < crowd; i++) t.crowd.push(user(`crowd.member${i}`));
  t.engineering = dir.addGroup({ displayName: 'Engineering' }).id;
  t.platform = dir.addGroup({ displayName: 'Platform' }).id;
  t.everyone = dir.addGroup({ displayName: 'Everyone' }).id;
  dir.addMember(t.engineering, t.alice);
  dir.addMember(t.engineering, t.bob);
  dir.addMember(t.engineering, t.platform); // nested group
  dir.addMember(t.platform, t.carol);
  for (const id of [t.alice, t.bob, t.carol, t.dave, ...t.crowd]) dir.addMember(t.everyone, id);
  return t;
}

export function entraProvider(fake: FakeEntra, options: {
  settings?: Record<string, unknown>; secrets?: Record<string, unknown>; concurrency?: number;
} = {}): { provider: DirectoryProvider; stats: ProviderStats } {
  const conn = fake.connection();
  const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
  const provider = createEntraProvider({
    settings: { ...conn.settings, ...options.settings },
    secrets: { ...conn.secrets, ...options.secrets },
    logger: silentLogger(),
    stats,
    concurrency: options.concurrency ?? 4,
  });
  return { provider, stats };
}

/** Every page of a run (throws what the pages iterator throws). */
export async function collect(run: DirectoryRun): Promise<DirectoryEvent[][]> {
  const pages: DirectoryEvent[][] = [];
  for await (const page of run.pages) pages.push(page);
  return pages;
}

/** Members of each group as a full snapshot describes them: the union of its set/add events. */
export function membersOf(events: DirectoryEvent[]): Map<string, { users: Set<string>; groups: Set<string>; modes: string[] }> {
  const out = new Map<string, { users: Set<string>; groups: Set<string>; modes: string[] }>();
  for (const e of events) {
    if (e.type !== 'members') continue;
    const m = out.get(e.groupExternalId) ?? { users: new Set(), groups: new Set(), modes: [] };
    m.modes.push(e.mode);
    for (const id of e.userExternalIds) m.users.add(id);
    for (const id of e.groupExternalIds) m.groups.add(id);
    out.set(e.groupExternalId, m);
  }
  return out;
}
