/**
 * The active-directory flavor's one-user lookup (sync on login) and its
 * additions to the connection test.
 */
import { AndFilter, EqualityFilter, FilterParser, type Client, type Filter } from 'ldapts';
import type { ConnectionTestResult, DirectoryGroup, OneUserLookup, UserWithGroups } from '../../types.js';
import { ProviderError } from '../../types.js';
import { toProviderError } from '../client.js';
import { escapeValue } from '../map.js';
import type { RunDeps } from '../run.js';
import type { LdapSettings } from '../settings.js';
import { readDcState } from './dc-state.js';
import { BINARY_ATTRIBUTES } from './changes.js';
import { AD_GROUP_ATTRIBUTES, adUserAttributes, guidBytes, mapAdGroup, mapAdUser, primaryGroupSidOf } from './map.js';
import { sidBytes } from './sid.js';
import { namingContextOf, tombstonesReadable } from './run.js';

/** LDAP_MATCHING_RULE_IN_CHAIN (MS-ADTS 3.1.1.3.4.4.3): `member` followed through nested groups, on the DC. */
export const IN_CHAIN = '1.2.840.113556.1.4.1941';

/** The filter that finds the user: by objectGUID, by userPrincipalName or sAMAccountName (either is a login name in AD), or by mail. */
function userFilter(settings: LdapSettings, lookup: OneUserLookup): Filter | string | null {
  const m = settings.mapping;
  if (lookup.externalId) {
    if (!/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(lookup.externalId)) return null;
    const byGuid = new EqualityFilter({ attribute: 'objectGUID', value: guidBytes(lookup.externalId) });
    return new AndFilter({ filters: [FilterParser.parseString(settings.userFilter), byGuid] });
  }
  const by = (inner: string) => `(&${settings.userFilter}${inner})`;
  if (lookup.userName) return by(`(|(${m.userName}=${escapeValue(lookup.userName)})(sAMAccountName=${escapeValue(lookup.userName)}))`);
  if (lookup.email) return by(`(${m.email}=${escapeValue(lookup.email)})`);
  throw new Error('fetchUser needs externalId, userName or email');
}

/**
 * The user and every group it is in, directly or through nesting (the
 * in-chain rule, which Samba supports too), and with `includePrimaryGroup`
 * its primary group and the groups that one is nested in.
 */
export async function fetchAdUser({ client, context, settings }: RunDeps, lookup: OneUserLookup): Promise<UserWithGroups | null> {
  const by = userFilter(settings, lookup);
  if (by === null) return null;
  const what = `looking up the Active Directory user ${lookup.externalId ?? lookup.userName ?? lookup.email}`;
  try {
    context.stats.apiRequests++;
    const found = await client.search(settings.baseDn, { scope: 'sub', filter: by, attributes: adUserAttributes(settings), explicitBufferAttributes: BINARY_ATTRIBUTES, sizeLimit: 2 });
    if (found.searchEntries.length > 1) throw new ProviderError('bad-response', `${what}: several users match; look the user up by externalId`);
    const entry = found.searchEntries[0];
    const user = entry ? mapAdUser(entry, settings, new Date()) : null;
    if (!entry || !user) return null;
    const groups = new Map<string, DirectoryGroup>();
    const inChainOf = async (memberDn: string) => {
      context.stats.apiRequests++;
      const inChain = await client.search(settings.baseDn, {
        scope: 'sub',
        filter: `(&${settings.groupFilter}(member:${IN_CHAIN}:=${escapeValue(memberDn)}))`,
        attributes: AD_GROUP_ATTRIBUTES,
        explicitBufferAttributes: BINARY_ATTRIBUTES,
        paged: { pageSize: settings.pageSize },
      });
      for (const g of inChain.searchEntries.map(mapAdGroup)) groups.set(g.externalId, g);
    };
    await inChainOf(entry.dn);
    // The primary group is not in `member` (nor in the in-chain answer): found by its SID, with the groups it is nested in.
    const primarySid = settings.includePrimaryGroup ? primaryGroupSidOf(entry) : undefined;
    if (primarySid) {
      context.stats.apiRequests++;
      const bySid = new AndFilter({ filters: [FilterParser.parseString(settings.groupFilter), new EqualityFilter({ attribute: 'objectSid', value: sidBytes(primarySid) })] });
      const primary = (await client.search(settings.baseDn, { scope: 'sub', filter: bySid, attributes: AD_GROUP_ATTRIBUTES, explicitBufferAttributes: BINARY_ATTRIBUTES })).searchEntries[0];
      if (primary) {
        const group = mapAdGroup(primary);
        groups.set(group.externalId, group);
        await inChainOf(primary.dn);
      }
    }
    return { user, groups: [...groups.values()] };
  } catch (e) {
    throw toProviderError(e, what);
  }
}

/** What a delta needs beyond reading users and groups: the DC's invocationId and the tombstones. */
export async function adChecks(client: Client, settings: LdapSettings): Promise<ConnectionTestResult['checks']> {
  const checks: ConnectionTestResult['checks'] = [];
  const dcCheck = 'DC invocationId (deltas are per DC and per restore)';
  try {
    const state = await readDcState(client);
    checks.push({ name: dcCheck, ok: true, detail: `${state.dcDn}: ${state.invocationId}, highestCommittedUSN ${state.highestCommittedUsn}` });
  } catch (e) {
    checks.push({ name: dcCheck, ok: false, detail: `no invocationId: ${toProviderError(e, 'reading the DC state').message}; is this an Active Directory DC?` });
    return checks;
  }
  const nc = await namingContextOf(client, settings.baseDn);
  const name = `tombstones readable (CN=Deleted Objects,${nc})`;
  if (await tombstonesReadable(client, nc)) checks.push({ name, ok: true });
  else {
    checks.push({
      name,
      ok: false,
      detail: `${settings.bindDn} cannot read deleted objects, so a delta cannot see deletions and every run lists the whole directory: grant it List Contents and Read Property on CN=Deleted Objects,${nc} (dsacls "CN=Deleted Objects,${nc}" /takeownership, then /G <account>:LCRP)`,
    });
  }
  return checks;
}
