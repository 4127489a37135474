/**
 * The Keycloak provider (`@keycloak/keycloak-admin-client`, imported only in
 * this folder), signed in with the client credentials of a service-account
 * client (client.ts).
 *
 * The service account needs, from the realm's `realm-management` client:
 * view-users (users, group members, a user's groups), query-groups (the
 * group tree) and, for deltas, view-events (admin events).
 *
 * Runs: run.ts (full snapshot and delta) and events.ts (admin events).
 * A delta runs only when the realm saves admin events and the service
 * account may read them; otherwise the run is a full listing, and the run's
 * log says why. The periodic full run stays on either way: admin events miss
 * changes made outside the admin API (federation, self-service).
 *
 * Decisions:
 * - `enabled: false` is inactive (map.ts); a DELETE admin event is a hard
 *   delete (`user.removed`, reason `deleted`); a user missing from a
 *   complete listing is left to the reconciler.
 * - The login hook reads the user's direct groups (`/users/{id}/groups`):
 *   parent groups come from the scheduled sync (groupsComplete: false).
 */
import type { ConnectionTestResult, DirectoryEvent, DirectoryGroup, DirectoryRun, DirectoryProvider, OneUserLookup, ProviderContext, UserWithGroups } from '../types.js';
import { ProviderError, withSource } from '../types.js';
import { KeycloakApi } from './client.js';
import { eventsAvailability, parseCursor } from './events.js';
import { fieldOf, mapGroup, mapUser, needsAttributes, type KeycloakGroupLike, type KeycloakUserLike } from './map.js';
import { deltaRun, fullRun, paged, type RunDeps } from './run.js';
import { parseKeycloakSettings } from './settings.js';

export { DEFAULT_MAPPING, parseKeycloakSettings, type KeycloakSettings } from './settings.js';
export type { KeycloakCursor } from './events.js';

function failedRun(mode: DirectoryRun['mode'], error: unknown): DirectoryRun {
  return {
    mode,
    pages: (async function* (): AsyncGenerator<DirectoryEvent[]> {
      throw error;
    })(),
    nextCursor() {
      throw new Error('the run failed: it has no cursor');
    },
  };
}

export function createKeycloakProvider(context: ProviderContext): DirectoryProvider {
  const settings = parseKeycloakSettings(context.settings, context.secrets);
  const api = new KeycloakApi(context, settings);
  const deps: RunDeps = { api, context };
  const mapping = settings.mapping;
  const brief = !needsAttributes(mapping);

  /**
   * A user by one mapped field. Keycloak's own `username`/`email` take an
   * exact search; an attribute is searched with `q=name:value`. Keycloak
   * matches case-insensitively: the value is compared again here.
   */
  async function findBy(field: string, value: string): Promise<KeycloakUserLike | null> {
    const attribute = field.startsWith('attributes.') ? field.slice('attributes.'.length) : null;
    const query = attribute ? { q: `${attribute}:${value}` } : { [field]: value, exact: true };
    const found = (await api.call(`looking up the Keycloak user with ${field} ${value}`, (kc) =>
      kc.users.find({ ...query, briefRepresentation: brief && !attribute, max: 2 }),
    )) as KeycloakUserLike[];
    const matches = found.filter((u) => fieldOf(u, field)?.toLowerCase() === value.toLowerCase());
    if (matches.length > 1) throw new ProviderError('bad-response', `several Keycloak users have ${field} "${value}"; look the user up by userName or externalId`);
    return matches[0] ?? null;
  }

  return {
    async test(): Promise<ConnectionTestResult> {
      const checks: ConnectionTestResult['checks'] = [];
      const signIn = `client credentials of "${settings.clientId}" in realm "${settings.realm}"`;
      // Signing in names a bad secret, an unknown realm or client, a client without a service account.
      try {
        await api.signedIn();
        checks.push({ name: signIn, ok: true });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        checks.push({ name: signIn, ok: false, detail: e.message });
        for (const name of ['read users', 'read groups', 'admin events (deltas)']) checks.push({ name, ok: false, detail: 'not checked: no access token' });
        return { ok: false, checks };
      }
      const probe = async (name: string, missing: string, send: () => Promise<unknown>): Promise<void> => {
        try {
          await send();
          checks.push({ name, ok: true });
        } catch (e) {
          if (!(e instanceof ProviderError)) throw e;
          checks.push({ name, ok: false, detail: e.kind === 'permission' ? missing : e.message });
        }
      };
      await probe('read users', 'the service account lacks the view-users role (realm-management)', () =>
        api.call('reading Keycloak users', (kc) => kc.users.find({ first: 0, max: 1, briefRepresentation: true })),
      );
      await probe('read groups', 'the service account lacks the query-groups role (realm-management)', () =>
        api.call('reading Keycloak groups', (kc) => kc.groups.find({ first: 0, max: 1 })),
      );
      const events = await eventsAvailability(api).catch((e: unknown) => {
        if (e instanceof ProviderError) return { usable: false as const, reason: e.message };
        throw e;
      });
      checks.push(events.usable ? { name: 'admin events (deltas)', ok: true } : { name: 'admin events (deltas)', ok: false, detail: `${events.reason}: deltas will be full runs` });
      return { ok: checks.every((c) => c.ok), checks };
    },

    async run({ cursor, full }) {
      const parsed = full ? null : parseCursor(cursor);
      if (!full && cursor !== null && cursor !== undefined && !parsed) {
        context.logger.warn('Keycloak delta cursor not understood; running a full snapshot');
      }
      let events: Awaited<ReturnType<typeof eventsAvailability>>;
      try {
        events = await eventsAvailability(api);
      } catch (e) {
        // The run fails when its pages are read, as any listing does (a run that throws here would have no pages to report).
        return failedRun(parsed ? 'delta' : 'full', e);
      }
      if (!events.usable) {
        context.logger.warn(`Keycloak admin events cannot carry deltas (${events.reason}): ${parsed ? 'this delta runs as a full listing' : 'the next runs will be full listings too'}`);
        return fullRun(deps, false);
      }
      return parsed ? deltaRun(deps, parsed) : fullRun(deps, true);
    },

    async fetchUser(lookup: OneUserLookup): Promise<UserWithGroups | null> {
      let user: KeycloakUserLike | null;
      if (lookup.externalId) {
        const id = lookup.externalId;
        user = (await api.call('reading a Keycloak user', (kc) => kc.users.findOne({ id }))) as KeycloakUserLike | null;
      } else if (lookup.userName) user = await findBy(mapping.userName, lookup.userName);
      else if (lookup.email) user = await findBy(mapping.email, lookup.email);
      else throw new Error('fetchUser needs externalId, userName or email');
      if (!user?.id) return null;
      const id = user.id;
      const groups: DirectoryGroup[] = [];
      try {
        for await (const page of paged<KeycloakGroupLike>(deps, `listing the groups of Keycloak user ${id}`, (first, max) =>
          api.call(`listing the groups of Keycloak user ${id}`, (kc) => kc.users.listGroups({ id, first, max, briefRepresentation: true }) as Promise<KeycloakGroupLike[]>),
        )) {
          groups.push(...page.filter((g) => g.id).map(mapGroup));
        }
      } catch (e) {
        // Deleted between the two calls.
        if (e instanceof ProviderError && e.kind === 'not-found') return null;
        throw e;
      }
      return { user: withSource(mapUser(user, mapping), user, context.sourceAttributes), groups };
    },
  };
}
