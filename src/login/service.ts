/**
 * Sync-on-login: the login service asks whether a user may sign in, and
 * Roster answers from the IdP itself when it can. The user and their groups
 * are fetched live (one-user provider call), applied through the lifecycle
 * layer, and the answer is read back from the store, so it carries the roles
 * the group mappings give. The live part has a time budget per connection;
 * past it, or when the IdP fails, the answer comes from the store with the
 * reason, so an IdP outage never blocks logins. Concurrent logins of one user
 * share one live fetch.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors/index.js';
import { applyChanges, type Actor } from '../core/lifecycle/index.js';
import type { Logger } from '../core/logging/index.js';
import { openProvider } from '../pull/providers/open.js';
import { findDescriptor, pullDescriptorOf, pullKinds, type DirectoryProvider } from '../pull/providers/index.js';
import type { ScopeSettings } from '../pull/reconcile/scope.js';
import type { SecretKeyring } from '../core/secrets/index.js';
import {
  findConnectionById,
  findLoginUsers,
  findTenant,
  insertChangeOutcomes,
  knownGroupsOf,
  listLoginSyncConnectionIds,
  listUserGroups,
  listUserRoles,
  loginUserView,
  storedMembershipsOf,
  type ConnectionRow,
  type Db,
  type LoginLookup,
  type LoginUserView,
  type StoredLoginRow,
  type Store,
} from '../core/store/index.js';
import { planLoginSync } from './plan.js';

/** The stored user a login names, or undefined. An email or externalId held by several users is ambiguous. */
async function findLoginUser(db: Db, tenantId: string, lookup: LoginLookup): Promise<StoredLoginRow | undefined> {
  const rows = await findLoginUsers(db, tenantId, lookup);
  if (rows.length > 1) {
    const what = lookup.email ? 'email' : 'externalId';
    throw new ConflictError(`several users of this tenant have this ${what}; identify the user by userName`);
  }
  return rows[0];
}

export interface LoginSyncAnswer {
  allowed: boolean;
  user: (Omit<LoginUserView, 'updatedAt'> & { connection: string }) | null;
  groups: Array<{ id: string; displayName: string; externalId: string | null; connectionId: string }>;
  roles: Array<{ id: string; name: string; source: 'idp' | 'manual'; grantedBy: string | null }>;
  source: 'live' | 'stored';
  /** Why the answer is not live, or why the login is denied. */
  reason?: string;
  /** When the IdP was asked (live), or when the stored user was last written (stored); null when there is no user. */
  syncedAt: string | null;
}

export interface LoginSyncDeps {
  store: Pick<Store, 'db'>;
  keyring: SecretKeyring;
  logger: Logger;
}

/** What one live round for one connection produced. */
type LiveOutcome = { ok: true; userId: string | undefined; denied?: string } | { ok: false; reason: string };

/** Requests in flight to one IdP for logins, across users (each login makes one or two). */
const LOGIN_CONCURRENCY = 32;

export class LoginSyncService {
  private readonly inFlight = new Map<string, Promise<LiveOutcome>>();
  /**
   * One provider per connection (rebuilt when the connection changes): its
   * credential keeps the IdP's access token and its HTTP agent the open
   * connections, so a login costs one API call, not a token request and a
   * TLS handshake as well.
   */
  private readonly providers = new Map<string, { version: number; provider: Promise<DirectoryProvider> }>();

  constructor(private readonly deps: LoginSyncDeps) {}

  async login(tenantRef: string, lookup: LoginLookup, actor: Actor): Promise<LoginSyncAnswer> {
    const given = (['userName', 'email', 'externalId'] as const).filter((k) => typeof lookup[k] === 'string' && lookup[k] !== '');
    if (given.length !== 1) throw new ValidationError('give exactly one of userName, email or externalId');
    const db = this.deps.store.db;
    const tenant = await findTenant(db, tenantRef);
    if (!tenant) throw new NotFoundError(`tenant "${tenantRef}" not found`);
    const stored = await findLoginUser(db, tenant.id, lookup);

    if (stored) {
      const connection = await findConnectionById(db, stored.connection_id);
      const skip = connection ? whyNotLive(connection) : 'the connection is gone';
      if (skip || !connection) return this.answer(tenant.id, stored.id, 'stored', skip);
      // Asking by the IdP's own id finds the user even after a rename.
      const outcome = await this.live(tenant.id, connection, stored.external_id ? { externalId: stored.external_id } : lookup, actor);
      if (!outcome.ok) return this.answer(tenant.id, stored.id, 'stored', outcome.reason);
      return this.answer(tenant.id, outcome.userId, 'live', outcome.denied);
    }

    // Not stored yet (a new hire before the next sync): ask every connection that may be asked.
    const candidates = (await Promise.all((await listLoginSyncConnectionIds(db, tenant.id, pullKinds())).map((id) => findConnectionById(db, id)))).filter(
      (c): c is ConnectionRow => !!c,
    );
    if (candidates.length === 0) return this.answer(tenant.id, undefined, 'stored', 'no such user, and no connection of this tenant syncs on login');
    const outcomes = await Promise.all(candidates.map((c) => this.live(tenant.id, c, lookup, actor)));
    const found = outcomes.find((o): o is Extract<LiveOutcome, { ok: true }> => o.ok && o.userId !== undefined);
    if (found) return this.answer(tenant.id, found.userId, 'live', found.denied);
    const failed = outcomes.find((o): o is Extract<LiveOutcome, { ok: false }> => !o.ok);
    if (failed) return this.answer(tenant.id, undefined, 'stored', failed.reason);
    return this.answer(tenant.id, undefined, 'live', 'no such user in the IdP');
  }

  /** The live round for one connection, shared by concurrent logins of the same user, within the connection's budget. */
  private live(tenantId: string, connection: ConnectionRow, lookup: LoginLookup, actor: Actor): Promise<LiveOutcome> {
    const key = `${connection.id}|${lookup.externalId ?? ''}|${lookup.userName?.toLowerCase() ?? ''}|${lookup.email?.toLowerCase() ?? ''}`;
    let shared = this.inFlight.get(key);
    if (!shared) {
      // Settles at the budget at the latest, so a hung IdP call never keeps later logins of this user waiting on it.
      shared = withinBudget(this.fetchAndApply(tenantId, connection, lookup, actor), connection.loginSyncTimeoutMs).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, shared);
    }
    return withinBudget(shared, connection.loginSyncTimeoutMs);
  }

  private providerFor(connection: ConnectionRow): Promise<DirectoryProvider> {
    const version = connection.updatedAt.getTime();
    const cached = this.providers.get(connection.id);
    if (cached?.version === version) return cached.provider;
    // Logins of different users run side by side; the sync's per-connection limit (default 4) would queue them.
    const provider = openProvider(connection, this.deps.keyring, { logger: this.deps.logger, concurrency: LOGIN_CONCURRENCY });
    this.providers.set(connection.id, { version, provider });
    return provider;
  }

  private async fetchAndApply(tenantId: string, connection: ConnectionRow, lookup: LoginLookup, actor: Actor): Promise<LiveOutcome> {
    const started = Date.now();
    const late = () => Date.now() - started >= connection.loginSyncTimeoutMs;
    const db = this.deps.store.db;
    // The login sync's own id, on its audit events and in the provisioning log.
    const requestId = randomUUID();
    let fetched = false;
    try {
      const settings = (connection.settings ?? {}) as Record<string, unknown>;
      const live = await (await this.providerFor(connection)).fetchUser(lookup);
      fetched = true;
      // Past the budget the login was answered from the store already; applying now would only race the next sync.
      if (late()) return { ok: false, reason: `the IdP did not answer within ${connection.loginSyncTimeoutMs} ms` };

      const stored = live ? await findLoginUser(db, tenantId, { externalId: live.user.externalId }) : await findLoginUser(db, tenantId, lookup);
      const mine = stored && stored.connection_id === connection.id ? stored : undefined;
      const [storedMemberships, knownGroups] = await Promise.all([
        mine ? storedMembershipsOf(db, tenantId, connection.id, mine.id) : new Map<string, string>(),
        knownGroupsOf(db, tenantId, connection.id, live?.groups.map((g) => g.externalId) ?? []),
      ]);
      const plan = planLoginSync({
        connectionId: connection.id,
        stored: mine && { id: mine.id, externalId: mine.external_id, active: mine.active, sourceHash: mine.source_hash },
        storedMemberships,
        knownGroups,
        live,
        // Whether the one-user answer lists every group, nested ones included, or direct ones only (each descriptor says).
        groupsComplete: pullDescriptorOf(connection.kind)?.groupsComplete ?? false,
        scope: (settings as { scope?: ScopeSettings }).scope,
        newId: randomUUID,
      });
      if (plan.changes.length) await applyChanges(db, { tenantId, actor: { type: 'login', id: actor.id, requestId } }, plan.changes);
      return { ok: true, userId: plan.userId, ...(plan.reason ? { denied: plan.reason } : {}) };
    } catch (err) {
      const reason = `the IdP could not be asked: ${(err as Error).message}`;
      this.deps.logger.warn('sync on login fell back to the stored state', { connectionId: connection.id, reason });
      if (!fetched) await this.recordFetchFailure(tenantId, connection, lookup, requestId, reason);
      return { ok: false, reason };
    }
  }

  /** A live fetch that failed, in the provisioning log of the user it was for (when Roster holds one of this connection). */
  private async recordFetchFailure(tenantId: string, connection: ConnectionRow, lookup: LoginLookup, requestId: string, reason: string): Promise<void> {
    const db = this.deps.store.db;
    try {
      const known = await findLoginUser(db, tenantId, lookup);
      if (!known || known.connection_id !== connection.id) return;
      await insertChangeOutcomes(db, [
        {
          tenantId,
          connectionId: connection.id,
          requestId,
          source: 'login',
          entityType: 'user',
          entityId: known.id,
          externalId: known.external_id,
          userName: lookup.userName ?? null,
          outcome: 'failed',
          reason,
          detail: { action: 'login.sync' },
        },
      ]);
    } catch (err) {
      this.deps.logger.warn('could not record a failed login sync in the provisioning log', { connectionId: connection.id, error: err });
    }
  }

  private async answer(tenantId: string, userId: string | undefined, source: 'live' | 'stored', reason?: string): Promise<LoginSyncAnswer> {
    const db = this.deps.store.db;
    const user = userId ? await loginUserView(db, tenantId, userId) : undefined;
    const syncedAt = source === 'live' ? new Date().toISOString() : (user?.updatedAt ?? null);
    if (!user) return { allowed: false, user: null, groups: [], roles: [], source, reason: reason ?? 'no such user', syncedAt };
    const [groups, roles, connection] = await Promise.all([listUserGroups(db, tenantId, user.id), listUserRoles(db, tenantId, user.id), findConnectionById(db, user.connectionId)]);
    const { updatedAt: _updatedAt, ...shown } = user;
    const denied = user.active ? undefined : (reason ?? 'the user is deactivated');
    return {
      allowed: user.active,
      user: { ...shown, connection: connection?.name ?? user.connectionId },
      groups,
      roles,
      source,
      ...(denied ?? reason ? { reason: denied ?? reason } : {}),
      syncedAt,
    };
  }
}

/** `work`, or a timeout outcome once `budgetMs` have passed, whichever comes first. */
function withinBudget(work: Promise<LiveOutcome>, budgetMs: number): Promise<LiveOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<LiveOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `the IdP did not answer within ${budgetMs} ms` }), budgetMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Why a stored user's connection is not asked live, or undefined when it is. */
function whyNotLive(connection: ConnectionRow): string | undefined {
  const direction = findDescriptor(connection.kind)?.direction;
  if (direction === 'push') return 'a SCIM connection is pushed to: answered from the store';
  if (direction !== 'pull') return `connections of kind ${connection.kind} are not asked live`;
  if (!connection.enabled) return 'the connection is disabled: answered from the store';
  if (!connection.loginSyncEnabled) return 'sync on login is off for this connection: answered from the store';
  return undefined;
}
