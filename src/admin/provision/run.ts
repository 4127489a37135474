/**
 * Provision on demand, the I/O: fetch one user and their groups live through
 * the provider's one-user lookup (the login hook's `fetchUser`), read what the
 * store holds of them, plan (./plan.ts), and apply through the lifecycle
 * layer in one transaction, or only say what would be applied (dry run).
 *
 * A real provision holds the connection's sync lease (src/pull/reconcile/lease.ts)
 * from the fetch to the commit, so it never races a running sync of the
 * connection: while one runs it is refused (409) and the admin tries again
 * when it ends. The login hook does not take the lease because a login must
 * never wait; an admin's one-user provision can, and the lease is the only
 * guard that holds across replicas (the login hook's shared fetch is per
 * process). A dry run writes nothing and takes no lease: it may read the
 * store in the middle of a sync's apply, which only its trace can show.
 *
 * A disabled connection is provisioned as `roster sync` syncs it: disabling
 * pauses the schedule, and an admin asking for one user means it.
 */
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../../core/errors/index.js';
import { applyChanges, type Actor, type LifecycleChange } from '../../core/lifecycle/index.js';
import type { Logger } from '../../core/logging/index.js';
import type { SecretKeyring } from '../../core/secrets/index.js';
import {
  findLoginUsers,
  findUserById,
  insertChangeOutcomes,
  knownGroupsOf,
  listMappings,
  listUserGroups,
  listUserRoles,
  loginUserView,
  type ConnectionRow,
  type Db,
  type LoginLookup,
  type LoginUserView,
} from '../../core/store/index.js';
import { openProvider } from '../../pull/providers/open.js';
import { findDescriptor, pullDescriptorOf, type UserWithGroups } from '../../pull/providers/index.js';
import type { NameLookup } from '../../pull/reconcile/collisions.js';
import { DEFAULT_SYNC_LEASE_MS, withLease, type HeldLease } from '../../pull/reconcile/lease.js';
import type { Nesting } from '../../pull/reconcile/plan.js';
import type { ScopeSettings } from '../../pull/reconcile/scope.js';
import { findUserNameHolders } from '../../pull/reconcile/store.js';
import { planProvision, type ProvisionOutcome, type ProvisionStep, type StoredProvisionUser } from './plan.js';

export interface ProvisionDeps {
  db: Db;
  keyring: SecretKeyring;
  logger: Logger;
  actor: Actor;
  leaseTtlMs?: number | undefined;
}

/** Exactly one of userName, email, externalId; or `user`, any of the three (the CLI's `--user`). */
export interface ProvisionRequest {
  label: string;
  lookup: LoginLookup & { user?: string | undefined };
  dryRun: boolean;
}

/** The stored user as the login hook shows them, with their groups' names and their roles. */
export type ProvisionedUser = Omit<LoginUserView, 'updatedAt'> & {
  groups: string[];
  roles: Array<{ name: string; source: 'idp' | 'manual' }>;
};

export interface ProvisionResult {
  dryRun: boolean;
  outcome: ProvisionOutcome;
  steps: ProvisionStep[];
  /** The user as stored after the provision (a dry run: as stored now); null when there is none. */
  user: ProvisionedUser | null;
}

export const SCIM_NOTHING_TO_FETCH = 'scim connections are pushed by the IdP; nothing to fetch';

const elapsed = (since: number) => Math.round((performance.now() - since) * 10) / 10;

export async function provisionUser(deps: ProvisionDeps, connection: ConnectionRow, request: ProvisionRequest): Promise<ProvisionResult> {
  const descriptor = pullDescriptorOf(connection.kind);
  if (!descriptor) {
    if (findDescriptor(connection.kind)?.direction === 'push') throw new ValidationError(SCIM_NOTHING_TO_FETCH);
    throw new ValidationError(`connections of kind ${connection.kind} are not pulled: nothing to fetch`);
  }
  const given = (['userName', 'email', 'externalId', 'user'] as const).filter((k) => typeof request.lookup[k] === 'string' && request.lookup[k] !== '');
  if (given.length !== 1) throw new ValidationError('give exactly one of userName, email or externalId');
  if (request.dryRun) return provisionWith(deps, connection, request, descriptor.groupsComplete, undefined);
  return withLease(deps, connection, request.label, deps.leaseTtlMs ?? DEFAULT_SYNC_LEASE_MS, (current, lease) =>
    provisionWith(deps, current, request, descriptor.groupsComplete, lease),
  );
}

/** The stored user of this connection a lookup names, if one does. */
async function storedOf(db: Db, connection: ConnectionRow, lookup: LoginLookup): Promise<string | undefined> {
  const rows = await findLoginUsers(db, connection.tenantId, lookup);
  return rows.find((r) => r.connection_id === connection.id)?.id;
}

/** The lookups to try, in order: a free identifier may be any of the three. */
function lookupsOf(lookup: ProvisionRequest['lookup']): LoginLookup[] {
  if (!lookup.user) return [lookup.userName ? { userName: lookup.userName } : lookup.email ? { email: lookup.email } : { externalId: lookup.externalId! }];
  const v = lookup.user;
  return [{ userName: v }, ...(v.includes('@') ? [{ email: v }] : []), { externalId: v }];
}

async function provisionWith(deps: ProvisionDeps, connection: ConnectionRow, request: ProvisionRequest, groupsComplete: boolean, lease: HeldLease | undefined): Promise<ProvisionResult> {
  const { db } = deps;
  const tenantId = connection.tenantId;
  const steps: ProvisionStep[] = [];
  const lookups = lookupsOf(request.lookup);

  // 1. fetch: asking by the IdP's own id finds a stored user even after a rename in the IdP (as the login hook does).
  let t = performance.now();
  let knownId: string | undefined;
  for (const l of lookups) knownId ??= await storedOf(db, connection, l);
  const knownExternal = knownId ? (await findUserById(db, tenantId, knownId))?.externalId : undefined;
  const asks = knownExternal ? [{ externalId: knownExternal }, ...lookups] : lookups;
  let live: UserWithGroups | null = null;
  const asked: Array<LoginLookup & { error?: string }> = [];
  try {
    const provider = await openProvider(connection, deps.keyring, { logger: deps.logger });
    for (const ask of asks) {
      try {
        live = await provider.fetchUser(ask);
      } catch (err) {
        // The IdP answered an earlier form of the identifier: one it refuses (an email as an id) means not this way.
        if (!asked.length) throw err;
        asked.push({ ...ask, error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      asked.push(ask);
      if (live) break;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.logger.warn('provision on demand: the IdP could not be asked', { connectionId: connection.id, error: message });
    steps.push({ step: 'fetch', status: 'failed', ms: elapsed(t), summary: `the IdP could not be asked: ${message}`, detail: { asked, error: message } });
    for (const s of ['match', 'scope', 'attributes', 'groups', 'apply'] as const) steps.push({ step: s, status: 'skipped', ms: 0, summary: 'the fetch failed', detail: {} });
    return { dryRun: request.dryRun, outcome: 'skipped', steps, user: await userView(db, tenantId, knownId) };
  }
  const disabled = connection.enabled ? '' : '; the connection is disabled (its schedule is paused), provisioned on demand all the same';
  steps.push(
    live
      ? {
          step: 'fetch',
          status: 'ok',
          ms: elapsed(t),
          summary: `found ${live.user.userName} (${live.user.active ? 'active' : `disabled${live.user.status ? `: ${live.user.status}` : ''}`}) in ${live.groups.length} group(s)${disabled}`,
          detail: { asked, user: live.user, groups: live.groups.map((g) => ({ externalId: g.externalId, displayName: g.displayName })), connectionEnabled: connection.enabled },
        }
      : { step: 'fetch', status: 'failed', ms: elapsed(t), summary: `not found in the IdP${disabled}`, detail: { asked, connectionEnabled: connection.enabled } },
  );

  // 2. match: the stored state of this user, their groups and roles, and the tenant's mappings.
  t = performance.now();
  const storedId = live ? await storedOf(db, connection, { externalId: live.user.externalId }) : knownId;
  const row = storedId ? await findUserById(db, tenantId, storedId) : undefined;
  const stored: StoredProvisionUser | undefined = row && {
    id: row.id,
    externalId: row.externalId,
    userName: row.userName,
    email: row.email,
    displayName: row.displayName,
    givenName: row.givenName,
    familyName: row.familyName,
    profile: (row.profile as Record<string, unknown> | null) ?? null,
    active: row.active,
    sourceHash: row.sourceHash,
  };
  const inherited = live && !groupsComplete ? await inheritedGroups(db, connection, live) : new Map<string, string>();
  const groups = live ? [...live.groups, ...[...inherited].map(([externalId, displayName]) => ({ externalId, displayName }))] : [];
  const [storedGroups, knownGroups, mappings, roles, userNames] = await Promise.all([
    stored ? listUserGroups(db, tenantId, stored.id) : [],
    knownGroupsOf(db, tenantId, connection.id, groups.map((g) => g.externalId)),
    listMappings(db, tenantId),
    stored ? listUserRoles(db, tenantId, stored.id) : [],
    live ? findUserNameHolders(db, tenantId, [live.user.userName]) : ({ keys: new Map(), holders: new Map() } satisfies NameLookup),
  ]);
  const readMs = elapsed(t);

  const plan = planProvision({
    connectionId: connection.id,
    live: live && { user: live.user, groups },
    stored,
    storedGroups,
    knownGroups,
    inheritedGroups: new Set(inherited.keys()),
    groupsComplete,
    scope: ((connection.settings ?? {}) as { scope?: ScopeSettings }).scope,
    mappings,
    roles,
    userNames,
    newId: randomUUID,
    now: () => performance.now(),
  });
  for (const s of plan.steps) steps.push(s.step === 'match' ? { ...s, ms: readMs } : { ...s, ms: Math.round(s.ms * 10) / 10 });

  // 6. apply.
  t = performance.now();
  const kinds = countKinds(plan.changes);
  const requestId = randomUUID();
  if (plan.blocked) {
    // Held back like a sync's userName conflict, and logged like one (the provisioning log's `held`).
    if (!request.dryRun && live) {
      await insertChangeOutcomes(db, [
        { tenantId, connectionId: connection.id, requestId, source: 'admin', entityType: 'user', entityId: stored?.id ?? null, externalId: live.user.externalId, userName: live.user.userName, outcome: 'held', reason: plan.blocked },
      ]);
    }
    steps.push({ step: 'apply', status: 'failed', ms: 0, summary: `held back, as a sync would hold it: ${plan.blocked}`, detail: { changes: {} } });
  } else if (plan.changes.length === 0) {
    steps.push({ step: 'apply', status: 'skipped', ms: 0, summary: plan.outcome === 'not-found' ? 'nothing applied' : 'nothing to apply: the store already holds this', detail: { changes: {} } });
  } else if (request.dryRun) {
    steps.push({ step: 'apply', status: 'skipped', ms: 0, summary: `dry run: would apply ${describeKinds(kinds)}${plan.heldBack ? `; ${plan.heldBack}` : ''}`, detail: { changes: kinds } });
  } else {
    await lease?.confirm();
    const applied = await applyChanges(db, { tenantId, actor: { ...deps.actor, requestId } }, plan.changes);
    steps.push({
      step: 'apply',
      status: 'ok',
      ms: elapsed(t),
      summary: `applied ${describeKinds(kinds)} in one transaction, ${applied.auditEvents} audit event(s)${plan.heldBack ? `; ${plan.heldBack}` : ''}`,
      detail: { changes: kinds, counts: nonZero(applied.counts as unknown as Record<string, number>), auditEvents: applied.auditEvents, rowsWritten: applied.rowsWritten, requestId },
    });
  }
  deps.logger.info('provision on demand', { connection: request.label, outcome: plan.outcome, dryRun: request.dryRun, changes: plan.changes.length, requestId });
  return { dryRun: request.dryRun, outcome: plan.outcome, steps, user: await userView(db, tenantId, plan.userId ?? stored?.id) };
}

/**
 * Groups of this connection the user is in through nesting that the IdP's
 * one-user answer leaves out (it lists direct groups only): the parents, by
 * the nesting the last sync kept in the connection's cursor (src/pull/reconcile/run.ts,
 * StoredCursor v2), of the groups it listed. External id → stored display name.
 * Without them, a user in scope through a nested group would look out of it.
 */
async function inheritedGroups(db: Db, connection: ConnectionRow, live: UserWithGroups): Promise<Map<string, string>> {
  const cursor = connection.deltaCursor as { v?: unknown; nesting?: Nesting } | null;
  const children = cursor?.v === 2 ? (cursor.nesting?.children ?? {}) : {};
  const parents = new Map<string, string[]>();
  for (const [parent, kids] of Object.entries(children)) for (const kid of kids) parents.set(kid, [...(parents.get(kid) ?? []), parent]);
  const listed = new Set(live.groups.map((g) => g.externalId));
  const found = new Set<string>();
  const queue = [...listed];
  while (queue.length) {
    for (const p of parents.get(queue.pop()!) ?? []) {
      if (listed.has(p) || found.has(p)) continue;
      found.add(p);
      queue.push(p);
    }
  }
  if (!found.size) return new Map();
  const stored = await knownGroupsOf(db, connection.tenantId, connection.id, [...found]);
  return new Map([...stored].map(([ext, g]) => [ext, g.displayName]));
}

function countKinds(changes: LifecycleChange[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of changes) out[c.kind] = (out[c.kind] ?? 0) + 1;
  return out;
}

const describeKinds = (kinds: Record<string, number>) =>
  `${Object.values(kinds).reduce((a, b) => a + b, 0)} change(s) (${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')})`;

const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

async function userView(db: Db, tenantId: string, userId: string | undefined): Promise<ProvisionedUser | null> {
  if (!userId) return null;
  const user = await loginUserView(db, tenantId, userId);
  if (!user) return null;
  const [groups, roles] = await Promise.all([listUserGroups(db, tenantId, userId), listUserRoles(db, tenantId, userId)]);
  const { updatedAt: _updatedAt, ...shown } = user;
  return { ...shown, groups: groups.map((g) => g.displayName), roles: roles.map((r) => ({ name: r.name, source: r.source })) };
}
