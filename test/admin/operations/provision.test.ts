/**
 * Provision on demand end to end, for every pull IdP: each contract
 * adapter's fake, driven through its real SDK by the provider, and LDAP on a
 * real slapd. A new, a changed, an out-of-scope and a disabled user, each in
 * a dry run (not a row written) and for real (the store changed, with its
 * audit events). The connection's scope is its group `Staff`, mapped to the
 * role `staff`. The steps run in order and share one directory.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import type { ProvisionResult } from '../../../src/admin/provision/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { ADAPTERS } from '../../pull/providers/contract/adapters.js';
import { startLdapScenario } from '../../pull/providers/contract/ldap.js';
import { startScenario, type ScenarioIdp } from '../../pull/providers/contract/scenario.js';
import { op, operationContext } from './support.js';

const SOURCES: ReadonlyArray<{ kind: string; start: () => Promise<ScenarioIdp> }> = [
  ...ADAPTERS.map((adapter) => ({ kind: adapter.kind, start: () => startScenario(adapter) })),
  { kind: 'ldap', start: startLdapScenario },
];

const TABLES = ['users', 'groups', 'group_memberships', 'user_roles', 'audit_events', 'sync_runs'] as const;

describe.each(SOURCES.map((s) => [s.kind, s] as const))('provision on demand from %s', (_kind, source) => {
  let store: TestStore;
  let ctx: OperationContext;
  let idp: ScenarioIdp;
  let staff: string;
  const ids: Record<string, string> = {};
  const conn = 'acme/idp';

  const provision = (externalId: string, dryRun = false) => op<ProvisionResult>(ctx, 'sync.provision', { connection: conn, externalId, dryRun });

  async function rows(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of TABLES) out[t] = (await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from ${sql.raw(t)}`))[0]!.n;
    return out;
  }
  async function stored(name: string) {
    const [row] = await queryRows<{ id: string; active: boolean; display_name: string | null }>(store.db, sql`select id, active, display_name from users where external_id = ${ids[name]!}`);
    return row;
  }
  const auditOf = async (userId: string) =>
    queryRows<{ action: string; actor_type: string; actor_id: string; reason: string | null }>(
      store.db,
      sql`select action, actor_type, actor_id, reason from audit_events where entity_id = ${userId} order by id`,
    );
  const step = (r: ProvisionResult, name: string) => r.steps.find((s) => s.step === name)!;

  /** A dry run: the trace says what would happen, and not one row is written anywhere. */
  async function dryRun(name: string): Promise<ProvisionResult> {
    const before = await rows();
    const r = await provision(ids[name]!, true);
    expect(r.dryRun).toBe(true);
    expect(r.steps.map((s) => s.step)).toEqual(['fetch', 'match', 'scope', 'attributes', 'groups', 'apply']);
    expect(r.steps.every((s) => s.ms >= 0)).toBe(true);
    expect(step(r, 'apply').status).toBe('skipped');
    expect(await rows()).toEqual(before);
    return r;
  }

  beforeAll(async () => {
    store = await createTestStore();
    ctx = operationContext(store);
    idp = await source.start();
    staff = idp.addGroup('Staff');
    await op(ctx, 'tenant.create', { slug: 'acme' });
    await op(ctx, 'connection.create', { tenant: 'acme', name: 'idp', kind: idp.kind, settings: { ...idp.settings, scope: { groups: ['Staff'] } } });
    await op(ctx, 'role.create', { tenant: 'acme', name: 'staff' });
    await op(ctx, 'mapping.add', { tenant: 'acme', group: 'Staff', role: 'staff', connection: conn });
  }, 120_000);

  afterAll(async () => {
    await idp?.close();
    await store?.close();
  });

  it('a new user: the dry run says it would create them; the provision creates them with their group and mapped role', async () => {
    ids.ann = idp.addUser('ann');
    idp.addMember(staff, ids.ann);
    const dry = await dryRun('ann');
    expect(dry).toMatchObject({ outcome: 'created', user: null });
    expect(step(dry, 'fetch')).toMatchObject({ status: 'ok' });
    expect(step(dry, 'match').summary).toMatch(/^new/);
    expect(step(dry, 'groups').detail).toMatchObject({ add: ['Staff'], rolesGranted: ['staff'] });
    expect(step(dry, 'apply').summary).toMatch(/^dry run: would apply .*user\.create 1/);
    expect(await stored('ann')).toBeUndefined();

    const before = await rows();
    const r = await provision(ids.ann);
    expect(r).toMatchObject({ dryRun: false, outcome: 'created', user: { active: true, externalId: ids.ann, groups: ['Staff'], roles: [{ name: 'staff', source: 'idp' }] } });
    expect(step(r, 'apply')).toMatchObject({ status: 'ok' });
    const after = await rows();
    expect(after.users).toBe(before.users! + 1);
    expect(after.group_memberships).toBe(before.group_memberships! + 1);
    // Every change in the same transaction, each with its audit event, in the admin's name.
    const audit = await queryRows<{ action: string; actor: string }>(
      store.db,
      sql`select action, actor_type || ':' || actor_id as actor from audit_events order by id offset ${before.audit_events!}`,
    );
    expect(audit.map((a) => a.action).sort()).toEqual(['group.created', 'membership.added', 'role.granted', 'user.created']);
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set(['cli:tester']));
    expect(after.sync_runs).toBe(before.sync_runs);
  });

  it('a changed user: the dry run shows the attribute before and after; the provision writes it, and a second writes nothing', async () => {
    idp.rename(ids.ann!, 'Annabel');
    const dry = await dryRun('ann');
    expect(dry.outcome).toBe('updated');
    expect(step(dry, 'match').summary).toMatch(/matched to stored user .* by externalId/);
    const change = (step(dry, 'attributes').detail.changes as Array<{ field: string; before: unknown; after: unknown }>).find((c) => c.field === 'displayName');
    expect(change?.after).toContain('Annabel');
    expect(change?.before).not.toContain('Annabel');
    expect((await stored('ann'))!.display_name).not.toContain('Annabel');

    const r = await provision(ids.ann!);
    expect(r.outcome).toBe('updated');
    expect((await stored('ann'))!.display_name).toContain('Annabel');
    expect((await auditOf(r.user!.id)).map((a) => a.action)).toContain('user.updated');

    const before = await rows();
    const again = await provision(ids.ann!);
    expect(again.outcome).toBe('no-change');
    expect(step(again, 'apply').status).toBe('skipped');
    expect(await rows()).toEqual(before);
  });

  it('an out-of-scope user: a stored one is deactivated with their mapped role; a new one is not created', async () => {
    idp.removeMember(staff, ids.ann!);
    const dry = await dryRun('ann');
    expect(dry.outcome).toBe('deactivated');
    expect(step(dry, 'scope')).toMatchObject({ detail: { inScope: false } });
    expect(step(dry, 'groups').detail).toMatchObject({ rolesRevoked: ['staff'] });
    expect((await stored('ann'))!.active).toBe(true);

    const r = await provision(ids.ann!);
    expect(r).toMatchObject({ outcome: 'deactivated', user: { active: false, roles: [] } });
    const audit = await auditOf(r.user!.id);
    expect(audit.find((a) => a.action === 'user.deactivated')?.reason).toMatch(/scope/);

    ids.bo = idp.addUser('bo');
    const skippedDry = await dryRun('bo');
    expect(skippedDry).toMatchObject({ outcome: 'skipped', user: null });
    const before = await rows();
    expect(await provision(ids.bo)).toMatchObject({ outcome: 'skipped', user: null });
    expect(await rows()).toEqual(before);
  });

  it('a disabled user: a stored one is deactivated; a new one is created inactive, as a sync would', async () => {
    ids.cy = idp.addUser('cy');
    idp.addMember(staff, ids.cy);
    expect((await provision(ids.cy)).user).toMatchObject({ active: true, roles: [{ name: 'staff' }] });
    idp.disable(ids.cy);
    const dry = await dryRun('cy');
    expect(dry.outcome).toBe('deactivated');
    expect(step(dry, 'attributes').detail.active).toEqual({ before: true, after: false });
    expect((await stored('cy'))!.active).toBe(true);
    const r = await provision(ids.cy);
    expect(r).toMatchObject({ outcome: 'deactivated', user: { active: false, roles: [] } });
    expect((await auditOf(r.user!.id)).find((a) => a.action === 'user.deactivated')?.reason).toMatch(/disabled in the IdP/);

    ids.dee = idp.addUser('dee');
    idp.addMember(staff, ids.dee);
    idp.disable(ids.dee);
    const newDry = await dryRun('dee');
    expect(newDry.outcome).toBe('created');
    expect(step(newDry, 'attributes').summary).toMatch(/created inactive/);
    // Named by the userName the IdP gave (`roster sync --user`): found by the IdP's own lookup, the store has no such user yet.
    const userName = (step(newDry, 'fetch').detail.user as { userName: string }).userName;
    const created = await op<ProvisionResult>(ctx, 'sync.provision', { connection: conn, user: userName });
    expect(created).toMatchObject({ outcome: 'created', user: { userName, externalId: ids.dee, active: false, groups: ['Staff'], roles: [] } });
    expect(step(created, 'fetch').detail.asked).toEqual([{ userName }]);
  });

  it('a user in a group nested in the scope group is in scope, with the parent group, as the reconciler flattens it', async () => {
    const team = idp.addGroup('Team');
    idp.addMember(staff, team);
    // The sync keeps the nesting it saw: IdPs whose one-user answer lists direct groups only are read through it.
    await op(ctx, 'connection.update', { connection: conn, deletionThreshold: '100%' });
    expect((await op(ctx, 'sync.run', { connection: conn })).status).toBe('succeeded');
    ids.eve = idp.addUser('eve');
    idp.addMember(team, ids.eve);
    const r = await provision(ids.eve);
    expect(r).toMatchObject({ outcome: 'created', user: { active: true, groups: ['Staff', 'Team'], roles: [{ name: 'staff', source: 'idp' }] } });
    expect(step(r, 'scope').detail).toMatchObject({ inScope: true, matchedGroups: ['Staff'] });
  });
});
