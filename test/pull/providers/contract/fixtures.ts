/**
 * Fixture factories and event readers for the provider contract suite: people
 * to seed, a directory shape that spans several pages of every listing, and
 * the common-model view of what a run streamed.
 */
import { afterEach, beforeEach } from 'vitest';
import type { DirectoryEvent, DirectoryRun, DirectoryUser } from '../../../../src/pull/providers/types.js';
import type { ContractAdapter, ContractFake, PersonSpec } from './adapter.js';

const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Radia'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Perlman'];
let sequence = 0;

/** A distinct person on every call (names, mailbox and alternate values all differ). */
export function person(overrides: Partial<PersonSpec> = {}): PersonSpec {
  sequence += 1;
  const given = GIVEN[sequence % GIVEN.length]!;
  const family = FAMILY[Math.floor(sequence / GIVEN.length) % FAMILY.length]!;
  const name = `${given}.${family}.${sequence}`.toLowerCase();
  return {
    name,
    givenName: given,
    familyName: family,
    displayName: `${given} ${family}`,
    email: `${name}@mail.example`,
    alt: { userName: `E-${100000 + sequence}`, email: `${name}@home.example`, displayName: `${given} no. ${sequence}` },
    ...overrides,
  };
}

export const loginOf = (fake: ContractFake, p: PersonSpec) => `${p.name}@${fake.domain}`;

export interface PagedDirectory {
  userIds: string[];
  groupIds: string[];
  /** A group with every seeded user: more members than one member page holds. */
  bigGroup: string;
}

/**
 * Users over more than two pages, groups over more than one page, one group
 * whose members span more than one member page, every other group with one member.
 */
export function seedPagedDirectory(fake: ContractFake, adapter: ContractAdapter): PagedDirectory {
  const { users, groups, members } = adapter.pageSizes;
  const userCount = Math.max(2 * users + 1, members + 1);
  const userIds = Array.from({ length: userCount }, () => fake.addUser(person()));
  const groupIds = Array.from({ length: groups + 1 }, (_, i) => fake.addGroup(`Team ${i}`));
  const bigGroup = groupIds[0]!;
  for (const id of userIds) fake.addMember(bigGroup, { user: id });
  groupIds.slice(1).forEach((g, i) => fake.addMember(g, { user: userIds[i % userIds.length]! }));
  return { userIds, groupIds, bigGroup };
}

export interface Listing {
  mode: DirectoryRun['mode'];
  pages: DirectoryEvent[][];
  events: DirectoryEvent[];
  /** What `nextCursor()` gave, or the error it threw. */
  cursor: { ok: true; value: unknown } | { ok: false; error: unknown };
  /** The error the pages threw, if the listing did not complete. */
  error: unknown;
}

/** Reads a run to its end (or its error), then asks for the cursor. */
export async function list(handle: { provider: { run: (o: { cursor: unknown; full?: boolean }) => Promise<DirectoryRun> } }, options: { cursor?: unknown; full?: boolean } = {}): Promise<Listing> {
  const run = await handle.provider.run({ cursor: options.cursor ?? null, ...(options.full ? { full: true } : {}) });
  const pages: DirectoryEvent[][] = [];
  let error: unknown = undefined;
  try {
    for await (const page of run.pages) pages.push(page);
  } catch (e) {
    error = e;
  }
  let cursor: Listing['cursor'];
  try {
    cursor = { ok: true, value: run.nextCursor() };
  } catch (e) {
    cursor = { ok: false, error: e };
  }
  return { mode: run.mode, pages, events: pages.flat(), cursor, error };
}

/**
 * A complete listing's cursor (throws with the listing's error otherwise),
 * as the next run gets it back: through JSON, since the reconciler keeps it
 * in the connection's jsonb `delta_cursor`.
 */
export function cursorOf(listing: Listing): unknown {
  if (listing.error) throw listing.error;
  if (!listing.cursor.ok) throw listing.cursor.error;
  return JSON.parse(JSON.stringify(listing.cursor.value ?? null)) as unknown;
}

export const usersIn = (events: DirectoryEvent[]): DirectoryUser[] => events.flatMap((e) => (e.type === 'user' ? [e.user] : []));
export const userById = (events: DirectoryEvent[], id: string) => usersIn(events).find((u) => u.externalId === id);
export const groupIdsIn = (events: DirectoryEvent[]) => events.flatMap((e) => (e.type === 'group' ? [e.group.externalId] : []));
export const memberEvents = (events: DirectoryEvent[], groupId?: string) =>
  events.filter((e): e is Extract<DirectoryEvent, { type: 'members' }> => e.type === 'members' && (groupId === undefined || e.groupExternalId === groupId));

/** Every event that names the user, in any role. */
export const eventsNaming = (events: DirectoryEvent[], id: string) =>
  events.filter((e) =>
    (e.type === 'user' && e.user.externalId === id) || (e.type === 'user.removed' && e.externalId === id) ||
    (e.type === 'members' && e.userExternalIds.includes(id)));

export interface DirectMembers {
  users: Set<string>;
  groups: Set<string>;
}

/**
 * Direct members per group after laying `events` over `before`, the way the
 * contract defines them: `set` starts a complete list, `add`/`remove` change it.
 */
export function foldMembers(events: DirectoryEvent[], before: Map<string, DirectMembers> = new Map()): Map<string, DirectMembers> {
  const out = new Map([...before].map(([g, m]) => [g, { users: new Set(m.users), groups: new Set(m.groups) }]));
  for (const e of events) {
    if (e.type === 'group.removed') out.delete(e.externalId);
    if (e.type !== 'members') continue;
    const m = e.mode === 'set' ? { users: new Set<string>(), groups: new Set<string>() } : (out.get(e.groupExternalId) ?? { users: new Set<string>(), groups: new Set<string>() });
    const apply = (set: Set<string>, ids: string[]) => ids.forEach((id) => (e.mode === 'remove' ? set.delete(id) : set.add(id)));
    apply(m.users, e.userExternalIds);
    apply(m.groups, e.groupExternalIds);
    out.set(e.groupExternalId, m);
  }
  return out;
}

/** A fresh fake for every test of the enclosing describe, closed after it. */
export function useFreshFake(adapter: ContractAdapter): () => ContractFake {
  let fake: ContractFake | undefined;
  beforeEach(async () => {
    fake = await adapter.start();
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  return () => fake!;
}

export const sorted = (ids: Iterable<string>) => [...ids].sort();
