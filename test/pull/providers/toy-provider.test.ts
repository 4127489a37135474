/**
 * Adding an IdP is one new folder plus one registry line: the toy provider
 * (test/fakes/toy/) is registered, as a line in src/pull/providers/index.ts would
 * register it, and then works end to end without a change to shared code:
 * its settings validate, a connection of its kind is created, tested and
 * synced through the operations layer, the sync produces its users, and the
 * login hook asks it live.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSettings } from '../../../src/pull/providers/connection-settings.js';
import { silentLogger } from '../../../src/core/logging/index.js';
import { LoginSyncService } from '../../../src/login/index.js';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import { registerProvider } from '../../../src/pull/providers/index.js';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { queryRows } from '../../../src/core/store/index.js';
import { toy } from '../../fakes/toy/descriptor.js';
import { TOY_GROUP, TOY_TOKEN } from '../../fakes/toy/provider.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

describe('a provider registered from its own folder', () => {
  let unregister: () => void;
  let store: TestStore;
  let ctx: OperationContext;

  beforeAll(async () => {
    unregister = registerProvider(toy);
    store = await createTestStore();
    ctx = operationContext(store);
    await op(ctx, 'tenant.create', { slug: 'acme' });
  });

  afterAll(async () => {
    unregister?.();
    await store?.close();
  });

  it('validates its settings with its own schema and splits off its secret', () => {
    expect(validateSettings('toy', { people: ['ann'], token: TOY_TOKEN })).toEqual({ settings: { people: ['ann'] }, secrets: { token: TOY_TOKEN } });
    expect(() => validateSettings('toy', { people: [], token: TOY_TOKEN })).toThrow(/toy settings: "people"/);
    expect(() => validateSettings('toy', { people: ['ann'], token: TOY_TOKEN, colour: 'red' })).toThrow(/unknown field "colour"/);
  });

  it('is created, tested and synced through the operations layer, and the sync brings its users and group', async () => {
    const created = await op(ctx, 'connection.create', { tenant: 'acme', name: 'toys', kind: 'toy', settings: { people: ['ann@toy.test', 'bo@toy.test'], token: TOY_TOKEN } });
    expect(created).toMatchObject({ kind: 'toy', settings: { people: ['ann@toy.test', 'bo@toy.test'], token: '(set)' }, scimPush: false });
    expect(created.fullSchedule).not.toBeNull(); // a pull kind gets the daily full sync

    expect(await op(ctx, 'connection.test', { connection: 'acme/toys' })).toMatchObject({ ok: true, kind: 'toy' });

    const report = await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/toys' });
    expect(report).toMatchObject({ status: 'succeeded', counts: { usersCreated: 2 } });
    const users = await queryRows<{ user_name: string; active: boolean }>(store.db, sql`select user_name, active from users order by user_name`);
    expect(users).toEqual([{ user_name: 'ann@toy.test', active: true }, { user_name: 'bo@toy.test', active: true }]);
    const groups = await queryRows<{ display_name: string }>(store.db, sql`select display_name from groups`);
    expect(groups).toEqual([{ display_name: TOY_GROUP }]);
  });

  it('answers a login live from the toy IdP', async () => {
    const logins = new LoginSyncService({ store, keyring: ctx.keyring, logger: silentLogger() });
    const answer = await logins.login('acme', { userName: 'ann@toy.test' }, { type: 'login', id: 'test' });
    expect(answer).toMatchObject({ allowed: true, source: 'live', groups: [{ displayName: TOY_GROUP }] });
  });
});
