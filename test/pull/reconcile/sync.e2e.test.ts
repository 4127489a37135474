/**
 * The reconciler end to end: each IdP's fake (LDAP: a real slapd), driven through its real SDK by
 * the provider, synced by `sync.run` into a real store (PGlite, or Postgres
 * with DATABASE_URL). The steps run in order and share one directory, like
 * an IdP's conformance script: each states one behaviour.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { queryRows } from '../../../src/core/store/index.js';
import { operationContext, op } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { SCENARIOS } from '../providers/contract/adapters.js';
import type { ScenarioIdp } from '../providers/contract/scenario.js';

interface UserState {
  id: string;
  active: boolean;
  displayName: string | null;
  groups: string[];
  roles: string[];
}

describe.each(SCENARIOS.map((source) => [source.kind, source] as const))('sync from %s', (_kind, source) => {
  let store: TestStore;
  let ctx: OperationContext;
  let idp: ScenarioIdp;
  const conn = 'acme/idp';
  const ids: Record<string, string> = {};
  const groups: Record<string, string> = {};

  const sync = (input: Record<string, unknown> = {}) => op<SyncReport>(ctx, 'sync.run', { connection: conn, ...input });

  async function user(name: string): Promise<UserState | undefined> {
    const rows = await queryRows<{ id: string; active: boolean; display_name: string | null }>(
      store.db,
      sql`select id, active, display_name from users where external_id = ${ids[name]!}`,
    );
    const row = rows[0];
    if (!row) return undefined;
    const g = await queryRows<{ name: string }>(store.db, sql`select g.display_name as name from group_memberships m join groups g on g.id = m.group_id where m.user_id = ${row.id} order by 1`);
    const r = await queryRows<{ name: string }>(store.db, sql`select r.name || ':' || ur.source as name from user_roles ur join roles r on r.id = ur.role_id where ur.user_id = ${row.id} order by 1`);
    return { id: row.id, active: row.active, displayName: row.display_name, groups: g.map((x) => x.name), roles: r.map((x) => x.name) };
  }

  const cursor = async () => (await queryRows<{ c: unknown }>(store.db, sql`select delta_cursor as c from connections`))[0]!.c;
  const runRow = async (id: string) => (await queryRows<{ status: string; counts: Record<string, number>; held_plan: unknown }>(store.db, sql`select status, counts, held_plan from sync_runs where id = ${id}`))[0]!;

  beforeAll(async () => {
    store = await createTestStore();
    ctx = operationContext(store);
    idp = await source.start();
    for (const n of ['ann', 'bo', 'cy', 'dee', 'eve', 'gus']) ids[n] = idp.addUser(n);
    groups.eng = idp.addGroup('Engineering');
    groups.plat = idp.addGroup('Platform');
    idp.addMember(groups.eng, ids.ann!);
    idp.addMember(groups.eng, ids.cy!);
    idp.addMember(groups.eng, groups.plat); // nested: Platform's members are engineers too
    idp.addMember(groups.plat, ids.bo!);
    await op(ctx, 'tenant.create', { slug: 'acme' });
    await op(ctx, 'connection.create', { tenant: 'acme', name: 'idp', kind: idp.kind, settings: idp.settings });
    await op(ctx, 'connection.update', { connection: conn, deletionThreshold: '100%' });
    await op(ctx, 'role.create', { tenant: 'acme', name: 'engineer' });
    await op(ctx, 'role.create', { tenant: 'acme', name: 'auditor' });
    await op(ctx, 'mapping.add', { tenant: 'acme', group: 'Engineering', role: 'engineer', connection: conn });
    // The Samba AD DC is one per host: its start may wait for other test files' DCs to stop.
  }, 240_000);

  afterAll(async () => {
    await idp?.close();
    await store?.close();
  });

  it('first sync creates users, groups and flattened memberships, and maps roles', async () => {
    const r = await sync();
    expect(r.status).toBe('succeeded');
    expect(r.mode).toBe('full');
    expect(r.counts.usersCreated).toBe(r.usersSynced);
    expect(r.usersSynced).toBeGreaterThanOrEqual(6);
    expect(r.counts.groupsCreated).toBeGreaterThanOrEqual(2);
    expect(r.apiRequests).toBeGreaterThan(0);
    const bo = await user('bo');
    expect(bo!.groups).toEqual(['Engineering', 'Platform']);
    expect(bo!.roles).toEqual(['engineer:idp']);
    expect((await user('dee'))!.roles).toEqual([]);
    expect(await cursor()).not.toBeNull();
    const audit = await queryRows<{ actor_type: string; actor_id: string; n: number }>(
      store.db,
      sql`select actor_type, actor_id, count(*)::int as n from audit_events where run_id = ${r.runId} group by 1, 2`,
    );
    expect(audit).toEqual([{ actor_type: 'sync', actor_id: conn, n: expect.any(Number) }]);
  });

  it('a second sync with no change writes no row and says so', async () => {
    const r = await sync();
    expect(r.status).toBe('succeeded');
    expect(r.counts).toMatchObject({ usersCreated: 0, usersUpdated: 0, groupsCreated: 0, groupsUpdated: 0, membershipsAdded: 0, membershipsRemoved: 0, rowsWritten: 0 });
    expect((await runRow(r.runId)).counts.rowsWritten).toBe(0);
  });

  it('a user who joins a nested group is created with the parent group and its role', async () => {
    ids.fay = idp.addUser('fay');
    idp.addMember(groups.plat!, ids.fay);
    const r = await sync();
    expect(r.counts).toMatchObject({ usersCreated: 1, membershipsAdded: 2 });
    const fay = await user('fay');
    expect(fay).toMatchObject({ active: true, groups: ['Engineering', 'Platform'], roles: ['engineer:idp'] });
  });

  it('a rename updates that user only', async () => {
    const before = (await user('ann'))!.displayName;
    idp.rename(ids.ann!, 'Annabel');
    const r = await sync();
    expect(r.counts).toMatchObject({ usersUpdated: 1, usersCreated: 0, usersDeactivated: 0 });
    expect((await user('ann'))!.displayName).not.toBe(before);
    expect((await user('ann'))!.displayName).toContain('Annabel');
  });

  it('a user disabled in the IdP is deactivated: mapped role gone, manual role kept', async () => {
    await op(ctx, 'role.grant', { user: (await user('cy'))!.id, role: 'auditor' });
    idp.disable(ids.cy!);
    const r = await sync();
    expect(r.counts.usersDeactivated).toBe(1);
    expect(await user('cy')).toMatchObject({ active: false, roles: ['auditor:manual'] });
  });

  it('a returning user is reactivated with mapped roles restored', async () => {
    idp.enable(ids.cy!);
    const r = await sync();
    expect(r.counts.usersReactivated).toBe(1);
    expect(await user('cy')).toMatchObject({ active: true, roles: ['auditor:manual', 'engineer:idp'] });
  });

  it('leaving and joining groups moves mapped roles', async () => {
    idp.removeMember(groups.plat!, ids.bo!);
    idp.addMember(groups.eng!, ids.dee!);
    const r = await sync();
    expect(r.counts).toMatchObject({ membershipsRemoved: 2, membershipsAdded: 1 });
    expect(await user('bo')).toMatchObject({ active: true, groups: [], roles: [] });
    expect(await user('dee')).toMatchObject({ groups: ['Engineering'], roles: ['engineer:idp'] });
  });

  it('a listing that fails part way deactivates and deletes nobody, and keeps the cursor', async () => {
    const before = await cursor();
    idp.hardDelete(ids.gus!);
    idp.removeMember(groups.eng!, ids.dee!);
    ids.hal = idp.addUser('hal');
    idp.failGroupListing();
    const r = await sync({ full: true });
    expect(['partial', 'failed']).toContain(r.status);
    expect(r.error).toBeTruthy();
    expect(r.counts).toMatchObject({ usersDeactivated: 0, usersDeleted: 0, membershipsRemoved: 0, groupsDeleted: 0 });
    expect(await user('gus')).toMatchObject({ active: true });
    expect((await user('dee'))!.roles).toEqual(['engineer:idp']);
    expect(await cursor()).toEqual(before);
    idp.clearFaults();
  });

  it('the next complete sync applies the deletion the IdP really made', async () => {
    const r = await sync({ full: idp.hardDeleteNeedsFull });
    expect(r.status).toBe('succeeded');
    expect(r.counts.usersDeleted).toBe(1);
    expect(await user('gus')).toBeUndefined();
    expect((await user('dee'))!.roles).toEqual([]);
    expect(await user('hal')).toMatchObject({ active: true });
  });

  it('a dry run reports the plan and applies nothing', async () => {
    const before = await cursor();
    idp.disable(ids.hal!);
    const r = await sync({ dryRun: true });
    expect(r.mode).toBe('dry-run');
    expect(r.counts.usersDeactivated).toBe(1);
    expect(await user('hal')).toMatchObject({ active: true });
    expect(await cursor()).toEqual(before);
    idp.enable(ids.hal!);
  });

  it('a mass deactivation is held until approved, then applied', async () => {
    await op(ctx, 'connection.update', { connection: conn, deletionThreshold: '1' });
    const before = await cursor();
    idp.disable(ids.ann!);
    idp.disable(ids.fay!);
    const held = await sync();
    expect(held.status).toBe('held');
    expect(held.approveCommand).toBe(`roster sync ${conn} --approve ${held.runId}`);
    expect(held.error).toContain('--approve');
    expect(held.held).toMatchObject({ 'user.deactivate': 2 });
    expect(await user('ann')).toMatchObject({ active: true, roles: ['engineer:idp'] });
    expect(await cursor()).toEqual(before);
    expect((await runRow(held.runId)).held_plan).toBeTruthy();

    const approved = await sync({ approve: held.runId });
    expect(approved).toMatchObject({ status: 'succeeded', trigger: 'approval' });
    expect(approved.counts.usersDeactivated).toBe(2);
    expect(await user('ann')).toMatchObject({ active: false, roles: [] });
    expect(await user('fay')).toMatchObject({ active: false });
    await expect(sync({ approve: held.runId })).rejects.toThrow(/no longer the latest|not held/);

    const after = await sync();
    expect(after.status).toBe('succeeded');
    expect(after.counts.usersDeactivated).toBe(0);
  });
});
