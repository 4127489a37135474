/**
 * userName collisions: across connections of one tenant and within one
 * listing. The pure admission first, then two Okta connections synced into a
 * real store (PGlite, or Postgres with DATABASE_URL).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleChange } from '../../../src/core/lifecycle/index.js';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import { admitUserNames, claimedUserNames, describeConflicts, type NameHolder } from '../../../src/pull/reconcile/collisions.js';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { queryRows } from '../../../src/core/store/index.js';
import { startFakeOkta, type FakeOkta } from '../../fakes/okta/index.js';
import { operationContext, op } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

const create = (id: string, userName: string): LifecycleChange => ({ kind: 'user.create', connectionId: 'conn', id, externalId: `ext-${id}`, attributes: { userName } });
/** The store's answer, with keys as Postgres folds these ASCII names (the database computes them in a run). */
const holders = (changes: LifecycleChange[], entries: Array<[string, NameHolder]>) => ({
  keys: new Map(claimedUserNames(changes).map((n) => [n, n.toLowerCase()])),
  holders: new Map(entries),
});

describe('admitUserNames', () => {
  it('holds back a create whose name another connection holds, case-insensitively, and the second of two creates with one name', () => {
    const changes = [create('1', 'Ann@x.test'), create('2', 'cy@x.test'), create('3', 'CY@x.test'), create('4', 'dee@x.test')];
    const r = admitUserNames(changes, holders(changes, [['ann@x.test', { userId: 'held', userName: 'ann@x.test', connection: 'acme/a' }]]));
    expect(r.changes.map((c) => (c as { id: string }).id)).toEqual(['2', '4']);
    expect([...r.notCreated]).toEqual(['1', '3']);
    expect(r.conflicts).toEqual([
      { user: 'ext-1', userName: 'Ann@x.test', heldBy: { connection: 'acme/a' } },
      { user: 'ext-3', userName: 'CY@x.test', heldBy: { listing: 'ext-2' } },
    ]);
    expect(describeConflicts(r.conflicts)).toBe(
      '2 user(s) not created or renamed because their userName is taken: "Ann@x.test" (held by a user of acme/a), ' +
        '"CY@x.test" (also claimed by ext-2 in this listing); they are tried again on the next run',
    );
  });

  it('lets a name go to a new user when its holder is deleted earlier in the same batch', () => {
    const changes: LifecycleChange[] = [{ kind: 'user.delete', userId: 'old' }, create('1', 'ann@x.test')];
    const r = admitUserNames(changes, holders(changes, [['ann@x.test', { userId: 'old', userName: 'ann@x.test', connection: 'acme/a' }]]));
    expect(r.conflicts).toEqual([]);
    expect(r.changes).toBe(changes);
  });

  it('keeps the rest of an update whose new name is taken, without the hash, and lets a user keep or recase its own name', () => {
    const changes: LifecycleChange[] = [
      { kind: 'user.update', userId: 'u1', attributes: { userName: 'taken@x.test', displayName: 'New' }, sourceHash: 'h1' },
      { kind: 'user.update', userId: 'u2', attributes: { userName: 'BO@x.test', displayName: 'Bo' }, sourceHash: 'h2' },
    ];
    const r = admitUserNames(
      changes,
      holders(changes, [
        ['taken@x.test', { userId: 'other', userName: 'taken@x.test', connection: 'acme/a' }],
        ['bo@x.test', { userId: 'u2', userName: 'bo@x.test', connection: 'acme/b' }],
      ]),
    );
    expect(r.changes).toEqual([{ kind: 'user.update', userId: 'u1', attributes: { displayName: 'New' } }, changes[1]]);
    expect(r.conflicts).toEqual([{ user: 'u1', userId: 'u1', userName: 'taken@x.test', heldBy: { connection: 'acme/a' } }]);
    expect(r.notCreated.size).toBe(0);
  });

  it('lists the first five names and counts the rest', () => {
    const conflicts = Array.from({ length: 7 }, (_, i) => ({ user: `e${i}`, userName: `u${i}@x.test`, heldBy: { connection: 'acme/a' } }));
    expect(describeConflicts(conflicts)).toMatch(/^7 user\(s\) .*"u4@x\.test" \(held by a user of acme\/a\) and 2 more; /);
  });
});

describe('two Okta connections of one tenant claiming the same userNames', () => {
  let store: TestStore;
  let ctx: OperationContext;
  let a: FakeOkta;
  let b: FakeOkta;
  const ids: Record<string, string> = {};
  const sync = (connection: string) => op<SyncReport>(ctx, 'sync.run', { connection });
  const usersOf = async (connection: string) =>
    queryRows<{ user_name: string; display_name: string | null }>(
      store.db,
      sql`select u.user_name, u.display_name from users u join connections c on c.id = u.connection_id where c.name = ${connection} order by u.user_name collate "C"`,
    );
  const membersOf = async (group: string) =>
    (
      await queryRows<{ user_name: string }>(
        store.db,
        sql`select u.user_name from group_memberships m join groups g on g.id = m.group_id join users u on u.id = m.user_id where g.display_name = ${group} order by u.user_name collate "C"`,
      )
    ).map((r) => r.user_name);
  const cursorOf = async (connection: string) => (await queryRows<{ c: unknown }>(store.db, sql`select delta_cursor as c from connections where name = ${connection}`))[0]!.c;

  beforeAll(async () => {
    store = await createTestStore();
    ctx = operationContext(store);
    a = await startFakeOkta();
    b = await startFakeOkta();
    ids.annA = a.directory.addUser({ profile: { login: 'ann@shared.test', firstName: 'Ann', lastName: 'A' } }).id;
    a.directory.addUser({ profile: { login: 'eve@a.test', firstName: 'Eve', lastName: 'A' } });
    // Connection b maps userName from the email: two of its users share one.
    const user = (login: string, email: string) => b.directory.addUser({ profile: { login, email, firstName: login, lastName: 'B' } }).id;
    ids.annB = user('ann@b.test', 'ANN@shared.test');
    ids.bo = user('bo@b.test', 'bo@b.test');
    ids.cy1 = user('cy1@b.test', 'cy@b.test');
    ids.cy2 = user('cy2@b.test', 'cy@b.test');
    const team = b.directory.addGroup({ name: 'B Team' }).id;
    for (const u of [ids.annB, ids.bo, ids.cy1, ids.cy2]) b.directory.addMember(team, u!);
    await op(ctx, 'tenant.create', { slug: 'acme' });
    await op(ctx, 'connection.create', { tenant: 'acme', name: 'okta-a', kind: 'okta', settings: { orgUrl: a.url, apiToken: 'test-token' } });
    await op(ctx, 'connection.create', {
      tenant: 'acme',
      name: 'okta-b',
      kind: 'okta',
      settings: { orgUrl: b.url, apiToken: 'test-token', attributeMapping: { userName: 'email' } },
    });
    expect((await sync('acme/okta-a')).status).toBe('succeeded');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await store?.close();
  });

  it('skips the colliding users, applies everything else, and reports the run partial naming the conflicts', async () => {
    const r = await sync('acme/okta-b');
    expect(r.status).toBe('partial');
    expect(r.error).toMatch(/^2 user\(s\) not created or renamed because their userName is taken: /);
    expect(r.error).toContain('"ANN@shared.test" (held by a user of acme/okta-a)');
    expect(r.error).toMatch(/"cy@b\.test" \(also claimed by \S+ in this listing\)/);
    expect(r.counts).toMatchObject({ usersCreated: 2, groupsCreated: 1, membershipsAdded: 2 });
    expect((await usersOf('okta-b')).map((u) => u.user_name)).toEqual(['bo@b.test', 'cy@b.test']);
    expect(await membersOf('B Team')).toEqual(['bo@b.test', 'cy@b.test']);
    expect(await usersOf('okta-a')).toEqual([expect.objectContaining({ user_name: 'ann@shared.test' }), expect.objectContaining({ user_name: 'eve@a.test' })]);
    expect(await cursorOf('okta-b')).toBeNull();
  });

  it('tries again on the next run: the user appears once the other connection lets go of the name', async () => {
    expect((await sync('acme/okta-b')).status).toBe('partial');
    a.directory.updateUser(ids.annA!, { login: 'ann.old@shared.test', email: 'ann.old@shared.test' });
    expect((await sync('acme/okta-a')).status).toBe('succeeded');
    b.directory.updateUser(ids.cy2!, { email: 'cy2@b.test' });
    const r = await sync('acme/okta-b');
    expect([r.status, r.error]).toEqual(['succeeded', null]);
    expect(r.counts).toMatchObject({ usersCreated: 2, membershipsAdded: 2 });
    expect((await usersOf('okta-b')).map((u) => u.user_name)).toEqual(['ANN@shared.test', 'bo@b.test', 'cy2@b.test', 'cy@b.test']);
    expect(await membersOf('B Team')).toEqual(['ANN@shared.test', 'bo@b.test', 'cy2@b.test', 'cy@b.test']);
    expect(await cursorOf('okta-b')).not.toBeNull();
  });

  it('keeps a user\'s old name when its new one is taken, and applies its other changes', async () => {
    b.directory.updateUser(ids.bo!, { email: 'eve@a.test', displayName: 'Bo Renamed' });
    const r = await sync('acme/okta-b');
    expect(r.status).toBe('partial');
    expect(r.error).toContain('"eve@a.test" (held by a user of acme/okta-a)');
    expect(await usersOf('okta-b')).toContainEqual({ user_name: 'bo@b.test', display_name: 'Bo Renamed' });
    // The rename is planned again (the stored source hash did not move), and is still refused.
    expect((await sync('acme/okta-b')).status).toBe('partial');
  });
});
