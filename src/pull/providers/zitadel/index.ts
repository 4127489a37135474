/**
 * The Zitadel provider (`@zitadel/client` over the connect transport,
 * imported only in this folder).
 *
 * Auth: a machine user's personal access token, or its key file (JWT profile
 * grant, ./rest.ts); the machine user needs the manager role ORG_OWNER_VIEWER
 * to read users, project roles and grants, and IAM_OWNER_VIEWER for the
 * events API that deltas read.
 * Groups: project roles. Zitadel v4's GroupService is not in the npm client's
 * protos, so each role key of each project is a group (id `projectId:key`,
 * name the key) and its members are the users holding an active grant of it.
 * Runs: ./run.ts; change detection: ./events.ts.
 */
import type { User } from '@zitadel/proto/zitadel/user/v2/user_pb.js';
import { ConfigError } from '../../../core/errors/index.js';
import { ThrottleBudget } from '../throttle.js';
import type { ConnectionTestResult, DirectoryGroup, DirectoryProvider, OneUserLookup, ProviderContext, UserWithGroups } from '../types.js';
import { ProviderError, withSource } from '../types.js';
import { buildApi } from './client.js';
import { readChanges } from './events.js';
import { groupId, mapUser, plainUser } from './map.js';
import { GRANTS_PAGE, offsetPages, parseCursor, startRun, userFilters, type RunDeps } from './run.js';
import { parseZitadelSettings, type UserField } from './settings.js';

export { DEFAULT_MAPPING, parseZitadelSettings, type ZitadelSettings } from './settings.js';
export type { ZitadelCursor } from './run.js';

/** The ListUsers query that finds a user by one field, exactly. */
function queryFor(field: UserField, value: string) {
  switch (field) {
    case 'username': return { case: 'userNameQuery' as const, value: { userName: value } };
    case 'email': return { case: 'emailQuery' as const, value: { emailAddress: value } };
    case 'nickName': return { case: 'nickNameQuery' as const, value: { nickName: value } };
    case 'phone': return { case: 'phoneQuery' as const, value: { number: value } };
    case 'givenName': return { case: 'firstNameQuery' as const, value: { firstName: value } };
    case 'familyName': return { case: 'lastNameQuery' as const, value: { lastName: value } };
    case 'displayName': return { case: 'displayNameQuery' as const, value: { displayName: value } };
    case 'preferredLoginName': return { case: 'loginNameQuery' as const, value: { loginName: value } };
  }
}

export function createZitadelProvider(context: ProviderContext): DirectoryProvider {
  const settings = parseZitadelSettings(context.settings, context.secrets);
  let api: ReturnType<typeof buildApi>;
  try {
    api = buildApi(context, settings, ThrottleBudget.fromSettings(context.settings));
  } catch (e) {
    throw new ConfigError(`Zitadel client: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const deps: RunDeps = { api, context, settings };

  async function findOne(field: UserField, value: string): Promise<User | null> {
    const r = await api.call(`looking up the Zitadel user with ${field} ${value}`, (o) =>
      api.users.listUsers({ query: { limit: 2 }, queries: [...userFilters(settings), { query: queryFor(field, value) }] }, o));
    if (r.result.length > 1) throw new ProviderError('bad-response', `several Zitadel users have ${field} "${value}"; look the user up by externalId`);
    return r.result[0] ?? null;
  }

  async function byId(userId: string): Promise<User | null> {
    try {
      return (await api.call(`reading the Zitadel user ${userId}`, (o) => api.users.getUserByID({ userId }, o))).user ?? null;
    } catch (e) {
      if (e instanceof ProviderError && e.kind === 'not-found') return null;
      throw e;
    }
  }

  return {
    async test(): Promise<ConnectionTestResult> {
      const checks: ConnectionTestResult['checks'] = [];
      const credentials = settings.auth.mode === 'pat' ? 'personal access token' : `service account key ${settings.auth.key.keyId}`;
      const probe = async (name: string, missing: string, fn: () => Promise<unknown>): Promise<void> => {
        try {
          await fn();
          checks.push({ name, ok: true });
        } catch (e) {
          if (!(e instanceof ProviderError)) throw e;
          checks.push({ name, ok: false, detail: e.kind === 'permission' ? `${missing} (${e.message})` : e.message });
        }
      };
      try {
        await api.call('reading Zitadel users', (o) => api.users.listUsers({ query: { limit: 1 }, queries: userFilters(settings) }, o));
        checks.push({ name: credentials, ok: true }, { name: 'read users', ok: true });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        if (e.kind === 'permission') {
          checks.push({ name: credentials, ok: true }, { name: 'read users', ok: false, detail: `the machine user needs the manager role ORG_OWNER_VIEWER ${settings.organizationId ? `in organization ${settings.organizationId}` : 'in its organization'} (${e.message})` });
        } else {
          checks.push({ name: credentials, ok: false, detail: e.message });
          for (const name of ['read users', 'read groups (project roles and grants)', 'read the events API']) checks.push({ name, ok: false, detail: 'not checked: credentials rejected' });
          return { ok: false, checks };
        }
      }
      await probe('read groups (project roles and grants)', 'the machine user may not read projects, roles and user grants: give it the manager role ORG_OWNER_VIEWER (this needs Zitadel v4 or later: ProjectService and AuthorizationService v2beta)', async () => {
        await api.call('listing Zitadel projects', (o) => api.projects.listProjects({ pagination: { limit: 1 } }, o));
        await api.call('listing Zitadel user grants', (o) => api.authorizations.listAuthorizations({ pagination: { limit: 1 } }, o));
      });
      await probe('read the events API', 'the machine user lacks IAM_OWNER_VIEWER: deltas run as full listings', () =>
        api.call('reading the Zitadel events API', () => api.events({ from: new Date(Date.now() - 60_000).toISOString(), asc: true, limit: 1, aggregateTypes: ['user'] })));
      return { ok: checks.every((c) => c.ok), checks };
    },

    async run({ cursor, full }) {
      const parsed = full ? null : parseCursor(cursor);
      if (!full && cursor !== null && cursor !== undefined && !parsed) context.logger.warn('Zitadel delta cursor not understood; running a full snapshot');
      if (!parsed) return startRun(deps, null, null);
      const opening = await readChanges(deps, parsed.since);
      if (!opening.readable) {
        context.logger.warn('Zitadel events not usable: this delta runs as a full listing', { reason: opening.reason });
        return startRun(deps, parsed, null);
      }
      return startRun(deps, parsed, opening.changes);
    },

    async fetchUser(lookup: OneUserLookup): Promise<UserWithGroups | null> {
      const m = settings.mapping;
      let user: User | null;
      if (lookup.externalId) user = await byId(lookup.externalId);
      else if (lookup.userName) user = await findOne(m.userName as UserField, lookup.userName);
      else if (lookup.email) user = await findOne(m.email as UserField, lookup.email);
      else throw new Error('fetchUser needs externalId, userName or email');
      if (!user || user.type.case !== 'human') return null;
      const userId = user.userId;
      const groups: DirectoryGroup[] = [];
      const filters = [
        { filter: { case: 'userId' as const, value: { id: userId } } },
        { filter: { case: 'state' as const, value: { state: 1 /* STATE_ACTIVE */ } } },
      ];
      for await (const page of offsetPages(GRANTS_PAGE, async (offset) => {
        const r = await api.call(`listing the grants of Zitadel user ${userId}`, (o) =>
          api.authorizations.listAuthorizations({ pagination: { offset, limit: GRANTS_PAGE, asc: true }, filters }, o));
        return { items: r.authorizations, total: r.pagination?.totalResult ?? 0n };
      })) {
        for (const a of page) {
          for (const key of a.roles) groups.push({ externalId: groupId(a.projectId, key), displayName: key, profile: { projectId: a.projectId, projectName: a.projectName } });
        }
      }
      return { user: withSource(mapUser(user, m), context.sourceAttributes && plainUser(user), context.sourceAttributes), groups };
    },
  };
}
