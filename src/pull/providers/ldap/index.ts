/**
 * The LDAP provider (ldapts, imported only in this folder): OpenLDAP and
 * generic flavors here, the Active Directory flavor's runs, lookup and
 * checks in ./active-directory/.
 *
 * Decisions:
 * - The external id is `entryUUID` (RFC 4530; `idAttribute`), on AD
 *   `objectGUID`: a rename or a move to another OU keeps it, so it is an
 *   update, never a leave and a join.
 * - A user is active unless the active rule (`inactiveAttribute`, optionally
 *   `inactiveValue`) says otherwise: LDAP has no common "disabled" flag (AD
 *   has: userAccountControl and accountExpires, ./active-directory/map.ts).
 * - An entry that leaves the user filter, or is deleted, is a hard delete in
 *   a delta (`user.removed`, reason `deleted`): LDAP keeps no tombstone.
 * - Referrals are reported, not followed (./referrals.ts says why).
 * - Runs: ./run.ts. Connection, TLS and result codes: ./client.ts.
 */
import type { ConnectionTestResult, DirectoryGroup, DirectoryProvider, OneUserLookup, ProviderContext, UserWithGroups } from '../types.js';
import { ProviderError } from '../types.js';
import { openClient, RESULT, toProviderError } from './client.js';
import { escapeValue, firstOf, mapGroup, mapUser, sourceAttributes, userAttributes } from './map.js';
import { referralTarget, SkippedSubtrees } from './referrals.js';
import { parseCursor, startRun } from './run.js';
import { parseLdapSettings } from './settings.js';
import { adChecks, fetchAdUser } from './active-directory/lookup.js';
import { parseAdCursor, startAdRun } from './active-directory/run.js';

export { DEFAULT_FILTERS, DEFAULT_MAPPING, parseLdapSettings, type LdapSettings } from './settings.js';
export type { LdapCursor } from './run.js';
export type { AdCursor } from './active-directory/run.js';

export function createLdapProvider(context: ProviderContext): DirectoryProvider {
  const settings = { ...parseLdapSettings(context.settings, context.secrets), source: sourceAttributes(context.sourceAttributes) };

  async function withClient<T>(use: (opened: Awaited<ReturnType<typeof openClient>>) => Promise<T>): Promise<T> {
    const opened = await openClient(context, settings);
    try {
      return await use(opened);
    } finally {
      await opened.client.unbind().catch(() => undefined);
    }
  }

  return {
    async test(): Promise<ConnectionTestResult> {
      const checks: ConnectionTestResult['checks'] = [];
      const servers = settings.urls.join(', ');
      let opened: Awaited<ReturnType<typeof openClient>>;
      try {
        opened = await openClient(context, settings);
      } catch (e) {
        const pe = toProviderError(e, 'connecting');
        if (pe.kind === 'auth') {
          checks.push({ name: `reach ${servers}`, ok: true });
          const why = pe.status === RESULT.invalidCredentials ? 'bad credentials (LDAP result 49): check bindDn and bindPassword' : pe.message;
          checks.push({ name: `bind as ${settings.bindDn}`, ok: false, detail: why });
        } else {
          // A TLS failure or a refusal by the outbound URL policy says so itself; anything else is the network.
          const said = pe.kind === 'permission' || /TLS|StartTLS/.test(pe.message);
          checks.push({ name: `reach ${servers}`, ok: false, detail: said ? pe.message : `unreachable: ${pe.message}` });
        }
        return { ok: false, checks };
      }
      const { client, url } = opened;
      try {
        checks.push({ name: `reach ${url}`, ok: true }, { name: `bind as ${settings.bindDn}`, ok: true });
        try {
          await client.search(settings.baseDn, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
          checks.push({ name: `base DN ${settings.baseDn}`, ok: true });
        } catch (e) {
          const pe = toProviderError(e, 'reading the base DN');
          const detail =
            pe.status === RESULT.noSuchObject
              ? 'not found (LDAP result 32)'
              : pe.status === RESULT.referral
                ? `the directory returned a referral to ${(await referralTarget(client, settings.baseDn)) ?? 'another server (LDAP result 10)'}: point baseDn at that server or add it as another connection`
                : pe.message;
          checks.push({ name: `base DN ${settings.baseDn}`, ok: false, detail });
          return { ok: false, checks };
        }
        for (const [what, filter] of [['users', settings.userFilter], ['groups', settings.groupFilter]] as const) {
          const name = `${what} filter ${filter}`;
          try {
            const { searchEntries, searchReferences } = await client.search(settings.baseDn, { scope: 'sub', filter, attributes: [settings.idAttribute], sizeLimit: 1 });
            const skipped = new SkippedSubtrees(settings.flavor);
            skipped.note(searchReferences);
            const referred = skipped.message();
            const none = searchEntries.length === 0;
            // No groups is a possible directory; no users means the filter or the base DN is wrong.
            if (referred) checks.push({ name, ok: false, detail: referred });
            else checks.push(none ? { name, ok: what === 'groups', detail: `no ${what} matched the filter under ${settings.baseDn}` } : { name, ok: true });
          } catch (e) {
            checks.push({ name, ok: false, detail: toProviderError(e, `searching ${what}`).message });
          }
        }
        if (settings.flavor === 'active-directory') checks.push(...(await adChecks(client, settings)));
        return { ok: checks.every((c) => c.ok), checks };
      } finally {
        await client.unbind().catch(() => undefined);
      }
    },

    async run({ cursor, full }) {
      if (settings.flavor === 'active-directory') {
        const stored = full ? null : parseAdCursor(cursor, settings);
        if (!full && cursor !== null && cursor !== undefined && !stored) context.logger.warn('Active Directory delta cursor not usable (another base DN, flavor or Roster version); running a full snapshot');
        const { client } = await openClient(context, settings);
        return startAdRun({ client, context, settings }, stored, () => client.unbind().catch(() => undefined));
      }
      const parsed = full ? null : parseCursor(cursor, settings);
      if (!full && cursor !== null && cursor !== undefined && !parsed) context.logger.warn('LDAP delta cursor not usable (another base DN, id attribute or Roster version); running a full snapshot');
      const { client } = await openClient(context, settings);
      try {
        return await startRun({ client, context, settings }, parsed, () => client.unbind().catch(() => undefined));
      } catch (e) {
        await client.unbind().catch(() => undefined);
        throw e;
      }
    },

    async fetchUser(lookup: OneUserLookup): Promise<UserWithGroups | null> {
      if (settings.flavor === 'active-directory') return withClient(({ client }) => fetchAdUser({ client, context, settings }, lookup));
      const m = settings.mapping;
      const by: [string, string] | undefined = lookup.externalId
        ? [settings.idAttribute, lookup.externalId]
        : lookup.userName
          ? [m.userName, lookup.userName]
          : lookup.email
            ? [m.email, lookup.email]
            : undefined;
      if (!by) throw new Error('fetchUser needs externalId, userName or email');
      return withClient(async ({ client }) => {
        try {
          context.stats.apiRequests++;
          const filter = `(&${settings.userFilter}(${by[0]}=${escapeValue(by[1])}))`;
          const { searchEntries } = await client.search(settings.baseDn, { scope: 'sub', filter, attributes: [...userAttributes(settings), 'uid'], sizeLimit: 2 });
          if (searchEntries.length > 1) throw new ProviderError('bad-response', `several LDAP users have ${by[0]} "${by[1]}"; look the user up by userName or externalId`);
          const entry = searchEntries[0];
          const user = entry ? mapUser(entry, settings) : null;
          if (!entry || !user) return null;
          // Direct groups: those naming the user's DN (groupOfNames, groupOfUniqueNames) or uid (posixGroup).
          const dn = escapeValue(entry.dn);
          const uid = firstOf(entry, 'uid');
          const memberOf = `(|(member=${dn})(uniqueMember=${dn})${uid ? `(memberUid=${escapeValue(uid)})` : ''})`;
          const groups: DirectoryGroup[] = [];
          context.stats.apiRequests++;
          const found = await client.search(settings.baseDn, { scope: 'sub', filter: `(&${settings.groupFilter}${memberOf})`, attributes: [settings.idAttribute, 'cn', 'description'], paged: { pageSize: settings.pageSize } });
          for (const g of found.searchEntries) {
            const group = mapGroup(g, settings);
            if (group) groups.push(group);
          }
          return { user, groups };
        } catch (e) {
          throw toProviderError(e, `looking up the LDAP user with ${by[0]} ${by[1]}`);
        }
      });
    },
  };
}
