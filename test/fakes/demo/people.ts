/**
 * The people every generated demo sample is made of (OpenLDAP, Keycloak,
 * Zitadel, JumpCloud), and the stable ids they are given.
 *
 * The fakes make random ids (Keycloak UUIDs, JumpCloud ObjectIds) and a fresh
 * fake starts empty on every `roster demo`: ids drawn at random would make a
 * second demo on the same data folder see every user deleted and created
 * again. So the samples derive each id from what the entry is (a hash of its
 * name), the same on every start and every machine, as the seeded Entra, Okta
 * and Google generators do.
 */
import { createHash } from 'node:crypto';

const GIVEN = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Ken', 'Radia', 'Dennis', 'Margaret', 'Linus', 'Hedy'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Allen', 'Thompson', 'Perlman', 'Ritchie', 'Hamilton'];

export interface SamplePerson {
  index: number;
  given: string;
  family: string;
  /** Every 25th person: disabled, suspended or locked, as each IdP says it. */
  inactive: boolean;
  /** Indexes of the groups the person is a direct member of (three distinct ones). */
  groups: number[];
}

export interface SamplePeople {
  people: SamplePerson[];
  /** `size.groups`, but at least the mapped group and its nested one (Group 1, Group 2) exist. */
  groupCount: number;
}

/** The group each sample maps to the demo role; where the IdP nests groups, Group 2 is inside it. */
export const MAPPED_GROUP = 1;
export const NESTED_GROUP = 2;

/**
 * `size.users` people, each a direct member of 3 groups spread across
 * `groupCount` (about users × 3 memberships, as demoSize asks of the others).
 */
export function samplePeople(size: { users: number; groups: number }): SamplePeople {
  const groupCount = Math.max(NESTED_GROUP + 1, size.groups);
  // Three distinct groups per person: 0 < step < 2·step < groupCount.
  const step = Math.max(1, Math.floor(groupCount / 3));
  const people = Array.from({ length: size.users }, (_, i): SamplePerson => ({
    index: i,
    given: GIVEN[i % GIVEN.length]!,
    family: FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]!,
    inactive: i % 25 === 24,
    groups: [0, 1, 2].map((k) => (i + k * step) % groupCount),
  }));
  return { people, groupCount };
}

/** `ada.lovelace.0`: unique within a sample (the index), as a directory's login names are. */
export const handleOf = (p: SamplePerson): string => `${p.given}.${p.family}.${p.index}`.toLowerCase();

const digest = (name: string) => createHash('sha1').update(`roster-demo:${name.toLowerCase()}`).digest();

/** A name-based UUID (RFC 9562 §5.5, version 5 layout): stable across runs and machines. */
export function stableUuid(name: string): string {
  const h = digest(name);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `bytes` hex bytes derived from the name. */
export const stableHex = (name: string, bytes: number): string => digest(name).subarray(0, bytes).toString('hex');

/** An 18-digit id in the shape of Zitadel's (decimal, from its ID generator), derived from the name. */
export const stableNumericId = (name: string): string => String(10n ** 17n + (BigInt(`0x${stableHex(name, 8)}`) % (9n * 10n ** 17n)));

/** A sample served on loopback, as the demo starts it. */
export interface StartedSample {
  url: string;
  /** Settings and secrets for connection.create / connection.update. */
  settings: Record<string, unknown>;
  close(): Promise<void>;
}
