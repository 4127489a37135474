/**
 * The sync lease (issue 10, item 6), in process on the run's backend: the
 * heartbeat keeps it while a listing waits longer than its TTL, and a lease
 * lost before an apply transaction stops the apply, so one connection's plan
 * is never applied twice at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import type { DirectoryEvent, DirectoryProvider } from '../../../src/pull/providers/index.js';
import { syncConnection } from '../../../src/pull/reconcile/run.js';
import { acquireLease, findConnectionById, queryRows, type ConnectionRow } from '../../../src/core/store/index.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let connection: ConnectionRow;
const TTL_MS = 2000; // the database keeps lease expiry in whole seconds

beforeAll(async () => {
  store = await createTestStore();
  const ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
  const created = await op(ctx, 'connection.create', { tenant: 'acme', name: 'okta', kind: 'okta', settings: { orgUrl: 'https://acme.okta.test', apiToken: 'unused' } });
  connection = (await findConnectionById(store.db, created.id))!;
});
afterAll(() => store.close());

const users = (n: number): DirectoryEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    type: 'user',
    user: { externalId: `u${i}`, userName: `u${i}@lease.test`, email: `u${i}@lease.test`, displayName: null, givenName: null, familyName: null, active: true },
  }));

/** A provider listing `pages`, running `between(i)` before page i is handed over. */
function provider(pages: DirectoryEvent[][], between: (page: number) => Promise<void>): DirectoryProvider {
  return {
    test: () => Promise.reject(new Error('not used')),
    fetchUser: () => Promise.reject(new Error('not used')),
    async run() {
      return {
        mode: 'full',
        pages: (async function* () {
          for (const [i, page] of pages.entries()) {
            await between(i);
            yield page;
          }
          await between(pages.length);
        })(),
        nextCursor: () => null,
      };
    },
  };
}

const sync = (p: DirectoryProvider) =>
  syncConnection({ db: store.db, logger: silentLogger(), actor: { type: 'cli', id: 'tester' }, providerFor: () => p }, connection, {
    label: 'acme/okta',
    secrets: {},
    full: true,
    leaseTtlMs: TTL_MS,
    chunkSize: 2,
  });

const storedUsers = async () => (await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from users where connection_id = ${connection.id}::uuid`))[0]!.n;

describe('the sync lease', () => {
  it('is renewed while a listing waits longer than its TTL, so no other sync can take it', async () => {
    let competitor: boolean | undefined;
    const report = await sync(
      provider([users(2), users(4)], async (page) => {
        if (page !== 1) return;
        await sleep(TTL_MS * 1.5);
        competitor = await acquireLease(store.db, connection.id, 'another-replica', TTL_MS);
      }),
    );
    expect(competitor).toBe(false);
    expect(report.status).toBe('succeeded');
    expect(await storedUsers()).toBe(4);
  });

  const steal = () => store.db.execute(sql`update connections set lease_owner = 'another-replica', lease_expires_at = now() + interval '1 hour' where id = ${connection.id}::uuid`);
  const giveBack = () => store.db.execute(sql`update connections set lease_owner = null, lease_expires_at = null where id = ${connection.id}::uuid`);

  it('stops the apply when the lease was lost before an apply transaction, and applies nothing more', async () => {
    const before = await storedUsers();
    // Before the first page, another replica holds the lease (ours lapsed, say, in a database
    // outage). The listing's new users are created while it is read (early-creates.ts): not one.
    const report = await sync(provider([users(10)], async (page) => void (page === 0 && (await steal()))));
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/lost the sync lease of acme\/okta/);
    expect(await storedUsers()).toBe(before);
    const [row] = await queryRows<{ lease_owner: string }>(store.db, sql`select lease_owner from connections where id = ${connection.id}::uuid`);
    expect(row!.lease_owner).toBe('another-replica');
  });

  it('applies no update once the lease was lost past the listing', async () => {
    await giveBack();
    const renamed = users(4).map((e) => (e.type === 'user' ? { ...e, user: { ...e.user, displayName: 'Renamed' } } : e));
    const report = await sync(provider([renamed], async (page) => void (page === 1 && (await steal()))));
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/lost the sync lease of acme\/okta/);
    const [row] = await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from users where connection_id = ${connection.id}::uuid and display_name = 'Renamed'`);
    expect(row!.n).toBe(0);
  });
});
