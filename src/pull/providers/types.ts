/**
 * The contract every IdP adapter implements. A provider turns one IdP's API
 * into the common model below and streams it page by page; it never diffs,
 * never writes, and never holds the whole directory in memory. The
 * reconciler (src/pull/reconcile) owns planning, guarding and applying.
 *
 * The official SDK of an IdP is imported only inside its provider's folder.
 */
import type { Logger } from '../../core/logging/index.js';

/** A user as every IdP is mapped to it (see ../shared/IDP-NOTES.md, "Common model"). */
export interface DirectoryUser {
  /** The IdP's stable id (Graph `id`, Okta `id`, Google `id`). */
  externalId: string;
  userName: string;
  email: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  /** False when the IdP disabled the user (Entra accountEnabled:false, Okta SUSPENDED/DEPROVISIONED, Google suspended/archived). */
  active: boolean;
  /** The IdP's own state word, verbatim (Okta `STAGED`, Google `archived`...), for reports and debugging. */
  status?: string;
  /** Further attributes in SCIM shape (title, phoneNumbers, enterprise extension...). */
  profile?: Record<string, unknown>;
  /**
   * The IdP's raw user record, only when the connection has attribute
   * expressions (ProviderContext.sourceAttributes): they are evaluated over it
   * (./expressions.ts), and it is dropped right after.
   */
  source?: Record<string, unknown>;
  /** Named custom attributes, set by the connection's expressions; absent when it has none. */
  customAttributes?: Record<string, unknown> | null;
}

/**
 * Which field of an IdP's user record feeds each field of the common model
 * (`connection settings.attributeMapping`); each provider has its own defaults.
 */
export interface AttributeMapping {
  userName: string;
  email: string;
  displayName: string;
  givenName: string;
  familyName: string;
}

export interface DirectoryGroup {
  externalId: string;
  displayName: string;
  profile?: Record<string, unknown>;
}

/**
 * What a provider reports, one API page at a time. Membership facts name
 * direct members only; the reconciler flattens nested groups.
 */
export type DirectoryEvent =
  /** The user exists with these attributes (a full snapshot lists every user once). */
  | { type: 'user'; user: DirectoryUser }
  /** Delta only: the user is gone. `deleted` = really deleted (hard delete); `soft-deleted` = restorable (deactivate). */
  | { type: 'user.removed'; externalId: string; reason: 'deleted' | 'soft-deleted' }
  | { type: 'group'; group: DirectoryGroup }
  /** Delta only: the group is gone. */
  | { type: 'group.removed'; externalId: string }
  /**
   * Direct members of a group. `set`: this page starts the complete member list
   * (later `add` events for the same group continue it); `add`/`remove`: a delta.
   * In a full snapshot, a group's members are exactly the union of its `set` and
   * `add` events.
   */
  | {
      type: 'members';
      groupExternalId: string;
      mode: 'set' | 'add' | 'remove';
      userExternalIds: string[];
      groupExternalIds: string[];
      /**
       * No further members event for this group follows in this listing: its
       * list is whole. Optional: a provider that cannot know leaves it out. It
       * lets the reconciler write a new group's memberships while the listing
       * goes on (early-creates.ts).
       */
      last?: boolean;
    };

export type SyncMode = 'full' | 'delta';

export interface DirectoryRun {
  /** 'full' when the provider listed everything (also when a delta cursor was rejected and it started over). */
  mode: SyncMode;
  /** One array per API page. Throws (a ProviderError) when a page fails after retries: the run is then incomplete. */
  pages: AsyncIterable<DirectoryEvent[]>;
  /** After `pages` is exhausted: the cursor to store for the next delta run (null = the IdP has no delta). */
  nextCursor(): unknown;
}

export interface OneUserLookup {
  userName?: string;
  email?: string;
  externalId?: string;
}

export interface UserWithGroups {
  user: DirectoryUser;
  /** Groups the user is in, directly or through nesting where the IdP says so. */
  groups: DirectoryGroup[];
}

export interface ConnectionTestResult {
  ok: boolean;
  /** One line per check: what was checked and what is missing ("Graph permission Group.Read.All not granted"). */
  checks: Array<{ name: string; ok: boolean; detail?: string }>;
}

/** Counters a provider feeds; the sync report and metrics read them. */
export interface ProviderStats {
  apiRequests: number;
  /** Responses that were throttled (429, 403 rateLimitExceeded) and waited for. */
  throttled: number;
}

export interface ProviderContext {
  /** Non-secret settings of the connection, validated by src/pull/providers/connection-settings.ts. */
  settings: Record<string, unknown>;
  /** Decrypted secret settings (clientSecret, apiToken, privateKey, serviceAccountKey). */
  secrets: Record<string, unknown>;
  logger: Logger;
  stats: ProviderStats;
  /** How many requests to the IdP may run at once for this connection (default 4). */
  concurrency: number;
  signal?: AbortSignal;
  /**
   * Set when the connection has attribute expressions: the top-level
   * attributes of the IdP's user record they read. The provider then requests
   * them too (Graph `$select`, Google's projection, LDAP's attribute list)
   * and puts each user's raw record in `DirectoryUser.source`. Absent: no
   * raw record is kept.
   */
  sourceAttributes?: readonly string[];
}

/** `user` with its raw record attached when the connection's expressions need it (see ProviderContext.sourceAttributes). */
export function withSource(user: DirectoryUser, raw: unknown, keep: unknown): DirectoryUser {
  if (keep && raw && typeof raw === 'object') user.source = raw as Record<string, unknown>;
  return user;
}

export interface DirectoryProvider {
  /** Check credentials and permissions, saying exactly what is missing. */
  test(): Promise<ConnectionTestResult>;
  /**
   * A run: `cursor` null (or `full: true`) = a full snapshot; otherwise the
   * changes since the cursor. Providers without a delta always run full.
   */
  run(options: { cursor: unknown; full?: boolean }): Promise<DirectoryRun>;
  /** One user and their groups, live (the login hook). Null when the IdP has no such user. */
  fetchUser(lookup: OneUserLookup): Promise<UserWithGroups | null>;
}

export type ProviderFactory = (context: ProviderContext) => DirectoryProvider;

/** One error class per way an IdP call fails; each keeps `cause`. */
export type ProviderErrorKind = 'network' | 'rate-limited' | 'auth' | 'permission' | 'not-found' | 'bad-response' | 'cursor-expired';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.status = options.status;
  }
  readonly status: number | undefined;
}
