/**
 * Microsoft Entra ID provider: Microsoft Graph through the official SDK
 * (`@microsoft/microsoft-graph-client` + `@azure/identity` ClientSecretCredential).
 *
 * - run(): users/delta and groups/delta rounds (./run.ts);
 * - fetchUser(): one user and their transitive groups, for the login hook;
 * - test(): token, then one user read, then one group read, naming the
 *   missing application permission when Graph says 403.
 */
import {
  ProviderError,
  type ConnectionTestResult,
  type DirectoryProvider,
  type OneUserLookup,
  type ProviderContext,
  type UserWithGroups,
} from '../types.js';
import pLimit from 'p-limit';
import { connectGraph, toProviderError, type GraphConnection } from './client.js';
import { mapGroup, mapUser, userSelect } from './map.js';
import { startRun } from './run.js';
import { readSettings, SOURCE_PROPERTY, type EntraSettings } from './settings.js';

export type { EntraCursor } from './run.js';
export type { AttributeMapping, EntraSettings } from './settings.js';

/** What the expressions read that Graph can $select (a name with other characters cannot be a Graph property). */
function sourceProperties(attributes: readonly string[] | undefined): string[] | null {
  return attributes ? attributes.filter((a) => SOURCE_PROPERTY.test(a)) : null;
}

/** OData string literal: single quotes are doubled (OData ABNF, SQUOTE-in-string). */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function createEntraProvider(context: ProviderContext): DirectoryProvider {
  const settings: EntraSettings = { ...readSettings(context.settings, context.secrets), source: sourceProperties(context.sourceAttributes) };
  const logger = context.logger.child({ component: 'entra' });
  const conn = connectGraph(settings, { stats: context.stats, logger, signal: context.signal });
  const limit = pLimit(Math.max(1, context.concurrency));
  const get = (path: string, what: string) => limit(() => conn.get(path, what));

  return {
    run: (options) => startRun(conn, settings, logger, limit, options),
    fetchUser: (lookup) => fetchUser(settings, get, lookup),
    test: () => testConnection(conn, settings),
  };
}

async function fetchUser(
  settings: EntraSettings,
  get: GraphConnection['get'],
  lookup: OneUserLookup,
): Promise<UserWithGroups | null> {
  const select = userSelect(settings).join(',');
  const groupsOf = (id: string) => readAll(get, `/users/${encodeURIComponent(id)}/transitiveMemberOf/microsoft.graph.group?$select=id,displayName`, 'groups of the user');
  let raw: Record<string, unknown> | null;
  let groups: Array<Record<string, unknown>>;
  if (lookup.externalId) {
    // Both calls need only the id: run them side by side (bounded by context.concurrency). Settle
    // both before answering, so a failure of one does not leave the other running unseen.
    const [user, memberOf] = await Promise.allSettled([
      get(`/users/${encodeURIComponent(lookup.externalId)}?$select=${select}`, 'user').catch(notFoundAsNull),
      groupsOf(lookup.externalId).catch(notFoundAsNull),
    ]);
    if (user.status === 'rejected') throw user.reason;
    if (memberOf.status === 'rejected') throw memberOf.reason;
    if (!user.value || !memberOf.value) return null;
    [raw, groups] = [user.value, memberOf.value];
  } else {
    const [property, value] = lookup.userName !== undefined
      ? [settings.mapping.userName, lookup.userName]
      : lookup.email !== undefined ? [settings.mapping.email, lookup.email] : [null, null];
    if (!property || value === null) throw new ProviderError('not-found', 'fetchUser needs userName, email or externalId');
    // $top=2: one answer is the user, two means the lookup is ambiguous (mail is not unique in Entra).
    const filter = encodeURIComponent(`${property} eq ${odataString(value)}`);
    const page = await get(`/users?$filter=${filter}&$select=${select}&$top=2`, 'user');
    const found = page.value ?? [];
    if (found.length > 1) throw new ProviderError('bad-response', `More than one Entra user has ${property} ${value}`);
    raw = found[0] ?? null;
    if (!raw) return null;
    const memberOf = await groupsOf(String(raw.id)).catch(notFoundAsNull);
    if (!memberOf) return null;
    groups = memberOf;
  }
  return { user: mapUser(raw, settings), groups: groups.map(mapGroup) };
}

function notFoundAsNull(err: unknown): null {
  if (err instanceof ProviderError && err.kind === 'not-found') return null;
  throw err;
}

/** Every item of a paged collection, following @odata.nextLink (small collections only). */
async function readAll(get: GraphConnection['get'], path: string, what: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  for (let link: string | undefined = path; link; ) {
    const page: Awaited<ReturnType<GraphConnection['get']>> = await get(link, what);
    items.push(...(page.value ?? []));
    link = page['@odata.nextLink'];
  }
  return items;
}

const PERMISSION_HINT = {
  users: 'Graph application permission User.Read.All is not granted (admin consent)',
  groups: 'Graph application permission Group.Read.All (or GroupMember.Read.All) is not granted (admin consent)',
};

async function testConnection(conn: GraphConnection, settings: EntraSettings): Promise<ConnectionTestResult> {
  const checks: ConnectionTestResult['checks'] = [];
  try {
    await conn.credential.getToken(conn.scope);
    checks.push({ name: `sign in to ${settings.authorityHost} as app ${settings.clientId}`, ok: true });
  } catch (err) {
    // The identity platform's AADSTS text says what is wrong (bad secret, unknown app or tenant).
    const detail = toProviderError(err, 'an access token').message;
    checks.push({ name: `sign in to ${settings.authorityHost} as app ${settings.clientId}`, ok: false, detail });
    return { ok: false, checks };
  }
  for (const [name, path, hint] of [
    ['read users', '/users?$top=1&$select=id', PERMISSION_HINT.users],
    ['read groups and members', '/groups?$top=1&$select=id', PERMISSION_HINT.groups],
  ] as const) {
    try {
      await conn.get(path, name.replace('read ', ''));
      checks.push({ name, ok: true });
    } catch (err) {
      const e = toProviderError(err, name);
      checks.push({ name, ok: false, detail: e.kind === 'permission' ? hint : e.message });
    }
  }
  return { ok: checks.every((c) => c.ok), checks };
}
