/**
 * The Okta provider (`@okta/okta-sdk-nodejs`, imported only in this folder).
 *
 * Auth: an API token (`Authorization: SSWS …`) or an OAuth service app
 * (private_key_jwt, scopes okta.users.read okta.groups.read, and
 * okta.logs.read asked for by a client of its own, so that an app without
 * it still syncs: its deltas then run as full listings).
 * Runs: see run.ts (full snapshot, `lastUpdated` delta) and system-log.ts
 * (deletions). Pacing: rate-gate.ts.
 *
 * Decisions:
 * - STAGED / PROVISIONED users are `active: false` with `status` kept (map.ts).
 * - DEPROVISIONED is a deactivation (`user` with active false), never a delete.
 * - A System Log delete event is a hard delete (`user.removed`, reason `deleted`;
 *   `group.removed`): only it proves a deletion (system-log.ts).
 * - The built-in Everyone group is skipped (run.ts): every user is in it.
 */
import { ConfigError } from '../../../core/errors/index.js';
import type { ConnectionTestResult, DirectoryGroup, DirectoryProvider, OneUserLookup, ProviderContext, UserWithGroups } from '../types.js';
import { ProviderError, withSource } from '../types.js';
import { ThrottleBudget } from '../throttle.js';
import { buildClient } from './client.js';
import { toProviderError } from './errors.js';
import { isBuiltIn, mapGroup, mapUser, type OktaGroupLike, type OktaUserLike } from './map.js';
import { pagesOf, parseCursor, startRun, type RunDeps } from './run.js';
import { OAUTH_SCOPES, parseOktaSettings } from './settings.js';
import { LOG_FILTER, LOG_SCOPES, openSystemLog } from './system-log.js';

export { DEFAULT_MAPPING, OAUTH_SCOPES, parseOktaSettings, type AttributeMapping, type OktaSettings } from './settings.js';
export type { OktaCursor } from './run.js';

/** A value inside an Okta expression string: backslash and double quote are escaped. */
export const quoteOkta = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function createOktaProvider(context: ProviderContext): DirectoryProvider {
  const settings = parseOktaSettings(context.settings, context.secrets);
  let built: ReturnType<typeof buildClient>;
  let logBuilt: ReturnType<typeof buildClient>;
  try {
    // One throttle budget for the run, whichever client (listings or System Log) waits.
    const budget = ThrottleBudget.fromSettings(context.settings);
    built = buildClient(context, settings, undefined, budget);
    logBuilt = settings.auth.mode === 'oauth' ? buildClient(context, settings, LOG_SCOPES, budget) : built;
  } catch (e) {
    // The SDK validates its config in the constructor (and reads okta.yaml files, which may be malformed).
    throw new ConfigError(`Okta client: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const { client } = built;
  const deps: RunDeps = { client, context, settings, serverDate: built.serverDate };
  const logDeps: RunDeps = { ...deps, client: logBuilt.client, serverDate: logBuilt.serverDate };
  const fail = (e: unknown, what: string) => toProviderError(e, what);

  async function firstPage<T>(what: string, open: () => Promise<unknown>): Promise<T[]> {
    for await (const page of pagesOf<T>(deps, what, open as never)) return page;
    return [];
  }

  async function getUser(idOrLogin: string): Promise<OktaUserLike | null> {
    try {
      return (await client.userApi.getUser({ userId: idOrLogin })) as OktaUserLike;
    } catch (e) {
      const pe = fail(e, 'reading an Okta user');
      if (pe instanceof ProviderError && pe.kind === 'not-found') return null;
      throw pe;
    }
  }

  /**
   * `filter` reads the most up-to-date data but supports only a few attributes
   * (login, email, names, status...); `search` takes any profile attribute but
   * is eventually consistent. The login hook wants fresh data: filter when it can.
   */
  async function findOne(attr: string, value: string): Promise<OktaUserLike | null> {
    const expr = `profile.${attr} eq ${quoteOkta(value)}`;
    const byFilter = ['login', 'email', 'firstName', 'lastName'].includes(attr);
    const found = await firstPage<OktaUserLike>(`looking up the Okta user with ${attr} ${value}`, () =>
      client.userApi.listUsers(byFilter ? { filter: expr, limit: 2 } : { search: expr, limit: 2 }),
    );
    if (found.length > 1) {
      throw new ProviderError('bad-response', `several Okta users have ${attr} "${value}"; look the user up by userName or externalId`);
    }
    return found[0] ?? null;
  }

  return {
    async test(): Promise<ConnectionTestResult> {
      const checks: ConnectionTestResult['checks'] = [];
      const credentials = settings.auth.mode === 'ssws' ? 'API token' : `OAuth service app ${settings.auth.clientId}`;
      const probe = async (name: string, missing: string, open: () => Promise<unknown>): Promise<boolean> => {
        try {
          await firstPage(name, open);
          checks.push({ name, ok: true });
          return true;
        } catch (e) {
          const pe = fail(e, name);
          if (!(pe instanceof ProviderError)) throw pe;
          if (pe.kind === 'auth' || pe.kind === 'network') {
            if (!checks.some((c) => c.name === credentials)) checks.push({ name: credentials, ok: false, detail: pe.message });
            return false;
          }
          // A 403 names what is missing; a refused token request (400 invalid_scope) already says it.
          checks.push({ name, ok: false, detail: pe.kind === 'permission' && pe.status === 403 ? missing : pe.message });
          return true;
        }
      };
      const missing = (what: string, scope: string) => settings.auth.mode === 'ssws'
        ? `the API token's admin cannot ${what} (give it a read-only admin role or higher)`
        : `scope ${scope} not granted to the service app`;
      // The first call proves the credentials; each call then proves one permission.
      const credOk = await probe('read users', missing('read users', OAUTH_SCOPES[0]), () => client.userApi.listUsers({ limit: 1 }));
      if (credOk) {
        checks.unshift({ name: credentials, ok: true });
        await probe('read groups', missing('read groups', OAUTH_SCOPES[1]), () => client.groupApi.listGroups({ limit: 1 }));
        const logs = 'read the System Log';
        await probe(logs, missing(logs, LOG_SCOPES[0]), () =>
          logBuilt.client.systemLogApi.listLogEvents({ since: new Date(Date.now() - 60_000).toISOString(), filter: LOG_FILTER, limit: 1 }),
        );
        const logCheck = checks.find((c) => c.name === logs);
        if (logCheck && !logCheck.ok) logCheck.detail += '; without it deletions are not seen by deltas, which therefore run as full listings';
      } else {
        for (const name of ['read users', 'read groups', 'read the System Log']) checks.push({ name, ok: false, detail: 'not checked: credentials rejected' });
      }
      return { ok: checks.every((c) => c.ok), checks };
    },

    async run({ cursor, full }) {
      const parsed = full ? null : parseCursor(cursor);
      if (!full && cursor !== null && cursor !== undefined && !parsed) {
        context.logger.warn('Okta delta cursor not understood; running a full snapshot');
      }
      if (!parsed) return startRun(deps, null);
      const opening = await openSystemLog(logDeps, parsed.logs);
      if (!opening.readable) {
        context.logger.warn('Okta System Log not readable: this delta runs as a full listing, so that deletions are still seen', { reason: opening.reason });
        return startRun(deps, null);
      }
      return startRun(deps, parsed, opening.log);
    },

    async fetchUser(lookup: OneUserLookup): Promise<UserWithGroups | null> {
      const m = settings.mapping;
      let user: OktaUserLike | null;
      // GET /api/v1/users/{id} also accepts a login in place of the id.
      if (lookup.externalId) user = await getUser(lookup.externalId);
      else if (lookup.userName) user = m.userName === 'login' ? await getUser(lookup.userName) : await findOne(m.userName, lookup.userName);
      else if (lookup.email) user = await findOne(m.email, lookup.email);
      else throw new Error('fetchUser needs externalId, userName or email');
      if (!user?.id) return null;
      const userId = user.id;
      const groups: DirectoryGroup[] = [];
      try {
        for await (const page of pagesOf<OktaGroupLike>(deps, `listing the groups of Okta user ${userId}`, () =>
          client.userApi.listUserGroups({ userId }) as never,
        )) {
          for (const g of page) if (!isBuiltIn(g)) groups.push(mapGroup(g));
        }
      } catch (e) {
        // Deleted between the two calls.
        if (e instanceof ProviderError && e.kind === 'not-found') return null;
        throw e;
      }
      return { user: withSource(mapUser(user, m), user, context.sourceAttributes), groups };
    },
  };
}
