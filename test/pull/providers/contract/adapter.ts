/**
 * What the provider contract suite needs from each IdP, and nothing more: how
 * to seed and program that IdP's fake, how to build the real provider against
 * it, and, where the IdP genuinely differs, which documented behaviour stands
 * in for the common one (Okta has no nested groups, Google has no delta...).
 *
 * The suite (../contract.test.ts) holds the behaviours; an adapter never says
 * what a provider returns, only what the IdP holds and what the IdP documents.
 */
import type { AttributeMapping, DirectoryProvider, ProviderStats } from '../../../../src/pull/providers/types.js';
import type { ProviderKind } from '../../../../src/pull/providers/index.js';

/** A person as the suite seeds them; each adapter writes them into its IdP's own fields. */
export interface PersonSpec {
  /** Local part of the sign-in name; the login is `${name}@${fake.domain}`. */
  name: string;
  givenName: string;
  familyName: string;
  displayName: string;
  /** A mailbox apart from the login, where the IdP has such a field (Entra `mail`, Okta `email`). */
  email: string;
  /** Values for the IdP fields that `alternateMapping` names. */
  alt: { userName: string; email: string; displayName: string };
  /** One of the adapter's `userStates` (default: the first, an active account). */
  state?: string;
}

export type Resource = 'users' | 'groups';

/** A listing the provider reads: members are per-group (or per-project) listings, or come inline with the groups (Entra). */
export type Listing = Resource | 'members';

/** What an injected fault answers: a 500, a dropped connection, or a throttle asking for no wait. */
export type InjectedFault = '500' | 'drop' | '429';

/** Requests the fake saw, by what they were for. */
export interface RequestTally {
  /** Token, discovery and other sign-in requests. */
  auth: number;
  /** Pages of the user listing. */
  users: number;
  /** Pages of a separate listing of deleted users (Google `showDeleted`). */
  deletedUsers: number;
  /** Pages of the group listing (Entra: groups/delta, members included). */
  groups: number;
  /** Pages of member listings (per group, or per project). */
  members: number;
  other: number;
}

export interface ProviderOptions {
  settings?: Record<string, unknown>;
  concurrency?: number;
  /**
   * `rejected`: credentials the IdP does not accept (a wrong secret, a revoked token, an unknown key);
   * `missing`: no secret at all (settings stored without going through src/pull/providers/connection-settings.ts).
   */
  credentials?: 'valid' | 'rejected' | 'missing';
}

export interface ProviderHandle {
  provider: DirectoryProvider;
  stats: ProviderStats;
}

/** A running fake of one IdP, seeded and programmed in the suite's terms. */
export interface ContractFake {
  readonly domain: string;
  /** Users the directory holds before the suite seeds any (Google: the admin the service account acts as). */
  readonly baselineUserIds: readonly string[];
  addUser(person: PersonSpec): string;
  setState(userId: string, state: string): void;
  rename(userId: string, displayName: string): void;
  /** Sets a custom attribute the IdP's way (an Entra extension attribute, an Okta profile attribute, a Google custom schema field...). */
  setCustomAttribute(userId: string, value: string): void;
  addGroup(name: string): string;
  /** A `group` member throws where the IdP has no nesting or refuses the nesting (a cycle where cycles are refused). */
  addMember(groupId: string, member: { user: string } | { group: string }): void;
  removeMember(groupId: string, memberId: string): void;
  deleteGroup(groupId: string): void;
  /**
   * Time passes: everything so far is older than the next listing's
   * watermark overlap (only Okta's watermarks look at the clock).
   */
  settle(): void;
  connect(options?: ProviderOptions): ProviderHandle;
  /**
   * Settings and secrets for `connection.create` against this fake, retrying
   * a few milliseconds apart (through the operations layer, as an admin would).
   */
  connectionSettings(): Record<string, unknown>;
  tally(): RequestTally;
  resetRequests(): void;
  /** The fewest requests a full listing of the directory as it is now can make, at the provider's page sizes. */
  minimumRequests(): RequestTally;
  /** The second page of the resource's listing answers once with a throttle asking to wait about a second. */
  throttleOnce(resource: Resource): void;
  /** Every request of the resource's listing is throttled, for ever. */
  throttleForever(resource: Resource): void;
  /** Page `page` of the resource's listing fails (HTTP 500) every time. */
  failPersistently(resource: Resource, page: number): void;
  /**
   * `times` requests for page `page` of the listing answer with `fault`
   * (an inline listing's faults land on the listing that carries it).
   */
  inject(listing: Listing, page: number, fault: InjectedFault, times: number): void;
  /** Forget every injected fault, failure and throttle. */
  clearFaults(): void;
  /** The deepest page of the listing answered since resetRequests() (members: of any one group's listing). */
  pagesServed(listing: Listing): number;
  /** Requests to the API (not sign-in) since resetRequests() that got no 2xx answer. */
  faultsMet(): number;
  /** The credentials stay valid but may no longer read groups (a permission, scope or admin role withdrawn). */
  denyGroupReads(): void;
  /** Every API answer is delayed by this long (requests then overlap when a provider runs them at once). */
  setLatency(ms: number): void;
  /** The most requests the fake was handling at the same time. */
  maxInFlight(): number;
  close(): Promise<void>;
}

/** What a deletion in the IdP becomes in the common model. */
export type DeletionOutcome =
  | { seen: 'removed'; reason: 'deleted' | 'soft-deleted' }
  | { seen: 'inactive'; status: string }
  /** No event names the user. In a complete full listing that absence is itself the signal. */
  | { seen: 'not-listed' };

export interface DeletionFlavour {
  /** What the IdP calls it. */
  name: string;
  apply(fake: ContractFake, userId: string): void;
  /** Which run reveals it: a delta from a cursor taken before, or a full listing. */
  seenIn: 'delta' | 'full';
  outcome: DeletionOutcome;
}

export type Nesting =
  | { supported: true; cycles: 'listed' }
  | { supported: true; cycles: 'refused-by-idp'; source: string }
  | { supported: false; source: string };

export type Incremental =
  | {
      supported: true;
      /** Makes `cursor` unusable the IdP's way, and returns what to hand the provider. */
      invalidate(fake: ContractFake, cursor: unknown): unknown;
      /** Requests a delta costs when nothing changed. */
      noChangeRequests: number;
    }
  | { supported: false; source: string };

export interface FakeOptions {
  /** The fake serves at most this many items a page, whatever the provider asks for (small directories then span pages). */
  pageSize?: number;
}

export interface ContractAdapter {
  kind: ProviderKind;
  start(options?: FakeOptions): Promise<ContractFake>;
  /** Page sizes of a full listing, as the provider asks for them (or the IdP serves them). */
  pageSizes: { users: number; groups: number; members: number };
  /** Account states of the IdP, the first one a plain active account; `active`/`status` as DESIGN.md's common model says. */
  userStates: ReadonlyArray<{ state: string; active: boolean; status?: string }>;
  /**
   * `per-group`: one member listing per group, which the provider fans out up
   * to the connection's concurrency; `inline`: members come with the group
   * listing itself (Graph groups/delta `members@delta`), one page after the other;
   * `per-project`: a member listing of its own per container of groups, whose
   * records name the groups they belong to (Zitadel: a project's grants carry
   * the user's role keys), fanned out over the containers: the suite's one
   * container reads one page after the other.
   */
  memberListing: 'per-group' | 'inline' | 'per-project';
  /** Where the common `email` comes from by default: its own field, or the login (Google: primaryEmail). */
  defaultEmail: 'email' | 'login';
  /** The JSONata expression (src/core/mapping) that reads what `setCustomAttribute` set from the IdP's raw user record. */
  customAttributeExpression: string;
  /** An `attributeMapping` naming the IdP fields the adapter fills from `PersonSpec.alt`. */
  alternateMapping: Partial<AttributeMapping>;
  nesting: Nesting;
  /** Groups fetchUser reports: through nesting (Graph transitiveMemberOf) or direct only. */
  fetchUserGroups: 'transitive' | 'direct';
  deletions: readonly DeletionFlavour[];
  /** What a delta says of a group deleted since its cursor (IdPs without a delta: nothing to say). */
  groupDeletionInDelta: { reported: true } | { reported: false; source: string };
  incremental: Incremental;
}

export const NO_REQUESTS: RequestTally = { auth: 0, users: 0, deletedUsers: 0, groups: 0, members: 0, other: 0 };

export function totalOf(tally: RequestTally): number {
  return tally.auth + tally.users + tally.deletedUsers + tally.groups + tally.members + tally.other;
}

/** Pages a listing of `items` takes at `size` a page: an empty listing still costs one. */
export function pagesFor(items: number, size: number): number {
  return Math.max(1, Math.ceil(items / size));
}
