/**
 * What the ldap provider's contract suite (../contract.test.ts) needs from a
 * real LDAP server, and nothing more: start it, seed and change entries the
 * way an administrator does on that server, break a listing part way, and
 * say what a restore looks like there. Each server (./slapd.ts, ./samba.ts)
 * writes these in its own terms; where the two really differ (AD's login is
 * the userPrincipalName, a disabled account, lookups through nesting), the
 * server says which of its documented behaviours the suite asserts instead.
 *
 * Entries are known by the id the provider reports, so a rename or a move keeps them.
 */
import { vi } from 'vitest';
import { silentLogger } from '../../../../../src/core/logging/index.js';
import { createLdapProvider } from '../../../../../src/pull/providers/ldap/index.js';
import type { DirectoryProvider, DirectoryUser, ProviderStats } from '../../../../../src/pull/providers/types.js';

export interface ConnectOptions {
  /** `big`: the OU holding only the big group and its members (the contract OU stays small, so its runs stay quick). */
  scope?: 'contract' | 'big';
  /** Through the cutting proxy (`dropUserListingAt`) rather than straight to the server. */
  throughProxy?: boolean;
  /** Extra provider settings (pageSize, baseDn...). */
  settings?: Record<string, unknown>;
  password?: string;
}

export interface Connected {
  provider: DirectoryProvider;
  stats: ProviderStats;
  /** What the provider logged as warnings (why a delta ran full...). */
  warnings: string[];
}

export interface LdapServer {
  /** The provider's flavor for this server. */
  readonly flavor: 'openldap' | 'active-directory';
  /** The contract's base DN: an OU with People and Staff OUs under it, and the groups. */
  readonly baseDn: string;
  connect(options?: ConnectOptions): Connected;
  /** A user under People: given name `name`, family name Contract, display name `${name} Person`, mail `${name}@roster.test`. */
  addUser(name: string): Promise<string>;
  /** A group holding these members (users' or groups' ids: a group id nests that group). */
  addGroup(name: string, memberIds: string[]): Promise<string>;
  /** A new RDN (the DN changes), and the display name follows as the server's admin tools make it. */
  rename(id: string, newName: string): Promise<void>;
  /** Move the entry to the Staff OU, RDN unchanged. */
  move(id: string): Promise<void>;
  disable(id: string): Promise<void>;
  enable(id: string): Promise<void>;
  /** Delete the entry (AD: it becomes a tombstone). */
  remove(id: string): Promise<void>;
  addMember(groupId: string, memberId: string): Promise<void>;
  removeMember(groupId: string, memberId: string): Promise<void>;
  /** Seeded at start, in its own OU (`scope: 'big'`): more members than AD returns in one read (1,500). */
  readonly bigGroup: { id: string; size: number };
  /** The next connection through the proxy drops at the nth request of a user listing (a page of it). */
  dropUserListingAt(nth: number): void;
  /** The cursor as this server looks after it was restored from a backup older than the cursor. */
  restored(cursor: unknown): unknown;
  readonly expected: {
    /** The login a user added as `name` is known by. */
    userName(name: string): string;
    /** The login after `rename(…, newName)` of a user added as `name` (AD: the UPN stays; OpenLDAP: the uid is the RDN). */
    userNameAfterRename(name: string, newName: string): string;
    /** The `status` a disabled account reports. */
    disabledStatus: string;
    /** The groups fetchUser reports: direct only, or through nesting too. */
    lookupGroups: 'direct' | 'transitive';
    /** What the provider warns when it sees a restore. */
    restoreWarning: RegExp;
  };
  stop(): Promise<void>;
}

/** The provider against `settings`, its warnings recorded. */
export function buildProvider(settings: Record<string, unknown>, password: string): Connected {
  const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
  const warnings: string[] = [];
  const logger = silentLogger();
  vi.spyOn(logger, 'warn').mockImplementation((message: unknown) => {
    warnings.push(String(message));
    return logger;
  });
  const provider = createLdapProvider({ settings, secrets: { bindPassword: password }, logger, stats, concurrency: 4 });
  return { provider, stats, warnings };
}

/** A contract user's mapped fields, the same on every server but for the login. */
export function contractPerson(name: string): Pick<DirectoryUser, 'email' | 'displayName' | 'givenName' | 'familyName'> {
  return { email: `${name}@roster.test`, displayName: `${name} Person`, givenName: name, familyName: 'Contract' };
}
