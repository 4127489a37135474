/**
 * Full and delta runs over paged searches (RFC 2696, ldapts searchPaginated).
 *
 * Full: users, then a cheap listing of group DNs (so that a member DN can be
 * told a user from a nested group), then the groups with their members.
 * Delta: the changes since the stored watermark, `(entryCSN>=contextCSN)`
 * on OpenLDAP (syncprov keeps contextCSN on the suffix) or
 * `(modifyTimestamp>=…)` elsewhere; a `modifyTimestamp` filter never shows a
 * deletion, so a delta also lists every id (only the id attribute and the
 * DN) and compares it with the ids the cursor holds. Removals are reported
 * last, after every listing read to its end: a delta that cannot read the
 * whole id listing throws, and nobody is removed. A contextCSN behind the
 * cursor's (a restore from backup) runs full.
 *
 * Any failed page (a dropped connection, a timeout, sizeLimitExceeded)
 * throws a ProviderError: the run is incomplete and the reconciler
 * deactivates nobody. So does a listing that was handed a continuation
 * reference (another server holds part of the base DN, ./referrals.ts),
 * after the listings were read to their end and before any removal.
 */
import type { Client, Entry, Filter } from 'ldapts';
import { z } from 'zod';
import type { DirectoryEvent, DirectoryRun, ProviderContext } from '../types.js';
import { toProviderError } from './client.js';
import { allOf, emptyIndex, escapeValue, entryId, firstOf, GROUP_ATTRIBUTES, mapGroup, mapUser, membersOf, normalDn, userAttributes, type DirectoryIndex } from './map.js';
import { SkippedSubtrees } from './referrals.js';
import type { LdapSettings } from './settings.js';

const watermarkSchema = z.strictObject({ attribute: z.enum(['entryCSN', 'modifyTimestamp']), value: z.string().min(1) });
type Watermark = z.infer<typeof watermarkSchema>;

const cursorSchema = z.strictObject({
  v: z.literal(1),
  idAttribute: z.string(),
  baseDn: z.string(),
  watermark: watermarkSchema,
  /** Every user and group id the last run saw: deletions are what a delta's id listing no longer shows. */
  users: z.array(z.string()),
  groups: z.array(z.string()),
});
export type LdapCursor = z.infer<typeof cursorSchema>;

export function parseCursor(cursor: unknown, settings: LdapSettings): LdapCursor | null {
  const parsed = cursorSchema.safeParse(cursor);
  // A cursor from another base DN or id attribute names other ids: start over.
  if (!parsed.success || parsed.data.idAttribute !== settings.idAttribute || normalDn(parsed.data.baseDn) !== normalDn(settings.baseDn)) return null;
  return parsed.data;
}

export interface RunDeps {
  client: Client;
  context: ProviderContext;
  settings: LdapSettings;
  /** Where a run's listings note the continuation references they are handed; without it a reference fails the listing at once. */
  skipped?: SkippedSubtrees;
}

/** A page's continuation references, noted for the end of the run (or thrown now when nobody collects them). */
export function noteReferences(deps: RunDeps, urls: readonly string[]): void {
  if (urls.length === 0) return;
  const skipped = deps.skipped ?? new SkippedSubtrees(deps.settings.flavor);
  skipped.note(urls);
  if (!deps.skipped) skipped.assertNone();
}

/** Pages of a paged reading, checked for an abort, each counted as a request, a failure thrown as a ProviderError. */
export async function* countedPages(deps: RunDeps, what: string, pages: AsyncGenerator<Entry[]>): AsyncGenerator<Entry[]> {
  const { context } = deps;
  while (true) {
    if (context.signal?.aborted) throw toProviderError(context.signal.reason ?? new Error('aborted'), what);
    let next: IteratorResult<Entry[]>;
    try {
      next = await pages.next();
    } catch (e) {
      context.stats.apiRequests++;
      throw toProviderError(e, what);
    }
    if (next.done) return;
    context.stats.apiRequests++;
    yield next.value;
  }
}

/** One paged search under the base DN, its continuation references noted (noteReferences). */
export function listing(deps: RunDeps, what: string, filter: string | Filter, attributes: string[], binary: string[] = []): AsyncGenerator<Entry[]> {
  const { client, settings } = deps;
  // `binary`: attributes to keep as bytes (AD's objectGUID, objectSid), which ldapts would decode as UTF-8.
  const pages = client.searchPaginated(settings.baseDn, { scope: 'sub', filter, attributes, explicitBufferAttributes: binary, paged: { pageSize: settings.pageSize } });
  return countedPages(deps, what, (async function* () {
    for await (const page of pages) {
      noteReferences(deps, page.searchReferences);
      yield page.searchEntries;
    }
  })());
}

/**
 * Where the next delta starts. OpenLDAP: the contextCSN of the suffix that
 * holds the base DN (read before listing, so a change made during the
 * listing is seen again next time). Returns null where there is none.
 */
async function readContextCsn(deps: RunDeps): Promise<Watermark | null> {
  const parts = deps.settings.baseDn.split(/(?<!\\),/);
  for (let i = 0; i < parts.length; i++) {
    const dn = parts.slice(i).join(',');
    try {
      deps.context.stats.apiRequests++;
      const { searchEntries } = await deps.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['contextCSN'] });
      // Multi-provider replication keeps one value per server id: the oldest is a lower bound for all of them.
      const values = searchEntries[0] ? allOf(searchEntries[0], 'contextCSN').sort() : [];
      if (values[0]) return { attribute: 'entryCSN', value: values[0] };
    } catch (e) {
      const pe = toProviderError(e, `reading contextCSN of ${dn}`);
      // Above the naming context the server has no such entry: keep climbing only on "not found".
      if (pe.kind !== 'not-found' && pe.kind !== 'permission') throw pe;
    }
  }
  return null;
}

/** generalizedTime (RFC 4517 §3.3.13, as servers write modifyTimestamp) minus `seconds`. */
export function timestampMinus(value: string, seconds: number): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(value);
  if (!m) return value;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - seconds * 1000;
  return `${new Date(t).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * Which of these ids still name an entry under the base DN. A user gone from
 * the filtered id listing was deleted, or left the filter (another object
 * class, a flag the filter excludes): the first is a delete, the second a
 * deactivation, as a full listing would make it. (LDAP keeps no tombstone:
 * an entry moved out of the base DN looks deleted.)
 */
async function existing(deps: RunDeps, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const attr = deps.settings.idAttribute;
  for (let i = 0; i < ids.length; i += 50) {
    const filter = `(|${ids.slice(i, i + 50).map((id) => `(${attr}=${escapeValue(id)})`).join('')})`;
    for await (const entries of listing(deps, 'looking for users gone from the listing', filter, [attr])) {
      for (const entry of entries) {
        const id = entryId(entry, deps.settings);
        if (id) found.add(id);
      }
    }
  }
  return found;
}

const changedSince = (filter: string, w: Watermark) => `(&${filter}(${w.attribute}>=${escapeValue(w.value)}))`;

export async function startRun(runDeps: RunDeps, stored: LdapCursor | null, done: () => Promise<void>): Promise<DirectoryRun> {
  const skipped = new SkippedSubtrees(runDeps.settings.flavor);
  const deps: RunDeps = { ...runDeps, skipped };
  const { settings, context } = deps;
  const csn = settings.flavor === 'openldap' ? await readContextCsn(deps) : null;
  if (settings.flavor === 'openldap' && !csn) context.logger.warn('LDAP: no contextCSN on the base DN or its suffix (is the syncprov overlay on?); deltas use modifyTimestamp');
  let cursor = stored;
  // contextCSN only grows; behind the cursor's, the database was restored from a backup (or is
  // another server's): entries it reverted keep entryCSNs older than the cursor, which a delta never reads.
  if (cursor && csn && cursor.watermark.attribute === 'entryCSN' && csn.value < cursor.watermark.value) {
    context.logger.warn(`LDAP delta not possible: the server's contextCSN ${csn.value} is behind the cursor's ${cursor.watermark.value} (restored from a backup?); running a full snapshot`);
    cursor = null;
  }
  const index = emptyIndex();
  const userIds = new Set<string>();
  const groupIds = new Set<string>();
  let newest: string | null = null;
  const seen = (entry: Entry) => {
    const ts = firstOf(entry, 'modifyTimestamp');
    if (ts && (newest === null || ts > newest)) newest = ts;
  };
  let finished = false;

  const indexUser = (entry: Entry, id: string) => {
    userIds.add(id);
    index.userByDn.set(normalDn(entry.dn), id);
    const uid = firstOf(entry, 'uid');
    if (uid) index.userByUid.set(uid.toLowerCase(), id);
  };

  async function* userPages(filter: string): AsyncGenerator<DirectoryEvent[]> {
    for await (const entries of listing(deps, 'listing LDAP users', filter, [...userAttributes(settings), 'uid'])) {
      const events: DirectoryEvent[] = [];
      for (const entry of entries) {
        seen(entry);
        const user = mapUser(entry, settings);
        if (!user) continue;
        if (!cursor) indexUser(entry, user.externalId);
        events.push({ type: 'user', user });
      }
      if (events.length) yield events;
    }
  }

  async function indexGroups(into: DirectoryIndex): Promise<void> {
    for await (const entries of listing(deps, 'listing LDAP group ids', settings.groupFilter, [settings.idAttribute])) {
      for (const entry of entries) {
        const id = entryId(entry, settings);
        if (!id) continue;
        groupIds.add(id);
        into.groupByDn.set(normalDn(entry.dn), id);
      }
    }
  }

  async function* groupPages(filter: string): AsyncGenerator<DirectoryEvent[]> {
    for await (const entries of listing(deps, 'listing LDAP groups', filter, [settings.idAttribute, ...GROUP_ATTRIBUTES])) {
      const events: DirectoryEvent[] = [];
      for (const entry of entries) {
        seen(entry);
        const group = mapGroup(entry, settings);
        if (!group) continue;
        const members = membersOf(entry, index);
        events.push({ type: 'group', group });
        events.push({ type: 'members', groupExternalId: group.externalId, mode: 'set', userExternalIds: members.users, groupExternalIds: members.groups });
      }
      if (events.length) yield events;
    }
  }

  async function* pages(): AsyncGenerator<DirectoryEvent[]> {
    try {
      if (!cursor) {
        yield* userPages(settings.userFilter);
        await indexGroups(index);
        yield* groupPages(settings.groupFilter);
        skipped.assertNone();
      } else {
        // The id listings first: member DNs of changed groups resolve against them.
        for await (const entries of listing(deps, 'listing LDAP user ids', settings.userFilter, [settings.idAttribute, 'uid'])) {
          for (const entry of entries) {
            const id = entryId(entry, settings);
            if (id) indexUser(entry, id);
          }
        }
        await indexGroups(index);
        const w = cursor.watermark;
        yield* userPages(changedSince(settings.userFilter, w));
        yield* groupPages(changedSince(settings.groupFilter, w));
        // Before any removal: a user in a subtree the id listing could not read is not gone.
        skipped.assertNone();
        const gone = cursor.users.filter((id) => !userIds.has(id));
        const stillThere = await existing(deps, gone);
        const removed: DirectoryEvent[] = [
          ...gone.map((externalId): DirectoryEvent => ({ type: 'user.removed', externalId, reason: stillThere.has(externalId) ? 'soft-deleted' : 'deleted' })),
          ...cursor.groups.filter((id) => !groupIds.has(id)).map((externalId): DirectoryEvent => ({ type: 'group.removed', externalId })),
        ];
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
    nextCursor(): LdapCursor | null {
      if (!finished) return null;
      const fallback = newest ?? cursor?.watermark.value ?? null;
      const watermark: Watermark | null = csn
        ?? (fallback === null ? null : { attribute: 'modifyTimestamp', value: newest ? timestampMinus(newest, settings.deltaOverlapSeconds) : fallback });
      if (!watermark) return null;
      return { v: 1, idAttribute: settings.idAttribute, baseDn: settings.baseDn, watermark, users: [...userIds].sort(), groups: [...groupIds].sort() };
    },
  };
}
