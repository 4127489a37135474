/**
 * Full and delta runs of the active-directory flavor.
 *
 * Full: users (paged), a cheap listing of group DNs (so that a member DN can
 * be told a user from a nested group), then the groups with `member` inline:
 * AD answers up to 1,500 values (MaxValRange) whole, and the first 1,500 of a
 * bigger group as `member;range=0-1499`, whose rest is read with ranged
 * retrieval (./members.ts). So a full run costs a few paged searches plus one
 * read per 1,500 members beyond the first 1,500 of a big group.
 *
 * Primary groups (`includePrimaryGroup`): AD leaves a user out of the
 * `member` of their primary group (primaryGroupID, the RID of the group's
 * objectSid in the user's domain). Full: the user listing says whose primary
 * group each group is. Delta: a changed user is added to their primary group
 * (a new user, or one whose primaryGroupID changed), and a changed group's
 * set takes its primary members from a search by primaryGroupID (AD adds a
 * user to the old group's `member` when the primary group changes, so both
 * groups change).
 *
 * Delta: `uSNChanged` above the cursor's highestCommittedUSN, for users and
 * for groups (a changed group's members read whole again), on the same DC and
 * database incarnation only: USNs are per DC, and a DC restored from backup
 * gets a new invocationId and reuses USNs. Another DC (a failover URL) or
 * another invocationId runs full. Deletions come from tombstones (Show
 * Deleted), reported last, after every listing was read to its end; a
 * deleted user's memberships go with the user (Samba does not bump the
 * group's uSNChanged when a deleted member leaves it). DirSync would need
 * "Replicating Directory Changes"; uSNChanged and tombstones need only read
 * access, hence this choice.
 */
import { AndFilter, Control, EqualityFilter, FilterParser, type Client, type Entry } from 'ldapts';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { DirectoryEvent, DirectoryRun } from '../../types.js';
import { toProviderError } from '../client.js';
import { allOf, emptyIndex, escapeValue, firstOf, normalDn, type DirectoryIndex } from '../map.js';
import { SkippedSubtrees } from '../referrals.js';
import { countedPages, listing, noteReferences, type RunDeps } from '../run.js';
import type { LdapSettings } from '../settings.js';
import { BINARY_ATTRIBUTES, searchChangedSince, searchTombstones, SHOW_DELETED_OID } from './changes.js';
import { readDcState, type DcState } from './dc-state.js';
import { AD_GROUP_LISTING_ATTRIBUTES, adId, adSid, adUserAttributes, mapAdGroup, mapAdUser, primaryGroupSidOf } from './map.js';
import { continueMembers } from './members.js';
import { ridOf, sidBytes } from './sid.js';

const cursorSchema = z.strictObject({
  v: z.literal(1),
  flavor: z.literal('active-directory'),
  baseDn: z.string(),
  /** The DC's NTDS Settings DN (rootDSE dsServiceName): USNs mean something on that DC only. */
  dcDn: z.string(),
  invocationId: z.string(),
  /** The DC's highestCommittedUSN read before the last run's listings: the next delta asks for uSNChanged above it. */
  highestCommittedUsn: z.number().int().nonnegative(),
});
export type AdCursor = z.infer<typeof cursorSchema>;

export function parseAdCursor(cursor: unknown, settings: LdapSettings): AdCursor | null {
  const parsed = cursorSchema.safeParse(cursor);
  if (!parsed.success || normalDn(parsed.data.baseDn) !== normalDn(settings.baseDn)) return null;
  return parsed.data;
}

/** The naming context holding the base DN (its CN=Deleted Objects holds the tombstones): the longest rootDSE namingContexts value the base DN ends with. */
export async function namingContextOf(client: Client, baseDn: string): Promise<string> {
  const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['namingContexts', 'defaultNamingContext'] });
  const root = searchEntries[0];
  const base = normalDn(baseDn);
  const holding = (root ? allOf(root, 'namingContexts') : []).filter((nc) => base === normalDn(nc) || base.endsWith(`,${normalDn(nc)}`));
  return holding.sort((a, b) => b.length - a.length)[0] ?? (root && firstOf(root, 'defaultNamingContext')) ?? baseDn;
}

/**
 * Whether the bind DN may read tombstones: the attributes of CN=Deleted
 * Objects, read with Show Deleted, come back. Without the right (checked on
 * Samba: a plain domain user) the container answers with its DN and nothing
 * else, and a search under it finds no tombstone, with no error: a delta
 * would miss every deletion silently. (AD may instead answer noSuchObject.)
 */
export async function tombstonesReadable(client: Client, namingContext: string): Promise<boolean> {
  try {
    const { searchEntries } = await client.search(`CN=Deleted Objects,${namingContext}`, { scope: 'base', filter: '(objectClass=*)', attributes: ['objectClass'] }, new Control(SHOW_DELETED_OID, { critical: true }));
    return searchEntries[0] !== undefined && allOf(searchEntries[0], 'objectClass').length > 0;
  } catch (e) {
    const pe = toProviderError(e, 'reading CN=Deleted Objects');
    if (pe.kind === 'not-found' || pe.kind === 'permission') return false;
    throw pe;
  }
}

async function call<T>(deps: RunDeps, what: string, requests: number, read: () => Promise<T>): Promise<T> {
  deps.context.stats.apiRequests += requests;
  try {
    return await read();
  } catch (e) {
    throw toProviderError(e, what);
  }
}

export async function startAdRun(runDeps: RunDeps, stored: AdCursor | null, done: () => Promise<void>): Promise<DirectoryRun> {
  // AD refers a domain-root search to its DNS and configuration partitions, which referrals.ts passes over.
  const skipped = new SkippedSubtrees('active-directory');
  const deps: RunDeps = { ...runDeps, skipped };
  const { client, context, settings } = deps;
  const now = new Date();
  let state: DcState;
  let namingContext: string;
  let cursor = stored;
  try {
    // Read before any listing: a change made while the run lists is seen again by the next delta.
    state = await call(deps, 'reading the DC state (dsServiceName, invocationId, highestCommittedUSN)', 2, () => readDcState(client));
    namingContext = await call(deps, 'reading the naming contexts', 1, () => namingContextOf(client, settings.baseDn));
    if (cursor && (cursor.dcDn !== state.dcDn || cursor.invocationId !== state.invocationId)) {
      const why = cursor.dcDn !== state.dcDn ? `another domain controller answers (${state.dcDn}, the cursor is from ${cursor.dcDn})` : `the DC's invocationId changed (${cursor.invocationId} → ${state.invocationId}: restored from backup)`;
      context.logger.warn(`Active Directory delta not possible: ${why}; running a full snapshot`);
      cursor = null;
    }
    if (cursor && !(await call(deps, 'reading CN=Deleted Objects', 1, () => tombstonesReadable(client, namingContext)))) {
      context.logger.warn(`Active Directory delta not possible: ${settings.bindDn} cannot read tombstones (CN=Deleted Objects,${namingContext}), so a delta would miss deletions; running a full snapshot`);
      cursor = null;
    }
  } catch (e) {
    await done();
    throw e;
  }

  const index: DirectoryIndex = emptyIndex();
  /** Member DNs that name nothing in scope (outside the base DN or the filters). */
  const outside = new Set<string>();
  /** Group SID → the ids of the listed users whose primary group it is. */
  const primaryMembers = new Map<string, Set<string>>();
  /** Delta: group SID → its external id (null: no group in scope has it). */
  const groupBySid = new Map<string, string | null>();
  let finished = false;
  const limit = pLimit(Math.max(1, context.concurrency));

  async function* userPages(pages: AsyncGenerator<Entry[]>): AsyncGenerator<DirectoryEvent[]> {
    for await (const entries of pages) {
      const events: DirectoryEvent[] = [];
      for (const entry of entries) {
        const user = mapAdUser(entry, settings, now);
        if (!user) continue;
        index.userByDn.set(normalDn(entry.dn), user.externalId);
        events.push({ type: 'user', user });
        const primary = settings.includePrimaryGroup ? primaryGroupSidOf(entry) : undefined;
        if (primary) primaryMembers.set(primary, (primaryMembers.get(primary) ?? new Set()).add(user.externalId));
      }
      if (events.length) yield events;
    }
  }

  /** In a delta, member DNs not met yet are looked up, 50 to a search per filter. */
  async function resolve(dns: string[]): Promise<void> {
    const unknown = [...new Set(dns.map(normalDn))].filter((k) => !index.userByDn.has(k) && !index.groupByDn.has(k) && !outside.has(k));
    for (let i = 0; i < unknown.length; i += 50) {
      const batch = unknown.slice(i, i + 50);
      const byDn = `(|${batch.map((dn) => `(distinguishedName=${escapeValue(dn)})`).join('')})`;
      for (const [into, filter] of [[index.userByDn, settings.userFilter], [index.groupByDn, settings.groupFilter]] as const) {
        for await (const entries of listing(deps, 'looking up member DNs', `(&${filter}${byDn})`, ['objectGUID'], ['objectGUID'])) {
          for (const entry of entries) into.set(normalDn(entry.dn), adId(entry));
        }
      }
      for (const k of batch) if (!index.userByDn.has(k) && !index.groupByDn.has(k)) outside.add(k);
    }
  }

  /** Delta: the users in scope whose primary group has this SID (a search by its RID, checked against the user's domain). */
  async function primaryMembersOf(groupSid: string): Promise<string[]> {
    const ids: string[] = [];
    const filter = `(&${settings.userFilter}(primaryGroupID=${ridOf(groupSid)}))`;
    for await (const entries of listing(deps, `listing the users whose primary group is ${groupSid}`, filter, ['objectGUID', 'objectSid', 'primaryGroupID'], BINARY_ATTRIBUTES)) {
      for (const entry of entries) if (primaryGroupSidOf(entry) === groupSid) ids.push(adId(entry));
    }
    return ids;
  }

  /** Delta: the group in scope with this objectSid (compared as bytes: a filter string would encode them as UTF-8). */
  async function groupWithSid(sid: string): Promise<string | null> {
    if (!groupBySid.has(sid)) {
      const filter = new AndFilter({ filters: [FilterParser.parseString(settings.groupFilter), new EqualityFilter({ attribute: 'objectSid', value: sidBytes(sid) })] });
      let found: string | null = null;
      for await (const entries of listing(deps, `looking up the group ${sid}`, filter, ['objectGUID'], BINARY_ATTRIBUTES)) found = entries[0] ? adId(entries[0]) : found;
      groupBySid.set(sid, found);
    }
    return groupBySid.get(sid) ?? null;
  }

  async function membersEvent(entry: Entry, groupExternalId: string): Promise<DirectoryEvent> {
    // Only a group cut at MaxValRange costs more reads, each counted.
    const dns = await call(deps, `reading the members of ${entry.dn}`, 0, () => continueMembers(client, entry, () => context.stats.apiRequests++));
    if (cursor) await resolve(dns);
    const users = new Set<string>();
    const groups = new Set<string>();
    for (const dn of dns) {
      const k = normalDn(dn);
      const user = index.userByDn.get(k);
      const group = index.groupByDn.get(k);
      if (user) users.add(user);
      else if (group) groups.add(group);
    }
    if (settings.includePrimaryGroup) {
      const sid = adSid(entry);
      for (const id of cursor ? await primaryMembersOf(sid) : (primaryMembers.get(sid) ?? [])) users.add(id);
    }
    return { type: 'members', groupExternalId, mode: 'set', userExternalIds: [...users], groupExternalIds: [...groups] };
  }

  async function* groupPages(pages: AsyncGenerator<Entry[]>): AsyncGenerator<DirectoryEvent[]> {
    for await (const entries of pages) {
      const pairs = await Promise.all(entries.map((entry) => limit(async () => {
        const group = mapAdGroup(entry);
        return [{ type: 'group', group }, await membersEvent(entry, group.externalId)] satisfies DirectoryEvent[];
      })));
      if (pairs.length) yield pairs.flat();
    }
  }

  const changedSince = (what: string, filter: string, usn: number, attributes: string[]) =>
    countedPages(deps, what, searchChangedSince(client, settings.baseDn, filter, usn, settings.pageSize, attributes, (urls) => noteReferences(deps, urls)));

  async function* pages(): AsyncGenerator<DirectoryEvent[]> {
    try {
      if (!cursor) {
        yield* userPages(listing(deps, 'listing Active Directory users', settings.userFilter, adUserAttributes(settings), BINARY_ATTRIBUTES));
        for await (const entries of listing(deps, 'listing Active Directory group ids', settings.groupFilter, ['objectGUID'], BINARY_ATTRIBUTES)) {
          for (const entry of entries) index.groupByDn.set(normalDn(entry.dn), adId(entry));
        }
        yield* groupPages(listing(deps, 'listing Active Directory groups', settings.groupFilter, AD_GROUP_LISTING_ATTRIBUTES, BINARY_ATTRIBUTES));
        skipped.assertNone();
      } else {
        const usn = cursor.highestCommittedUsn;
        yield* userPages(changedSince('listing changed Active Directory users', settings.userFilter, usn, adUserAttributes(settings)));
        yield* groupPages(changedSince('listing changed Active Directory groups', settings.groupFilter, usn, AD_GROUP_LISTING_ATTRIBUTES));
        // A changed user joins their primary group: a new user, or one whose primaryGroupID changed.
        const joined: DirectoryEvent[] = [];
        for (const [sid, users] of primaryMembers) {
          const groupExternalId = await groupWithSid(sid);
          if (groupExternalId) joined.push({ type: 'members', groupExternalId, mode: 'add', userExternalIds: [...users], groupExternalIds: [] });
        }
        if (joined.length) yield joined;
        // Before any removal: a user in a subtree the listings could not read is not gone.
        skipped.assertNone();
        const tombstones = await call(deps, 'reading tombstones (CN=Deleted Objects)', 1, () => searchTombstones(client, namingContext, usn, settings.pageSize));
        // Only what lived under the base DN was ours; the filters cannot be checked on a tombstone (it loses objectCategory).
        const base = normalDn(settings.baseDn);
        const ours = tombstones.filter((t) => t.lastKnownParent !== undefined && `,${normalDn(t.lastKnownParent)}`.endsWith(`,${base}`));
        const removed = ours.map((t): DirectoryEvent => (t.kind === 'group' ? { type: 'group.removed', externalId: t.objectGuid } : { type: 'user.removed', externalId: t.objectGuid, reason: 'deleted' }));
        if (removed.length) yield removed;
      }
      finished = true;
    } finally {
      await done();
    }
  }

  return {
    mode: cursor ? 'delta' : 'full',
    pages: pages(),
    nextCursor(): AdCursor | null {
      if (!finished) return null;
      return { v: 1, flavor: 'active-directory', baseDn: settings.baseDn, dcDn: state.dcDn, invocationId: state.invocationId, highestCommittedUsn: state.highestCommittedUsn };
    },
  };
}
