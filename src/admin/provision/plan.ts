/**
 * Provision on demand, the pure part: what the IdP's live answer for one
 * user means for the store, step by step, as Entra's "provision on demand"
 * shows it (fetched → matched → in scope? → attributes → groups and roles →
 * applied). The runner (./run.ts) fetches, reads the store and applies; this
 * decides, with the same rules as the other ways in:
 *
 * - the changes are the login hook's one-user plan (planLoginSync), so a
 *   provisioned user carries the same source hash the scheduled sync writes;
 * - scope is the reconciler's filter (src/pull/reconcile/scope.ts) over the
 *   user's groups, and out of scope is what the reconciler makes of it: a
 *   stored active user is deactivated, a new one is not created;
 * - a user disabled in the IdP is created inactive, or deactivated, as the
 *   reconciler does;
 * - a userName another user holds holds the user back (collisions.ts), as a
 *   sync run would;
 * - roles are predicted from the group-to-role mappings the way the
 *   lifecycle's recompute derives them (src/core/lifecycle/roles.ts).
 */
import type { LifecycleChange } from '../../core/lifecycle/index.js';
import { planLoginSync } from '../../login/index.js';
import type { DirectoryUser, UserWithGroups } from '../../pull/providers/index.js';
import { admitUserNames, describeConflicts, type NameLookup } from '../../pull/reconcile/collisions.js';
import { LEFT_SCOPE } from '../../pull/reconcile/plan.js';
import { createScopeFilter, type ScopeSettings } from '../../pull/reconcile/scope.js';

export const PROVISION_STEPS = ['fetch', 'match', 'scope', 'attributes', 'groups', 'apply'] as const;
export type ProvisionStepName = (typeof PROVISION_STEPS)[number];
export type ProvisionOutcome = 'created' | 'updated' | 'reactivated' | 'deactivated' | 'no-change' | 'skipped' | 'not-found';

export interface ProvisionStep {
  step: ProvisionStepName;
  status: 'ok' | 'skipped' | 'failed';
  /** How long the step took, in milliseconds. */
  ms: number;
  summary: string;
  detail: Record<string, unknown>;
}

export const DISABLED_ON_DEMAND = 'disabled in the IdP (provisioned on demand)';
export const OUT_OF_SCOPE_ON_DEMAND = 'outside the connection’s scope (provisioned on demand)';

/** The user as stored for this connection. */
export interface StoredProvisionUser {
  id: string;
  externalId: string | null;
  userName: string;
  email: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  profile: Record<string, unknown> | null;
  active: boolean;
  sourceHash: string | null;
}

/** A stored group the user is in (any connection: tenant-wide mappings read them all). */
export interface StoredGroupRef {
  id: string;
  externalId: string | null;
  displayName: string;
  connectionId: string;
}

/** A group-to-role mapping of the tenant. */
export interface RoleMappingRef {
  roleId: string;
  roleName: string;
  matchBy: 'display_name' | 'external_id';
  groupRef: string;
  connectionId: string | null;
  tenantWide: boolean;
}

export interface StoredRoleRef {
  id: string;
  name: string;
  source: 'idp' | 'manual';
}

export interface ProvisionInput {
  connectionId: string;
  /** The IdP's answer; null = the IdP has no such user. */
  live: UserWithGroups | null;
  /** The stored user of this connection: the one with the live user's externalId, or (not found) the one the lookup names. */
  stored: StoredProvisionUser | undefined;
  /** Groups the stored user is in, every connection's. */
  storedGroups: StoredGroupRef[];
  /** Groups of this connection already stored, by external id (those the live answer names). */
  knownGroups: ReadonlyMap<string, { id: string; displayName: string; sourceHash: string | null }>;
  /** Groups in `live.groups` that the IdP did not list but that contain a listed one (the stored nesting). */
  inheritedGroups?: ReadonlySet<string>;
  /** Whether the IdP's one-user answer lists every group, nested ones included (the provider's descriptor says). */
  groupsComplete: boolean;
  scope?: ScopeSettings | undefined;
  mappings: RoleMappingRef[];
  /** The stored user's roles, both sources. */
  roles: StoredRoleRef[];
  /** Who holds the live userName in the tenant (the store's answer, keyed as the unique index compares). */
  userNames: NameLookup;
  newId: () => string;
  /** A clock for the steps' timings (milliseconds); none = every pure step takes 0 ms. */
  now?: () => number;
}

export interface ProvisionPlan {
  outcome: ProvisionOutcome;
  /** What to apply, in apply order (empty for not-found, skipped and no-change). */
  changes: LifecycleChange[];
  /** The user's id after the changes; undefined when there is none. */
  userId: string | undefined;
  /** match, scope, attributes and groups (fetch and apply are the runner's). */
  steps: ProvisionStep[];
  /** Why the user cannot be created (their userName is taken, a value is too long to store): nothing applies. */
  blocked?: string;
  /** A rename held back because another user holds the new userName: the rest applies, as in a sync run. */
  heldBack?: string;
}

const FIELDS = ['userName', 'email', 'displayName', 'givenName', 'familyName', 'profile'] as const;

/** A field-by-field comparison: only fields that differ. */
export function attributeChanges(before: StoredProvisionUser | undefined, after: DirectoryUser): Array<{ field: string; before: unknown; after: unknown }> {
  const out: Array<{ field: string; before: unknown; after: unknown }> = [];
  for (const field of FIELDS) {
    const a = field === 'profile' ? (after.profile ?? null) : after[field];
    const b = before ? before[field] : null;
    if (!before || stable(a) !== stable(b)) out.push({ field, before: before ? b : null, after: a });
  }
  return out;
}

function stable(value: unknown): string {
  if (value === null || value === undefined || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  const o = value as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stable(o[k])}`).join(',')}}`;
}

/** Roles the mappings give for these groups, as the lifecycle's recompute matches them. */
export function mappedRoles(groups: Array<{ externalId: string | null; displayName: string; connectionId: string }>, mappings: RoleMappingRef[]): Map<string, string> {
  const roles = new Map<string, string>();
  for (const m of mappings) {
    const hit = groups.some(
      (g) =>
        (m.tenantWide || m.connectionId === g.connectionId) &&
        (m.matchBy === 'external_id' ? g.externalId !== null && m.groupRef === g.externalId : m.groupRef.toLowerCase() === g.displayName.toLowerCase()),
    );
    if (hit) roles.set(m.roleId, m.roleName);
  }
  return roles;
}

const names = (ids: Iterable<string>, byId: ReadonlyMap<string, string>) => [...ids].map((id) => byId.get(id) ?? id).sort();

export function planProvision(input: ProvisionInput): ProvisionPlan {
  const now = input.now ?? (() => 0);
  const steps: ProvisionStep[] = [];
  let started = now();
  const step = (name: ProvisionStepName, status: ProvisionStep['status'], summary: string, detail: Record<string, unknown> = {}) => {
    const at = now();
    steps.push({ step: name, status, ms: at - started, summary, detail });
    started = at;
  };
  const skipRest = (from: ProvisionStepName[], why: string) => from.forEach((s) => step(s, 'skipped', why));
  const { live, stored } = input;

  if (!live) {
    if (!stored) {
      step('match', 'skipped', 'no stored user of this connection has this identifier either');
    } else {
      // A user missing from a complete listing is deactivated (plan.ts): that is what the next full sync does.
      const would = stored.active ? `the next full sync would deactivate them (${LEFT_SCOPE})` : 'they are inactive already; the next full sync leaves them so';
      step('match', 'ok', `stored user ${stored.id} (${stored.userName}) has this identifier: ${would}; nothing is done now`, {
        storedUser: { id: stored.id, userName: stored.userName, externalId: stored.externalId, active: stored.active },
        fullSyncWould: stored.active ? 'deactivate' : 'nothing',
      });
    }
    skipRest(['scope', 'attributes', 'groups'], 'the IdP has no such user');
    return { outcome: 'not-found', changes: [], userId: stored?.id, steps };
  }

  const user = live.user;
  if (stored) {
    step('match', 'ok', `matched to stored user ${stored.id} (${stored.userName}) by externalId ${user.externalId}`, {
      storedUser: { id: stored.id, userName: stored.userName, externalId: stored.externalId, active: stored.active },
      by: 'externalId',
    });
  } else {
    step('match', 'ok', `new: no stored user of this connection has externalId ${user.externalId}`, { storedUser: null });
  }

  // Scope: the reconciler's filter over the groups the user is in (the IdP's, and those the stored nesting adds).
  const filter = createScopeFilter(input.scope, live.groups.map((g) => [g.externalId, g.displayName] as [string, string]));
  const excluded = filter.excludesEmail(user.email);
  const inGroup = !filter.byGroup || filter.groupIds.length > 0;
  const scopeDetail = {
    inScope: !excluded && inGroup,
    scopeGroups: input.scope?.groups ?? [],
    matchedGroups: filter.groupIds.map((id) => live.groups.find((g) => g.externalId === id)?.displayName ?? id),
    excludedByPattern: excluded,
  };
  const storedRoleNames = new Map(input.roles.map((r) => [r.id, r.name]));
  const idpRoles = new Map(input.roles.filter((r) => r.source === 'idp').map((r) => [r.id, r.name]));
  const manualRoles = input.roles.filter((r) => r.source === 'manual').map((r) => r.name);

  if (!scopeDetail.inScope) {
    const why = excluded ? `email ${user.email} matches an excluded pattern` : `in none of the scope groups (${scopeDetail.scopeGroups.join(', ')})`;
    if (!stored) {
      step('scope', 'ok', `out of scope: ${why}; a sync would not create this user`, scopeDetail);
      skipRest(['attributes', 'groups'], 'out of scope');
      return { outcome: 'skipped', changes: [], userId: undefined, steps };
    }
    const changes: LifecycleChange[] = stored.active ? [{ kind: 'user.deactivate', userId: stored.id, reason: OUT_OF_SCOPE_ON_DEMAND }] : [];
    step('scope', 'ok', `out of scope: ${why}; ${stored.active ? 'the stored user is deactivated, as a sync would' : 'the stored user is inactive already'}`, scopeDetail);
    step('attributes', 'skipped', 'out of scope: attributes are left as stored');
    const revoked = stored.active ? names(idpRoles.keys(), idpRoles) : [];
    step('groups', revoked.length ? 'ok' : 'skipped', revoked.length ? `memberships left as stored; deactivation revokes ${revoked.join(', ')}` : 'memberships left as stored', {
      add: [],
      remove: [],
      rolesGranted: [],
      rolesRevoked: revoked,
      manualRolesKept: manualRoles,
    });
    return { outcome: stored.active ? 'deactivated' : 'no-change', changes, userId: stored.id, steps };
  }
  step('scope', 'ok', filter.byGroup || input.scope?.excludeEmailPatterns?.length ? 'in scope' : 'in scope: the connection has no scope settings', scopeDetail);

  // The one-user plan of the login hook, scope already decided above.
  const login = planLoginSync({
    connectionId: input.connectionId,
    stored: stored && { id: stored.id, externalId: stored.externalId, active: stored.active, sourceHash: stored.sourceHash },
    storedMemberships: new Map(input.storedGroups.filter((g) => g.connectionId === input.connectionId && g.externalId !== null).map((g) => [g.externalId!, g.id])),
    knownGroups: input.knownGroups,
    live,
    groupsComplete: input.groupsComplete,
    newId: input.newId,
  });
  const planned = login.changes.map((c): LifecycleChange => (c.kind === 'user.deactivate' ? { ...c, reason: DISABLED_ON_DEMAND } : c));
  const admitted = admitUserNames(planned, input.userNames);
  const blockedByName = admitted.conflicts.length ? describeConflicts(admitted.conflicts).replace(/; they are tried again on the next run$/, '') : undefined;
  const tooLong = !stored && !login.userId ? login.reason : undefined;
  const blocked = tooLong ?? (admitted.notCreated.size ? blockedByName : undefined);
  const changes = admitted.notCreated.size || tooLong ? [] : admitted.changes;
  const userId = blocked ? stored?.id : login.userId;

  // Attributes: field by field, and the active state.
  const update = changes.find((c) => c.kind === 'user.update');
  const diff = attributeChanges(stored, user);
  const writes = !stored ? !blocked : !!update;
  // A rename held back (the userName is taken) leaves the stored userName as it is.
  const shownDiff = update && update.attributes.userName === undefined ? diff.filter((d) => d.field !== 'userName') : diff;
  const activeAfter = stored ? (changes.some((c) => c.kind === 'user.deactivate') ? false : changes.some((c) => c.kind === 'user.reactivate') ? true : stored.active) : user.active;
  const activeChange = stored && activeAfter !== stored.active ? { before: stored.active, after: activeAfter } : null;
  const fieldsDetail = { changes: writes ? shownDiff : [], active: stored ? activeChange : { before: null, after: user.active } };
  if (blocked && !stored) step('attributes', 'failed', `not created: ${blocked}`, { changes: diff, active: null });
  else if (!stored) step('attributes', 'ok', `new user${user.active ? '' : ', created inactive (disabled in the IdP)'}: ${diff.map((d) => d.field).join(', ')}`, fieldsDetail);
  else {
    const said = [
      writes && shownDiff.length ? `${shownDiff.map((d) => d.field).join(', ')} change` : writes ? 'no attribute differs (the source fingerprint is refreshed)' : 'unchanged: no write',
      activeChange ? (activeChange.after ? 'reactivated (enabled in the IdP)' : `deactivated (${DISABLED_ON_DEMAND})`) : null,
      blockedByName ? `userName kept: ${blockedByName}` : null,
    ].filter(Boolean);
    step('attributes', 'ok', said.join('; '), fieldsDetail);
  }

  // Groups and roles.
  const groupName = new Map<string, string>();
  for (const g of live.groups) groupName.set(input.knownGroups.get(g.externalId)?.id ?? g.externalId, input.knownGroups.get(g.externalId)?.displayName ?? g.displayName);
  for (const g of input.storedGroups) groupName.set(g.id, g.displayName);
  const created = new Map<string, { externalId: string | null; displayName: string }>();
  for (const c of changes) if (c.kind === 'group.create' && c.id) created.set(c.id, { externalId: c.externalId ?? null, displayName: c.displayName });
  for (const [id, g] of created) groupName.set(id, g.displayName);
  const adds = changes.filter((c) => c.kind === 'membership.add').map((c) => c.groupId);
  const removes = new Set(changes.filter((c) => c.kind === 'membership.remove').map((c) => c.groupId));
  const after: StoredGroupRef[] = input.storedGroups.filter((g) => !removes.has(g.id));
  const knownById = new Map([...input.knownGroups].map(([externalId, g]) => [g.id, { externalId, displayName: g.displayName }]));
  for (const id of adds) {
    const g = knownById.get(id) ?? created.get(id);
    after.push({ id, externalId: g?.externalId ?? null, displayName: g?.displayName ?? id, connectionId: input.connectionId });
  }
  const desired = blocked && !stored ? new Map<string, string>() : activeAfter ? mappedRoles(after, input.mappings) : new Map<string, string>();
  const allRoleNames = new Map([...storedRoleNames, ...desired]);
  const granted = names([...desired.keys()].filter((id) => !idpRoles.has(id)), allRoleNames);
  const revoked = names([...idpRoles.keys()].filter((id) => !desired.has(id)), allRoleNames);
  const groupsDetail = {
    add: names(adds, groupName),
    remove: names(removes, groupName),
    createdGroups: [...created.values()].map((g) => g.displayName).sort(),
    inheritedGroups: live.groups.filter((g) => input.inheritedGroups?.has(g.externalId)).map((g) => g.displayName).sort(),
    groupsComplete: input.groupsComplete,
    rolesGranted: granted,
    rolesRevoked: revoked,
    manualRolesKept: manualRoles,
  };
  if (blocked && !stored) step('groups', 'skipped', 'the user is not created', groupsDetail);
  else {
    const said = [
      groupsDetail.add.length ? `join ${groupsDetail.add.join(', ')}` : null,
      groupsDetail.remove.length ? `leave ${groupsDetail.remove.join(', ')}` : null,
      granted.length ? `roles granted: ${granted.join(', ')}` : null,
      revoked.length ? `roles revoked: ${revoked.join(', ')}` : null,
    ].filter(Boolean);
    const partial = input.groupsComplete ? '' : ' (the IdP lists direct groups only: memberships are added here, removals wait for the next sync)';
    step('groups', 'ok', `${said.length ? said.join('; ') : 'memberships and roles unchanged'}${partial}`, groupsDetail);
  }

  let outcome: ProvisionOutcome;
  if (blocked && !stored) outcome = 'skipped';
  else if (!stored) outcome = 'created';
  else if (changes.some((c) => c.kind === 'user.deactivate')) outcome = 'deactivated';
  else if (changes.some((c) => c.kind === 'user.reactivate')) outcome = 'reactivated';
  else if (changes.length) outcome = 'updated';
  else outcome = 'no-change';
  return { outcome, changes, userId, steps, ...(blocked ? { blocked } : blockedByName ? { heldBack: blockedByName } : {}) };
}
