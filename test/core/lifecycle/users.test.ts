/**
 * The lifecycle rules for users, run on the backend this test run selects
 * (PGlite, or Postgres when DATABASE_URL is set): the same suite, both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { applyChanges, type Actor } from '../../../src/core/lifecycle/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/core/errors/index.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { makeConnection, makeTenant, userCreate } from '../../support/factories.js';
import { auditOf, countRows, userRow } from '../../support/inspect.js';
import { queryRows } from '../../../src/core/store/index.js';

const actor: Actor = { type: 'sync', id: 'test-run' };
let store: TestStore;
let tenantId: string;
let connectionId: string;
let n = 0;

beforeAll(async () => {
  store = await createTestStore();
  const tenant = await makeTenant(store.db);
  tenantId = tenant.id;
  connectionId = (await makeConnection(store.db, tenantId, { kind: 'entra' })).id;
});
afterAll(() => store.close());

const apply = (changes: Parameters<typeof applyChanges>[2], opts = { tenantId, actor }) => applyChanges(store.db, opts, changes);
const newUser = async (overrides = {}) => {
  const change = userCreate(connectionId, ++n, overrides);
  await apply([change]);
  return change.id!;
};

describe('creating users', () => {
  it('creates the user and writes a user.created audit event with the new state', async () => {
    const change = userCreate(connectionId, ++n);
    const result = await apply([change]);
    expect(result.counts.usersCreated).toBe(1);
    expect(result.createdIds).toEqual([change.id]);
    const row = await userRow(store.db, change.id!);
    expect(row).toMatchObject({ user_name: change.attributes.userName, active: true });
    const events = await auditOf(store.db, change.id!);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'user.created', actor_type: 'sync', actor_id: 'test-run', before: null });
    expect(events[0]!.after).toMatchObject({ user_name: change.attributes.userName, external_id: change.externalId });
  });

  it('refuses a userName that differs only in case, and applies nothing of the batch', async () => {
    const first = userCreate(connectionId, ++n, { attributes: { userName: `Dana${n}@Example.test` } });
    await apply([first]);
    const before = await countRows(store.db, 'audit_events');
    const usersBefore = await countRows(store.db, 'users');
    const other = userCreate(connectionId, ++n);
    const clash = userCreate(connectionId, ++n, { attributes: { userName: `dana${n - 2}@example.TEST` } });
    await expect(apply([other, clash])).rejects.toThrow(ConflictError);
    await expect(apply([other, clash])).rejects.toThrow(/userName "dana\d+@example.TEST" is already taken/);
    expect(await countRows(store.db, 'users')).toBe(usersBefore);
    expect(await countRows(store.db, 'audit_events')).toBe(before);
  });

  it('allows one externalId on several users of a connection: SCIM clients own it (RFC 7643 §3.1)', async () => {
    const result = await apply([
      userCreate(connectionId, ++n, { externalId: 'shared-ext' }),
      userCreate(connectionId, ++n, { externalId: 'shared-ext' }),
    ]);
    expect(result.counts.usersCreated).toBe(2);
  });

  it('rejects a blank userName before touching the database', async () => {
    await expect(apply([userCreate(connectionId, ++n, { attributes: { userName: '  ' } })])).rejects.toThrow(ValidationError);
  });

  it('creates a user inactive when the source says so, with a deactivation time', async () => {
    const id = await newUser({ active: false });
    const row = await userRow(store.db, id);
    expect(row?.active).toBe(false);
    expect(row?.deactivated_at).not.toBeNull();
  });

  it('creates thousands of users in one call across statement chunks', async () => {
    const changes = Array.from({ length: 12_000 }, () => userCreate(connectionId, ++n));
    const result = await apply(changes);
    expect(result.counts.usersCreated).toBe(12_000);
    expect(result.auditEvents).toBe(12_000);
    const [row] = await (await import('../../../src/core/store/index.js')).queryRows<{ n: number }>(
      store.db,
      sql`select count(*)::int as n from users where id = any(${sql.raw(`array[${changes.slice(-3).map((c) => `'${c.id}'::uuid`).join(',')}]`)})`,
    );
    expect(row!.n).toBe(3);
  });
});

describe('updating users', () => {
  it('changes only the given attributes and records before and after', async () => {
    const id = await newUser();
    const result = await apply([{ kind: 'user.update', userId: id, attributes: { displayName: 'Renamed' }, sourceHash: 'h2' }]);
    expect(result.counts.usersUpdated).toBe(1);
    const row = await userRow(store.db, id);
    expect(row).toMatchObject({ display_name: 'Renamed', source_hash: 'h2' });
    expect(row?.user_name).toMatch(/^user\d+@example.test$/);
    const events = await auditOf(store.db, id);
    expect(events.at(-1)).toMatchObject({ action: 'user.updated' });
    expect(events.at(-1)!.before).toMatchObject({ display_name: expect.stringMatching(/^User \d+$/) });
    expect(events.at(-1)!.after).toMatchObject({ display_name: 'Renamed' });
  });

  it('writes nothing and records nothing when nothing differs', async () => {
    const change = userCreate(connectionId, ++n);
    await apply([change]);
    const auditBefore = await countRows(store.db, 'audit_events');
    const result = await apply([
      { kind: 'user.update', userId: change.id!, attributes: { ...change.attributes }, sourceHash: change.sourceHash ?? null },
    ]);
    expect(result.rowsWritten).toBe(0);
    expect(result.counts.usersUpdated).toBe(0);
    expect(await countRows(store.db, 'audit_events')).toBe(auditBefore);
  });

  it('skips updates whose source hash equals the stored one, and applies those whose hash moved', async () => {
    const same = userCreate(connectionId, ++n);
    const moved = userCreate(connectionId, ++n);
    await apply([same, moved]);
    const result = await apply([
      { kind: 'user.update', userId: same.id!, attributes: { displayName: 'Ignored' }, sourceHash: same.sourceHash ?? null },
      { kind: 'user.update', userId: moved.id!, attributes: { displayName: 'Applied' }, sourceHash: 'moved' },
    ]);
    expect(result.counts.usersUpdated).toBe(1);
    expect((await userRow(store.db, same.id!))?.display_name).toBe(same.attributes.displayName);
    expect((await userRow(store.db, moved.id!))?.display_name).toBe('Applied');
  });

  it('compares attributes when an update carries no source hash (a SCIM push)', async () => {
    const change = userCreate(connectionId, ++n);
    await apply([change]);
    const result = await apply([{ kind: 'user.update', userId: change.id!, attributes: { displayName: 'Pushed' } }]);
    expect(result.counts.usersUpdated).toBe(1);
    expect((await userRow(store.db, change.id!))?.display_name).toBe('Pushed');
  });

  it('stores a new source hash without an audit event when no kept attribute changed', async () => {
    const id = await newUser();
    const auditBefore = await countRows(store.db, 'audit_events');
    const result = await apply([{ kind: 'user.update', userId: id, attributes: {}, sourceHash: 'only-the-hash' }]);
    expect(result.rowsWritten).toBe(1);
    expect((await userRow(store.db, id))?.source_hash).toBe('only-the-hash');
    expect(await countRows(store.db, 'audit_events')).toBe(auditBefore);
  });

  it('refuses a rename onto another user’s userName with a conflict naming it', async () => {
    const a = userCreate(connectionId, ++n);
    const b = userCreate(connectionId, ++n);
    await apply([a, b]);
    await expect(
      apply([{ kind: 'user.update', userId: b.id!, attributes: { userName: a.attributes.userName.toUpperCase() } }]),
    ).rejects.toThrow(ConflictError);
    expect((await userRow(store.db, b.id!))?.user_name).toBe(b.attributes.userName);
  });

  it('stores the SCIM-shaped profile, replaces it whole, and treats an equal profile as unchanged', async () => {
    const profile = { emails: [{ value: 'p@example.test', type: 'work', primary: true }], title: 'Engineer' };
    const change = userCreate(connectionId, ++n, { attributes: { userName: `profile${n}@example.test`, profile } });
    await apply([change]);
    const same = await apply([{ kind: 'user.update', userId: change.id!, attributes: { profile: { ...profile } } }]);
    expect(same.rowsWritten).toBe(0);
    const changed = await apply([{ kind: 'user.update', userId: change.id!, attributes: { profile: { title: 'Manager' } } }]);
    expect(changed.counts.usersUpdated).toBe(1);
    const [row] = await queryRows<{ profile: unknown }>(store.db, sql`select profile from users where id = ${change.id!}::uuid`);
    expect(row!.profile).toEqual({ title: 'Manager' });
  });

  it('clears an attribute given as null', async () => {
    const id = await newUser();
    await apply([{ kind: 'user.update', userId: id, attributes: { displayName: null } }]);
    expect((await userRow(store.db, id))?.display_name).toBeNull();
  });

  it('reports an unknown user id as not found', async () => {
    await expect(
      apply([{ kind: 'user.update', userId: '00000000-0000-4000-8000-000000000000', attributes: { displayName: 'x' } }]),
    ).rejects.toThrow(NotFoundError);
  });

  it('reports a malformed id as invalid input, not as a database error', async () => {
    await expect(apply([{ kind: 'user.deactivate', userId: 'not-a-uuid' }])).rejects.toThrow(ValidationError);
    await expect(apply([{ kind: 'user.deactivate', userId: connectionId }], { tenantId: 'acme', actor })).rejects.toThrow(
      /tenant id "acme" is not a valid id/,
    );
  });
});

describe('deactivating, reactivating and deleting users', () => {
  it('deactivates with a user.deactivated event carrying the reason, and is a no-op the second time', async () => {
    const id = await newUser();
    const first = await apply([{ kind: 'user.deactivate', userId: id, reason: 'accountEnabled false' }]);
    expect(first.counts.usersDeactivated).toBe(1);
    const row = await userRow(store.db, id);
    expect(row?.active).toBe(false);
    expect(row?.deactivated_at).not.toBeNull();
    const events = await auditOf(store.db, id);
    expect(events.at(-1)).toMatchObject({ action: 'user.deactivated', reason: 'accountEnabled false' });
    expect(events.at(-1)!.after).toMatchObject({ active: false });
    const again = await apply([{ kind: 'user.deactivate', userId: id }]);
    expect(again.rowsWritten).toBe(0);
    expect(await auditOf(store.db, id)).toHaveLength(events.length);
  });

  it('reactivates an inactive user and clears the deactivation time', async () => {
    const id = await newUser();
    await apply([{ kind: 'user.deactivate', userId: id }]);
    const result = await apply([{ kind: 'user.reactivate', userId: id }]);
    expect(result.counts.usersReactivated).toBe(1);
    expect(await userRow(store.db, id)).toMatchObject({ active: true, deactivated_at: null });
    expect((await auditOf(store.db, id)).at(-1)?.action).toBe('user.reactivated');
  });

  it('hard-deletes the user but keeps every audit event about them, plus the deletion', async () => {
    const id = await newUser();
    await apply([{ kind: 'user.update', userId: id, attributes: { displayName: 'Before delete' } }]);
    const result = await apply([{ kind: 'user.delete', userId: id }]);
    expect(result.counts.usersDeleted).toBe(1);
    expect(await userRow(store.db, id)).toBeUndefined();
    const events = await auditOf(store.db, id);
    expect(events.map((e) => e.action)).toEqual(['user.created', 'user.updated', 'user.deleted']);
    expect(events[2]!.before).toMatchObject({ display_name: 'Before delete', roles: [], groupIds: [] });
  });

  it('refuses to update or delete audit history, even directly in SQL', async () => {
    await newUser();
    await expect(store.db.execute(sql`delete from audit_events`)).rejects.toThrow();
    await expect(store.db.execute(sql`update audit_events set action = 'x'`)).rejects.toThrow();
    expect(await countRows(store.db, 'audit_events')).toBeGreaterThan(0);
  });

  it('gives audit events ever-increasing ids, so the log can be read as a stream', async () => {
    const a = await newUser();
    await apply([{ kind: 'user.deactivate', userId: a }, { kind: 'user.reactivate', userId: a }]);
    const ids = (await auditOf(store.db, a)).map((e) => e.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
