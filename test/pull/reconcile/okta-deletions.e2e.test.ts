/**
 * Okta deletions reach the store through delta syncs (issue 10, item 1): a
 * user deleted in Okta (DELETE twice: deactivate, then delete) or a deleted
 * group is never listed again, so only the System Log says so. End to end:
 * the fake org, the real SDK, `sync.run` into a real store (PGlite, or
 * Postgres with DATABASE_URL).
 */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { queryRows } from '../../../src/core/store/index.js';
import { startFakeOkta, type FakeOkta } from '../../fakes/okta/index.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

/** Longer than the provider's watermark overlap (120 s): what happens next is newer than every watermark. */
const SETTLE_MS = 10 * 60_000;
const conn = 'acme/okta';

describe('Okta deletions between delta syncs (System Log)', () => {
  let store: TestStore;
  let ctx: OperationContext;
  let fake: FakeOkta;
  let ann: string;
  let bo: string;
  let eng: string;

  const sync = () => op<SyncReport>(ctx, 'sync.run', { connection: conn });
  const settle = () => fake.directory.advance(SETTLE_MS);
  const deleteForGood = (id: string) => {
    fake.directory.deleteUser(id); // Okta's first DELETE deactivates
    fake.directory.deleteUser(id); // the second deletes
  };
  async function user(externalId: string) {
    const rows = await queryRows<{ id: string; active: boolean }>(store.db, sql`select id, active from users where external_id = ${externalId}`);
    if (!rows[0]) return undefined;
    const roles = await queryRows<{ name: string }>(store.db, sql`select r.name from user_roles ur join roles r on r.id = ur.role_id where ur.user_id = ${rows[0].id} order by 1`);
    return { active: rows[0].active, roles: roles.map((r) => r.name) };
  }
  const groupNames = async () => (await queryRows<{ n: string }>(store.db, sql`select display_name as n from groups order by 1`)).map((r) => r.n);
  const cursor = async () => (await queryRows<{ c: unknown }>(store.db, sql`select delta_cursor as c from connections`))[0]!.c;

  beforeEach(async () => {
    store = await createTestStore();
    ctx = operationContext(store);
    fake = await startFakeOkta();
    const d = fake.directory;
    const add = (n: string) => d.addUser({ profile: { login: `${n}@okta.test`, firstName: n, lastName: 'Test' } }).id;
    [ann, bo] = [add('ann'), add('bo')];
    eng = d.addGroup({ name: 'Engineering' }).id;
    d.addGroup({ name: 'Sales' });
    d.addMember(eng, ann);
    d.addMember(eng, bo);
    await op(ctx, 'tenant.create', { slug: 'acme' });
    await op(ctx, 'connection.create', {
      tenant: 'acme', name: 'okta', kind: 'okta',
      settings: { orgUrl: fake.url, apiToken: 'test-token', retryDelayMs: 1, serverErrorRetries: 1 },
    });
    await op(ctx, 'connection.update', { connection: conn, deletionThreshold: '100%' });
    await op(ctx, 'role.create', { tenant: 'acme', name: 'engineer' });
    await op(ctx, 'mapping.add', { tenant: 'acme', group: 'Engineering', role: 'engineer', connection: conn });
    expect(await sync()).toMatchObject({ status: 'succeeded', mode: 'full' });
    settle();
    expect(await sync()).toMatchObject({ status: 'succeeded', mode: 'delta' });
    settle();
  });

  afterEach(async () => {
    await fake?.close();
    await store?.close();
  });

  it('deletes a user deactivated and deleted in Okta since the last delta sync', async () => {
    expect(await user(bo)).toEqual({ active: true, roles: ['engineer'] });
    deleteForGood(bo);
    const r = await sync();
    expect(r).toMatchObject({ status: 'succeeded', mode: 'delta' });
    expect(r.counts.usersDeleted).toBe(1);
    expect(await user(bo)).toBeUndefined();
    expect(await user(ann)).toEqual({ active: true, roles: ['engineer'] });
  });

  it('removes a group deleted in Okta since the last delta sync, and the roles it granted', async () => {
    fake.directory.deleteGroup(eng);
    const r = await sync();
    expect(r).toMatchObject({ status: 'succeeded', mode: 'delta' });
    expect(r.counts.groupsDeleted).toBe(1);
    expect(await groupNames()).toEqual(['Sales']);
    expect(await user(ann)).toEqual({ active: true, roles: [] });
  });

  it('falls back to a full listing when the credential may not read the System Log, and still takes the access away', async () => {
    fake.permissions.logs = false;
    deleteForGood(bo);
    const r = await sync();
    expect(r).toMatchObject({ status: 'succeeded', mode: 'full' });
    // Absent from a complete listing: deactivated (only the System Log proves a deletion).
    expect(await user(bo)).toEqual({ active: false, roles: [] });
    expect(await user(ann)).toEqual({ active: true, roles: ['engineer'] });
  });

  it('a System Log page that fails leaves the run incomplete: nobody removed, the cursor kept; the next run deletes', async () => {
    const before = await cursor();
    deleteForGood(bo);
    settle(); // the event is older than the run's start: the read goes on to the next page
    // Page 1 holds the delete event; a polling read always has a next page, and it fails.
    fake.faults.push({ route: 'logs', page: 2, status: 500 });
    const failed = await sync();
    expect(['partial', 'failed']).toContain(failed.status);
    expect(failed.error).toMatch(/System Log/);
    expect(failed.counts).toMatchObject({ usersDeleted: 0, usersDeactivated: 0 });
    expect(await user(bo)).toEqual({ active: true, roles: ['engineer'] });
    expect(await cursor()).toEqual(before);

    fake.faults.splice(0);
    const next = await sync();
    expect(next).toMatchObject({ status: 'succeeded', mode: 'delta' });
    expect(next.counts.usersDeleted).toBe(1);
    expect(await user(bo)).toBeUndefined();
  });
});
