/**
 * Google Workspace provider: the Admin SDK Directory API through a service
 * account with domain-wide delegation.
 *
 * Google has no delta for users or groups (users.watch needs a public HTTPS
 * receiver and covers users only), so every run is a full listing:
 *   1. users.list (maxResults 500): every live user, active or not;
 *   2. users.list?showDeleted=true: users Google deleted → `user.removed`
 *      `deleted` (the only hard-delete signal; absence never is one);
 *   3. groups.list (maxResults 200), and for each page of groups their
 *      members.list (maxResults 200), `context.concurrency` groups at a time;
 *   4. if a CUSTOMER member was seen: the synthetic customer group (map.ts).
 * The reconciler makes re-listing cheap with source hashes.
 */
import type { admin_directory_v1 } from '@googleapis/admin';
import type {
  ConnectionTestResult,
  DirectoryEvent,
  DirectoryGroup,
  DirectoryProvider,
  DirectoryRun,
  OneUserLookup,
  ProviderContext,
  UserWithGroups,
} from '../types.js';
import { ProviderError, withSource } from '../types.js';
import { SCOPE_GROUP_READONLY, SCOPE_USER_READONLY, createClient, readSettings, toProviderError, type GoogleSettings } from './client.js';
import { GROUP_FIELDS, MEMBER_FIELDS, customerGroup, mapGroup, mapMembersPage, mapUser, userFieldSelection } from './map.js';
import { mergeConcurrent } from '../concurrency.js';
import { markingTheLast } from '../member-pages.js';
import { diagnoseToken } from './diagnose.js';

export { CUSTOMER_GROUP_PREFIX, DEFAULT_MAPPING, type GoogleAttributeMapping } from './map.js';
export { GOOGLE_SCOPES, SCOPE_GROUP_READONLY, SCOPE_USER_READONLY } from './client.js';

const USERS_PAGE = 500; // users.list maxResults cap
const GROUPS_PAGE = 200; // groups.list maxResults cap
const MEMBERS_PAGE = 200; // members.list maxResults cap
/** Synthetic customer-group members per event (no API page behind them). */
const CUSTOMER_CHUNK = 1000;

type Listing = { nextPageToken?: string | null };

export function createGoogleProvider(context: ProviderContext): DirectoryProvider {
  const settings = readSettings(context);
  const client = createClient(settings, context);
  const { directory } = client;
  // customFieldMask needs projection=full (custom) to return customSchemas; basic is lighter.
  // Google returns customSchemas only with projection custom or full: `full` when a mapping or an expression reads them.
  const projection = Object.values(settings.mapping).some((p) => p.startsWith('customSchemas.')) || context.sourceAttributes?.includes('customSchemas') ? 'full' : 'basic';
  const scope = settings.domain ? { domain: settings.domain } : { customer: settings.customer };
  // Partial responses (`fields`): each listing asks for what Roster maps and no more, which is most
  // of a resync's reading and parsing. Expressions read the raw record, anything in it: their
  // connections get whole users.
  const userSelection = context.sourceAttributes ? null : userFieldSelection(settings.mapping);
  const liveUserFields = userSelection === null ? undefined : `nextPageToken,users(${userSelection})`;
  // Only the ids of deleted users are read.
  const deletedUserFields = 'nextPageToken,users(id)';
  const groupFields = `nextPageToken,groups(${GROUP_FIELDS})`;
  const memberFields = `nextPageToken,members(${MEMBER_FIELDS})`;

  /** Pages of one listing; a failed page (after retries) throws a ProviderError naming it. */
  async function* paginate<T extends Listing>(what: string, fetch: (pageToken: string | undefined) => Promise<{ data: T }>): AsyncGenerator<T> {
    let pageToken: string | undefined;
    let page = 0;
    do {
      page += 1;
      let data: T;
      try {
        data = (await fetch(pageToken)).data;
      } catch (error) {
        throw toProviderError(error, `${what} (page ${page})`, settings);
      }
      yield data;
      const next = data.nextPageToken ?? undefined;
      if (next !== undefined && next === pageToken) throw new ProviderError('bad-response', `Google repeated a page token while ${what}`);
      pageToken = next;
    } while (pageToken);
  }

  const listUsers = (showDeleted: boolean, signal: AbortSignal) =>
    paginate<admin_directory_v1.Schema$Users>(showDeleted ? 'listing deleted users' : 'listing users', (pageToken) =>
      directory.users.list(
        { ...scope, maxResults: USERS_PAGE, projection, pageToken, fields: showDeleted ? deletedUserFields : liveUserFields, ...(showDeleted ? { showDeleted: 'true' } : {}) },
        { signal },
      ),
    );

  async function* snapshot(signal: AbortSignal, stop: () => void): AsyncGenerator<DirectoryEvent[]> {
    // Ids only, for a CUSTOMER member: ~100 bytes a user, not the directory.
    const userIds: string[] = [];
    for await (const data of listUsers(false, signal)) {
      const users = data.users ?? [];
      for (const u of users) if (u.id) userIds.push(u.id);
      yield users.map((u) => ({ type: 'user', user: withSource(mapUser(u, settings.mapping), u, context.sourceAttributes) }));
    }
    for await (const data of listUsers(true, signal)) {
      yield (data.users ?? []).filter((u) => u.id).map((u) => ({ type: 'user.removed', externalId: u.id!, reason: 'deleted' }));
    }

    const customers = new Set<string>();
    const groupPages = paginate<admin_directory_v1.Schema$Groups>('listing groups', (pageToken) =>
      directory.groups.list({ ...scope, maxResults: GROUPS_PAGE, pageToken, fields: groupFields }, { signal }),
    );
    for await (const data of groupPages) {
      const groups = (data.groups ?? []).filter((g) => g.id);
      yield groups.map((g) => ({ type: 'group', group: mapGroup(g) }));
      yield* mergeConcurrent<admin_directory_v1.Schema$Group, DirectoryEvent[]>(
        groups,
        context.concurrency,
        (group) =>
          markingTheLast(
            (async function* () {
              let mode: 'set' | 'add' = 'set';
              const pages = paginate<admin_directory_v1.Schema$Members>(`listing members of group ${group.email ?? group.id}`, (pageToken) =>
                directory.members.list({ groupKey: group.id!, maxResults: MEMBERS_PAGE, pageToken, fields: memberFields }, { signal }),
              );
              for await (const page of pages) {
                const { event, customers: seen } = mapMembersPage(group.id!, mode, page.members ?? []);
                for (const c of seen) customers.add(c);
                mode = 'add';
                yield event;
              }
            })(),
          ),
        { onStop: stop },
      );
    }

    for (const customerId of customers) {
      const group = customerGroup(customerId);
      yield [{ type: 'group', group }];
      for (let i = 0; i === 0 || i < userIds.length; i += CUSTOMER_CHUNK) {
        const chunk = userIds.slice(i, i + CUSTOMER_CHUNK);
        yield [{ type: 'members', groupExternalId: group.externalId, mode: i === 0 ? 'set' : 'add', userExternalIds: chunk, groupExternalIds: [] }];
      }
    }
  }

  async function run(): Promise<DirectoryRun> {
    return {
      mode: 'full',
      pages: {
        async *[Symbol.asyncIterator]() {
          // One controller per run: stopping the run (or a failed member listing) aborts requests in flight.
          const controller = new AbortController();
          const onOuterAbort = () => controller.abort(context.signal?.reason);
          context.signal?.addEventListener('abort', onOuterAbort, { once: true });
          try {
            yield* snapshot(controller.signal, () => controller.abort());
          } finally {
            context.signal?.removeEventListener('abort', onOuterAbort);
            controller.abort();
          }
        },
      },
      nextCursor: () => null,
    };
  }

  async function fetchUser(lookup: OneUserLookup): Promise<UserWithGroups | null> {
    const signal = context.signal;
    const key = lookupKey(lookup, settings);
    if (!key) return null;
    let user: admin_directory_v1.Schema$User;
    if (key.search) {
      // The mapped field is not a key users.get takes: find the user with users.list `query`.
      let found: admin_directory_v1.Schema$User[];
      try {
        const query = `${key.search}=${searchValue(key.value)}`;
        found = (await directory.users.list({ ...scope, query, maxResults: 2, projection }, signal ? { signal } : {})).data.users ?? [];
      } catch (error) {
        throw toProviderError(error, `looking up the user with ${key.search} ${key.value}`, settings);
      }
      if (found.length > 1) throw new ProviderError('bad-response', `several Google users have ${key.search} "${key.value}"; look the user up by externalId`);
      if (!found[0]) return null;
      user = found[0];
    } else {
      try {
        user = (await directory.users.get({ userKey: key.value, projection }, signal ? { signal } : {})).data;
      } catch (error) {
        const e = toProviderError(error, `reading user ${key.value}`, settings);
        if (e.kind === 'not-found') return null;
        throw e;
      }
    }
    const userKey = key.value;
    const groups: DirectoryGroup[] = [];
    const pages = paginate<admin_directory_v1.Schema$Groups>(`listing groups of user ${userKey}`, (pageToken) =>
      directory.groups.list({ userKey: user.id!, maxResults: GROUPS_PAGE, pageToken }, signal ? { signal } : {}),
    );
    for await (const data of pages) for (const g of data.groups ?? []) if (g.id) groups.push(mapGroup(g));
    return { user: withSource(mapUser(user, settings.mapping), user, context.sourceAttributes), groups };
  }

  async function test(): Promise<ConnectionTestResult> {
    const checks: ConnectionTestResult['checks'] = [];
    const token = await diagnoseToken(client.jwt, settings, context);
    checks.push(token);
    if (!token.ok) {
      checks.push({ name: 'users.list', ok: false, detail: 'skipped: no access token' }, { name: 'groups.list', ok: false, detail: 'skipped: no access token' });
      return { ok: false, checks };
    }
    checks.push(await probe('users.list', SCOPE_USER_READONLY, settings, () => directory.users.list({ ...scope, maxResults: 1 })));
    checks.push(await probe('groups.list', SCOPE_GROUP_READONLY, settings, () => directory.groups.list({ ...scope, maxResults: 1 })));
    return { ok: checks.every((c) => c.ok), checks };
  }

  return { test, run, fetchUser };
}

/** users.list `query` fields for mapped user fields (https://developers.google.com/admin-sdk/directory/v1/guides/search-users). */
function searchField(path: string): string | null {
  if (path === 'name.givenName') return 'givenName';
  if (path === 'name.familyName') return 'familyName';
  const custom = /^customSchemas\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)$/.exec(path);
  return custom ? `${custom[1]}.${custom[2]}` : null;
}

/** A search value in single quotes, backslash and quote escaped. */
function searchValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * How to find the user a lookup names. users.get takes the id, the primary
 * email or an alias; a userName or email mapped to a searchable field (a
 * custom schema field, a given or family name) is searched instead. Other
 * mapped fields (recoveryEmail...) are not searchable: the value is tried as
 * a key, which finds the user only when it is one of their addresses.
 */
function lookupKey(lookup: OneUserLookup, settings: GoogleSettings): { value: string; search: string | null } | null {
  if (lookup.externalId) return { value: lookup.externalId, search: null };
  const [path, value] = lookup.userName !== undefined ? [settings.mapping.userName, lookup.userName] : [settings.mapping.email, lookup.email];
  if (!value) return null;
  return { value, search: searchField(path) };
}

/** One read with the smallest page: readable, or why not (naming the scope or admin privilege). */
async function probe(name: string, scope: string, settings: GoogleSettings, call: () => Promise<unknown>): Promise<ConnectionTestResult['checks'][number]> {
  try {
    await call();
    return { name, ok: true };
  } catch (error) {
    const e = toProviderError(error, name, settings);
    if (e.kind === 'permission') {
      return {
        name,
        ok: false,
        detail: `${name} refused (403): delegate scope ${scope} to the service account and give ${settings.subject} an admin role that can read ${name.split('.')[0]}`,
      };
    }
    return { name, ok: false, detail: e.message };
  }
}
