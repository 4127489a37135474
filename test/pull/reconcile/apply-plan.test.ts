/**
 * The apply's last line of defence: a per-user conflict the pre-check could
 * not see (a name taken by a SCIM push between the check and the apply)
 * holds back that user only. Real store (PGlite, or Postgres with DATABASE_URL).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges, type LifecycleChange } from '../../../src/core/lifecycle/index.js';
import { silentLogger } from '../../../src/core/logging/index.js';
import { applyInChunks, type ApplyTarget } from '../../../src/pull/reconcile/apply-plan.js';
import { withLease } from '../../../src/pull/reconcile/lease.js';
import { emptySyncCounts } from '../../../src/pull/reconcile/report.js';
import { queryRows, type ConnectionRow } from '../../../src/core/store/index.js';
import { makeConnection, makeTenant, userCreate } from '../../support/factories.js';
import { createTestStore, type TestStore } from '../../support/store.js';

describe('applyInChunks with a conflict found only when applied', () => {
  let store: TestStore;
  let tenantId: string;
  let connectionId: string;
  let connection: ConnectionRow;
  const actor = { type: 'sync' as const, id: 'test' };

  beforeAll(async () => {
    store = await createTestStore();
    tenantId = (await makeTenant(store.db)).id;
    connection = await makeConnection(store.db, tenantId, { kind: 'okta' });
    connectionId = connection.id;
  });
  afterAll(async () => store?.close());

  /** Apply as a sync does: holding the connection's sync lease, confirmed before each transaction. */
  const applyHoldingLease = (changes: LifecycleChange[]) =>
    withLease({ db: store.db, logger: silentLogger() }, connection, 'test', 60_000, async (_current, lease) => {
      const target: ApplyTarget = { db: store.db, lease, tenantId, actor, size: 10, counts: emptySyncCounts(), notCreated: new Set(), conflicts: [] };
      await applyInChunks(target, changes);
      return target;
    });

  const userByName = async (userName: string) =>
    (await queryRows<{ id: string; active: boolean; display_name: string | null }>(store.db, sql`select id, active, display_name from users where user_name = ${userName}`))[0];

  it('applies every other change of the chunk, deactivation included, and reports the refused create and rename', async () => {
    // Stored before the run: two users of the connection; then a SCIM push takes two names.
    const [leaver, renamed, push1, push2] = [1, 2, 3, 4].map((n) => userCreate(connectionId, n));
    push1!.attributes.userName = 'taken@example.test';
    push2!.attributes.userName = 'also-taken@example.test';
    await applyChanges(store.db, { tenantId, actor }, [leaver!, renamed!, push1!, push2!]);

    const fresh = userCreate(connectionId, 5);
    const clashing = userCreate(connectionId, 6, { attributes: { userName: 'TAKEN@example.test' } });
    const later = userCreate(connectionId, 7);
    const changes: LifecycleChange[] = [
      fresh,
      clashing,
      later,
      { kind: 'user.update', userId: renamed!.id!, attributes: { userName: 'Also-Taken@example.test', displayName: 'Renamed' }, sourceHash: 'h2' },
      { kind: 'user.deactivate', userId: leaver!.id!, reason: 'left' },
    ];
    const target = await applyHoldingLease(changes);

    expect(target.counts).toMatchObject({ usersCreated: 2, usersUpdated: 1, usersDeactivated: 1 });
    expect([...target.notCreated]).toEqual([clashing.id]);
    expect(target.conflicts).toEqual([
      { user: 'ext-6', userName: 'TAKEN@example.test', heldBy: { applying: 'userName "TAKEN@example.test" is already taken in this tenant' } },
      { user: renamed!.id, userId: renamed!.id, userName: 'Also-Taken@example.test', heldBy: { applying: expect.stringContaining('already taken') } },
    ]);
    expect(await userByName('user1@example.test')).toMatchObject({ active: false });
    expect(await userByName('user2@example.test')).toMatchObject({ display_name: 'Renamed' });
    expect(await userByName('user5@example.test')).toMatchObject({ active: true });
    expect(await userByName('user7@example.test')).toMatchObject({ active: true });
  });

  it('still fails the chunk on an error that is not a per-user conflict', async () => {
    const missing: LifecycleChange = { kind: 'user.deactivate', userId: '00000000-0000-4000-8000-000000000000' };
    await expect(applyHoldingLease([userCreate(connectionId, 8), missing])).rejects.toThrow(/not found/);
    expect(await userByName('user8@example.test')).toBeUndefined();
  });
});
