/**
 * The JumpCloud provider. JumpCloud has no official Node SDK: ./client.ts is a
 * small typed REST client (fetch, zod-validated answers, ./wire.ts).
 *
 * Auth: an admin API key (`x-api-key`), and `x-org-id` (orgId) for an admin
 * of several organisations. The key carries its admin's role: a read-only
 * admin suffices.
 * Runs: ./run.ts (full listing; delta from Directory Insights, ./insights.ts,
 * else full runs). Listings: ./listing.ts.
 *
 * Decisions:
 * - STAGED users are `active: false` with `status` kept; a locked account
 *   (`account_locked`) stays active (./map.ts).
 * - Only a Directory Insights user_delete event is a hard delete (`user.removed`,
 *   reason `deleted`); otherwise absence from a complete listing says it.
 * - JumpCloud user groups do not nest (a user group's members are users), so
 *   members carry no groups and fetchUser's groups are all of the user's groups.
 */
import type { ConnectionTestResult, DirectoryGroup, DirectoryProvider, OneUserLookup, ProviderContext, UserWithGroups } from '../types.js';
import { ProviderError, withSource } from '../types.js';
import { mergeConcurrent } from '../concurrency.js';
import { JumpCloudClient } from './client.js';
import { openInsights } from './insights.js';
import { findUsers, getGroup, getUser, memberOfPages } from './listing.js';
import { mapGroup, mapUser } from './map.js';
import { parseCursor, startRun, type RunDeps } from './run.js';
import { parseJumpCloudSettings } from './settings.js';
import { systemUserCount, userGroupPage, type SystemUser } from './wire.js';

export { DEFAULT_BASE_URL, DEFAULT_INSIGHTS_URL, DEFAULT_MAPPING, parseJumpCloudSettings, type JumpCloudSettings } from './settings.js';
export type { JumpCloudCursor } from './run.js';

const NO_INSIGHTS = 'deltas run as full listings';
const OBJECT_ID = /^[0-9a-f]{24}$/i;

export function createJumpCloudProvider(context: ProviderContext): DirectoryProvider {
  const settings = { ...parseJumpCloudSettings(context.settings, context.secrets), source: context.sourceAttributes ?? null };
  const client = new JumpCloudClient(context, settings);
  const deps: RunDeps = { client, context };

  async function findOne(field: string, value: string): Promise<SystemUser | null> {
    const found = await findUsers(client, field, value);
    if (found.length > 1) throw new ProviderError('bad-response', `several JumpCloud users have ${field} "${value}"; look the user up by userName or externalId`);
    return found[0] ?? null;
  }

  async function groupsOf(userId: string): Promise<DirectoryGroup[] | null> {
    const ids: string[] = [];
    try {
      for await (const page of memberOfPages(client, userId)) ids.push(...page);
    } catch (e) {
      // Deleted between the two calls.
      if (e instanceof ProviderError && e.kind === 'not-found') return null;
      throw e;
    }
    const groups: DirectoryGroup[] = [];
    for await (const g of mergeConcurrent(ids, Math.max(1, context.concurrency), async function* (id) {
      const group = await getGroup(client, id);
      if (group) yield mapGroup(group);
    })) groups.push(g);
    return groups;
  }

  return {
    async test(): Promise<ConnectionTestResult> {
      const checks: ConnectionTestResult['checks'] = [];
      const key = `API key${settings.orgId ? ` (organisation ${settings.orgId})` : ''}`;
      const users = 'read users';
      try {
        await client.request(systemUserCount, { url: client.apiUrl('/api/systemusers', { limit: 1, fields: '_id' }), what: users });
        checks.push({ name: key, ok: true }, { name: users, ok: true });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        if (e.kind === 'auth' || e.kind === 'network') {
          checks.push({ name: key, ok: false, detail: e.message });
          for (const name of [users, 'read user groups', 'read Directory Insights']) checks.push({ name, ok: false, detail: 'not checked: the API key was not accepted' });
          return { ok: false, checks };
        }
        checks.push({ name: key, ok: true }, { name: users, ok: false, detail: e.kind === 'permission' ? `the API key's admin may not read users: ${e.message}` : e.message });
      }
      const groupCheck = 'read user groups';
      try {
        await client.request(userGroupPage, { url: client.apiUrl('/api/v2/usergroups', { limit: 1 }), what: groupCheck });
        checks.push({ name: groupCheck, ok: true });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        checks.push({ name: groupCheck, ok: false, detail: e.kind === 'permission' ? `the API key's admin may not read user groups: ${e.message}` : e.message });
      }
      const insights = 'read Directory Insights';
      try {
        const opening = await openInsights(client, new Date(Date.now() - 60_000).toISOString());
        checks.push(opening.readable ? { name: insights, ok: true } : { name: insights, ok: false, detail: `${opening.reason}; without it ${NO_INSIGHTS}` });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        checks.push({ name: insights, ok: false, detail: `${e.message}; without it ${NO_INSIGHTS}` });
      }
      return { ok: checks.every((c) => c.ok), checks };
    },

    async run({ cursor, full }) {
      const parsed = full ? null : parseCursor(cursor);
      if (!full && cursor !== null && cursor !== undefined && !parsed) context.logger.warn('JumpCloud delta cursor not understood; running a full listing');
      if (!parsed) return startRun(deps, null);
      const opening = await openInsights(client, parsed.since);
      if (!opening.readable) {
        context.logger.warn(`JumpCloud Directory Insights not readable: ${NO_INSIGHTS}`, { reason: opening.reason });
        return startRun(deps, null);
      }
      return startRun(deps, { cursor: parsed, read: opening.read });
    },

    async fetchUser(lookup: OneUserLookup): Promise<UserWithGroups | null> {
      const m = settings.mapping;
      let user: SystemUser | null;
      // JumpCloud ids are 24-hex-digit ObjectIds: another value names no user (and is not sent into a path).
      if (lookup.externalId) user = OBJECT_ID.test(lookup.externalId) ? await getUser(client, lookup.externalId) : null;
      else if (lookup.userName) user = await findOne(m.userName, lookup.userName);
      else if (lookup.email) user = await findOne(m.email, lookup.email);
      else throw new Error('fetchUser needs externalId, userName or email');
      if (!user) return null;
      const groups = await groupsOf(user._id);
      return groups ? { user: withSource(mapUser(user, m), user, context.sourceAttributes), groups } : null;
    },
  };
}
