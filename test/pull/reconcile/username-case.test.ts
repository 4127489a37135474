/**
 * userNames that JavaScript and Postgres lower-case differently. The unique
 * index is on Postgres `lower(user_name)`, which folds `İ` (U+0130) to a
 * plain `i`, where JavaScript's toLowerCase gives `i` plus a combining dot:
 * `İx@corp.test` and `ix@corp.test` are one name to the database. Synced
 * from the Okta fake into a real store (PGlite, or Postgres with DATABASE_URL).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { queryRows } from '../../../src/core/store/index.js';
import { startFakeOkta, type FakeOkta } from '../../fakes/okta/index.js';
import { operationContext, op } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

describe('userNames one apart only by how lower() folds them', () => {
  let store: TestStore;
  let ctx: OperationContext;
  let okta: FakeOkta;
  const ids: Record<string, string> = {};
  const sync = () => op<SyncReport>(ctx, 'sync.run', { connection: 'acme/okta' });
  const users = async () =>
    queryRows<{ user_name: string; active: boolean }>(store.db, sql`select user_name, active from users order by user_name collate "C"`);
  const add = (login: string) => okta.directory.addUser({ profile: { login, email: login, firstName: login, lastName: 'T' } }).id;

  beforeAll(async () => {
    store = await createTestStore();
    ctx = operationContext(store);
    okta = await startFakeOkta();
    ids.ix = add('ix@corp.test');
    ids.dee = add('dee@corp.test');
    ids.eve = add('eve@corp.test');
    await op(ctx, 'tenant.create', { slug: 'acme' });
    await op(ctx, 'connection.create', { tenant: 'acme', name: 'okta', kind: 'okta', settings: { orgUrl: okta.url, apiToken: 'test-token' } });
    await op(ctx, 'connection.update', { connection: 'acme/okta', deletionThreshold: '100%' });
    expect((await sync()).status).toBe('succeeded');
  });

  afterAll(async () => {
    await okta?.close();
    await store?.close();
  });

  it('holds back only the user whose name the database folds onto a stored or listed one, and still deactivates a leaver in the same run', async () => {
    add('İx@corp.test'); // folds onto the stored ix@corp.test
    add('iy@corp.test');
    add('İy@corp.test'); // folds onto iy@corp.test, listed in the same run
    add('fay@corp.test');
    okta.directory.suspend(ids.dee!);
    const r = await sync();
    expect(r.status).toBe('partial');
    expect(r.error).toMatch(/^2 user\(s\) not created or renamed because their userName is taken: /);
    expect(r.error).toContain('"İx@corp.test" (held by a user of acme/okta)');
    expect(r.error).toMatch(/"İy@corp\.test" \(also claimed by \S+ in this listing\)/);
    expect(r.counts).toMatchObject({ usersCreated: 2, usersDeactivated: 1 });
    expect(await users()).toEqual([
      { user_name: 'dee@corp.test', active: false },
      { user_name: 'eve@corp.test', active: true },
      { user_name: 'fay@corp.test', active: true },
      { user_name: 'ix@corp.test', active: true },
      { user_name: 'iy@corp.test', active: true },
    ]);
  });

  it('keeps holding them back run after run while every other change applies', async () => {
    okta.directory.suspend(ids.eve!);
    const r = await sync();
    expect(r.status).toBe('partial');
    expect(r.counts).toMatchObject({ usersCreated: 0, usersDeactivated: 1 });
    expect((await users()).find((u) => u.user_name === 'eve@corp.test')).toEqual({ user_name: 'eve@corp.test', active: false });
  });
});
