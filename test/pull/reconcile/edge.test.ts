/**
 * The reconciler's edges against real fakes and a real store: one sync per
 * connection at a time (the lease), the scope filter, Google's CUSTOMER
 * members, the stored nesting that lets an Entra delta flatten, and an
 * apply that fails part way.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import { syncConnection } from '../../../src/pull/reconcile/run.js';
import { acquireLease, queryRows, type ConnectionRow } from '../../../src/core/store/index.js';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { FakeEntra } from '../../fakes/entra/index.js';
import { startFakeGoogle, type FakeGoogleServer } from '../../fakes/google/index.js';
import { startFakeOkta, type FakeOkta } from '../../fakes/okta/index.js';
import { operationContext, op } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let ctx: OperationContext;

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
});
afterAll(() => store?.close());

const sync = (connection: string, input: Record<string, unknown> = {}) => op<SyncReport>(ctx, 'sync.run', { connection, ...input });
const activeUsers = async (connection: string) =>
  (
    await queryRows<{ user_name: string }>(
      store.db,
      sql`select u.user_name from users u join connections c on c.id = u.connection_id where c.name = ${connection} and u.active order by 1`,
    )
  ).map((r) => r.user_name);
const groupMembers = async (connection: string, group: string) =>
  (
    await queryRows<{ user_name: string }>(
      store.db,
      sql`select u.user_name from group_memberships m join groups g on g.id = m.group_id join users u on u.id = m.user_id
          join connections c on c.id = g.connection_id where c.name = ${connection} and g.display_name = ${group} order by 1`,
    )
  ).map((r) => r.user_name);

describe('Google: scope and CUSTOMER members', () => {
  let fake: FakeGoogleServer;
  beforeAll(async () => {
    fake = await startFakeGoogle();
    const dir = fake.directory;
    const admin = dir.addUser({ primaryEmail: `admin@${dir.domain}`, isAdmin: true });
    const ann = dir.addUser({ primaryEmail: `ann@${dir.domain}` });
    dir.addUser({ primaryEmail: `bo@${dir.domain}` });
    const contractor = dir.addUser({ primaryEmail: `cy@contractors.example` });
    const app = dir.addGroup({ name: 'App Users' });
    dir.addMember(app.id, { user: ann.id });
    dir.addMember(app.id, { user: contractor.id });
    dir.addMember(app.id, { user: admin.id });
    dir.addGroup({ name: 'All Staff' });
    dir.addMember(dir.listGroups()[1]!.id, { type: 'CUSTOMER' });
    await op(ctx, 'connection.create', {
      tenant: 'acme',
      name: 'google',
      kind: 'google',
      settings: {
        subject: admin.primaryEmail,
        rootUrl: fake.rootUrl,
        tokenUrl: fake.tokenUrl,
        serviceAccountKey: fake.createServiceAccount(),
        scope: { groups: ['app users'], excludeEmailPatterns: ['*@contractors.example'] },
      },
    });
    await op(ctx, 'connection.update', { connection: 'acme/google', deletionThreshold: '100%' });
  });
  afterAll(() => fake?.close());

  it('syncs only members of the scope groups, minus excluded emails', async () => {
    const r = await sync('acme/google');
    expect(r.status).toBe('succeeded');
    expect(await activeUsers('google')).toEqual([`admin@${fake.directory.domain}`, `ann@${fake.directory.domain}`]);
  });

  it('makes every in-scope user a member of a group with a CUSTOMER member', async () => {
    expect(await groupMembers('google', 'All Staff')).toEqual([`admin@${fake.directory.domain}`, `ann@${fake.directory.domain}`]);
  });

  it('deactivates a user who leaves the scope group', async () => {
    const ann = fake.directory.user(`ann@${fake.directory.domain}`)!;
    fake.directory.removeMember(fake.directory.listGroups()[0]!.id, ann.id);
    const r = await sync('acme/google');
    expect(r.counts.usersDeactivated).toBe(1);
    expect(await activeUsers('google')).toEqual([`admin@${fake.directory.domain}`]);
  });
});

describe('Entra: lease and nested groups across deltas', () => {
  let fake: FakeEntra;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    fake = await FakeEntra.start();
    const dir = fake.directory;
    for (const n of ['ann', 'bo']) ids[n] = dir.addUser({ userPrincipalName: `${n}@contoso.test`, displayName: n }).id;
    ids.parent = dir.addGroup({ displayName: 'Parent' }).id;
    ids.child = dir.addGroup({ displayName: 'Child' }).id;
    ids.grandchild = dir.addGroup({ displayName: 'Grandchild' }).id;
    dir.addMember(ids.parent, ids.child);
    dir.addMember(ids.child!, ids.grandchild!);
    dir.addMember(ids.grandchild!, ids.parent!); // a cycle: must not hang
    dir.addMember(ids.grandchild!, ids.ann!);
    const conn = fake.connection();
    await op(ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: { ...conn.settings, ...conn.secrets } });
    await op(ctx, 'connection.update', { connection: 'acme/entra', deletionThreshold: '100%' });
  });
  afterAll(() => fake?.close());

  it('flattens nesting through a cycle on the first (full) sync', async () => {
    const r = await sync('acme/entra');
    expect(r.mode).toBe('full');
    for (const g of ['Parent', 'Child', 'Grandchild']) expect(await groupMembers('entra', g)).toEqual(['ann@contoso.test']);
  });

  it('propagates a delta membership change to every ancestor, from the stored nesting', async () => {
    fake.directory.addMember(ids.grandchild!, ids.bo!);
    const added = await sync('acme/entra');
    expect(added.mode).toBe('delta');
    expect(await groupMembers('entra', 'Parent')).toEqual(['ann@contoso.test', 'bo@contoso.test']);
    fake.directory.removeMember(ids.grandchild!, ids.ann!);
    const removed = await sync('acme/entra');
    expect(removed.mode).toBe('delta');
    expect(removed.counts.membershipsRemoved).toBe(3);
    expect(await groupMembers('entra', 'Parent')).toEqual(['bo@contoso.test']);
  });

  it('drops a hard-deleted user with their links, though Graph sends no link removal', async () => {
    fake.directory.hardDeleteUser(ids.bo!);
    const r = await sync('acme/entra');
    expect(r.counts.usersDeleted).toBe(1);
    expect(await groupMembers('entra', 'Parent')).toEqual([]);
  });

  it('refuses a second sync while another holds the lease, and takes an expired one', async () => {
    const [row] = await queryRows<{ id: string }>(store.db, sql`select id from connections where name = 'entra'`);
    expect(await acquireLease(store.db, row!.id, 'other-replica', 60_000)).toBe(true);
    await expect(sync('acme/entra')).rejects.toThrow(/already running/);
    await store.db.execute(sql`update connections set lease_expires_at = now() - interval '1 second' where id = ${row!.id}`);
    const r = await sync('acme/entra');
    expect(r.status).toBe('succeeded');
    const [after] = await queryRows<{ lease_owner: string | null }>(store.db, sql`select lease_owner from connections where id = ${row!.id}`);
    expect(after!.lease_owner).toBeNull();
  });

  it('marks a run its dead process left running as failed, once it holds the lease', async () => {
    const [row] = await queryRows<{ id: string; tenant_id: string }>(store.db, sql`select id, tenant_id from connections where name = 'entra'`);
    const [stale] = await queryRows<{ id: string }>(
      store.db,
      sql`insert into sync_runs (tenant_id, connection_id, trigger, mode, status) values (${row!.tenant_id}, ${row!.id}, 'schedule', 'delta', 'running') returning id`,
    );
    expect((await sync('acme/entra')).status).toBe('succeeded');
    const [after] = await queryRows<{ status: string; error: string }>(store.db, sql`select status, error from sync_runs where id = ${stale!.id}`);
    expect(after).toEqual({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
  });
});

describe('Okta: an apply that fails part way', () => {
  let fake: FakeOkta;
  beforeAll(async () => {
    fake = await startFakeOkta();
    for (const n of ['ann', 'bo', 'dup']) fake.directory.addUser({ profile: { login: `${n}@okta.test`, firstName: n, lastName: 'T' } });
    await op(ctx, 'connection.create', { tenant: 'acme', name: 'okta', kind: 'okta', settings: { orgUrl: fake.url, apiToken: 'test-token' } });
  });
  afterAll(() => fake?.close());

  it('keeps the old cursor, and the next run completes what is missing', async () => {
    const [okta] = await queryRows<ConnectionRow>(store.db, sql`select id, tenant_id as "tenantId", kind, settings, delta_cursor as "deltaCursor", deletion_threshold_count as "deletionThresholdCount", deletion_threshold_percent as "deletionThresholdPercent" from connections where name = 'okta'`);
    // The database refuses one user's row (a trigger standing in for a store that fails mid-apply):
    // the chunks before it are committed, the run is failed.
    await store.db.execute(sql.raw(`create function refuse_dup() returns trigger language plpgsql as $$
      begin if new.user_name = 'dup@okta.test' then raise exception 'refused by the test'; end if; return new; end $$`));
    await store.db.execute(sql`create trigger refuse_dup before insert on users for each row execute function refuse_dup()`);
    const deps = { db: store.db, logger: ctx.logger, actor: ctx.actor };
    const failed = await syncConnection(deps, okta!, { label: 'acme/okta', secrets: { apiToken: 'test-token' }, chunkSize: 1 });
    await store.db.execute(sql`drop trigger refuse_dup on users`);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/apply failed/);
    // The database's words, never the failed statement with its parameters (users' names and addresses).
    expect(failed.error).toContain('refused by the test');
    expect(failed.error).not.toContain('Failed query');
    expect(failed.counts.usersCreated).toBeGreaterThan(0); // chunks before the failure stay applied
    // The provisioning log names the object of the transaction that failed, with the run's error.
    const outcomes = await queryRows<{ user_name: string; outcome: string; reason: string }>(
      store.db,
      sql`select user_name, outcome, reason from change_outcomes where run_id = ${failed.runId}::uuid`,
    );
    expect(outcomes).toEqual([{ user_name: 'dup@okta.test', outcome: 'failed', reason: expect.stringContaining('refused by the test') }]);
    expect((await queryRows<{ c: unknown }>(store.db, sql`select delta_cursor as c from connections where name = 'okta'`))[0]!.c).toBeNull();

    const done = await syncConnection(deps, okta!, { label: 'acme/okta', secrets: { apiToken: 'test-token' } });
    expect(done.status).toBe('succeeded');
    expect(done.counts.usersCreated).toBe(3 - failed.counts.usersCreated);
    expect(await activeUsers('okta')).toEqual(['ann@okta.test', 'bo@okta.test', 'dup@okta.test']);
    expect((await queryRows<{ c: unknown }>(store.db, sql`select delta_cursor as c from connections where name = 'okta'`))[0]!.c).not.toBeNull();
  });
});
