/**
 * The fault suite: for every provider against its fake, a fault (HTTP 500, a
 * dropped connection, a 429 burst) injected at the first, a middle and the
 * last page of each listing (users, groups, group members), in full and in
 * delta runs, synced by `sync.run` into a real store (PGlite, or Postgres
 * with DATABASE_URL). What must hold, whatever the fault and wherever:
 *
 * - nobody stored active becomes inactive or deleted because of a fault;
 * - a persistent fault ends the run failed or partial, the cursor unmoved;
 * - a transient fault (one 500, one dropped connection, a 429 burst within
 *   the throttle budget) is survived: the run succeeds with the result a
 *   clean run gives.
 *
 * Before each run every user is renamed in the IdP, so a run that read the
 * whole directory shows it (each display name carries the run's tag), and a
 * delta lists every user. Page positions are measured from the fake's own
 * request log on a clean run (30 users, 6 groups of 10, pages of 5).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { queryRows } from '../../../src/core/store/index.js';
import type { ContractAdapter, ContractFake, Listing } from '../providers/contract/adapter.js';
import { ADAPTERS } from '../providers/contract/adapters.js';
import { personNamed } from '../providers/contract/scenario.js';
import { operationContext, op } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

const USERS = 30;
const GROUPS = 6;
const MEMBERS = 10;
const PAGE = 5;
/** A 429 burst of this many answers is transient; the budget (THROTTLE_BUDGET_S) covers it, not a persistent one. */
const BURST = 4;
const THROTTLE_BUDGET_S = 0.1;

/** The listings a provider reads: Entra's members come inside its group listing. */
const listingsOf = (adapter: ContractAdapter): Listing[] => (adapter.memberListing === 'inline' ? ['users', 'groups'] : ['users', 'groups', 'members']);

describe.each(ADAPTERS.map((adapter) => [adapter.kind, adapter] as const))('faults in %s listings', (_kind, adapter) => {
  let store: TestStore;
  let ctx: OperationContext;
  let idp: ContractFake;
  const listings = listingsOf(adapter);
  const users: string[] = [];
  let tags = 0;
  /** Measured on clean runs: pages of each listing, per mode. */
  const pages: Record<'full' | 'delta', Partial<Record<Listing, number>>> = { full: {}, delta: {} };

  const sync = (full: boolean) => op<SyncReport>(ctx, 'sync.run', { connection: 'acme/idp', full });
  const cursor = async () => (await queryRows<{ c: unknown }>(store.db, sql`select delta_cursor as c from connections`))[0]!.c;
  const activeIds = async () =>
    (await queryRows<{ e: string }>(store.db, sql`select external_id as e from users where active order by 1`)).map((r) => r.e);
  const memberships = async () =>
    (await queryRows<{ m: string }>(store.db, sql`select g.external_id || '/' || u.external_id as m from group_memberships m join groups g on g.id = m.group_id join users u on u.id = m.user_id order by 1`)).map((r) => r.m);
  const displayNames = async () => (await queryRows<{ d: string }>(store.db, sql`select display_name as d from users where external_id in (select value from json_array_elements_text(${JSON.stringify(users)}::text::json))`)).map((r) => r.d);

  /** Every user renamed in the IdP; returns the tag a complete read shows. */
  const touchAll = () => {
    const tag = `t${++tags}`;
    for (const [i, id] of users.entries()) idp.rename(id, `u${i} ${tag}`);
    return tag;
  };

  let baseline: { active: string[]; memberships: string[] };

  beforeAll(async () => {
    store = await createTestStore();
    ctx = operationContext(store);
    idp = await adapter.start({ pageSize: PAGE });
    for (let n = 0; n < USERS; n++) users.push(idp.addUser(personNamed(`u${n}`, idp.domain)));
    for (let g = 0; g < GROUPS; g++) {
      const group = idp.addGroup(`G${g}`);
      for (let m = 0; m < MEMBERS; m++) idp.addMember(group, { user: users[(g * MEMBERS + m) % USERS]! });
    }
    await op(ctx, 'tenant.create', { slug: 'acme' });
    await op(ctx, 'connection.create', { tenant: 'acme', name: 'idp', kind: adapter.kind, settings: { ...idp.connectionSettings(), throttleBudgetSeconds: THROTTLE_BUDGET_S } });
    for (const mode of ['full', 'delta'] as const) {
      touchAll();
      idp.resetRequests();
      expect((await sync(mode === 'full')).status).toBe('succeeded');
      for (const l of listings) pages[mode][l] = idp.pagesServed(l);
    }
    expect(pages.full.users).toBeGreaterThanOrEqual(USERS / PAGE); // the directory really spans pages
    for (const l of listings) expect(pages.full[l], l).toBeGreaterThanOrEqual(1);
    expect(pages.delta.users).toBeGreaterThanOrEqual(USERS / PAGE); // every user was renamed: a delta lists them all
    baseline = { active: await activeIds(), memberships: await memberships() };
    expect(baseline.active.length).toBeGreaterThanOrEqual(USERS);
  }, 60_000);

  afterAll(async () => {
    await idp?.close();
    await store?.close();
  });

  /**
   * First, middle and last page of each listing the mode reads. A listing a clean run of
   * the mode did not read has no page to fail: a delta may read only what its change
   * source names (Keycloak's admin events, JumpCloud's Directory Insights), so a rename
   * of every user reads no group listing.
   */
  const positions = (mode: 'full' | 'delta') =>
    listings.flatMap((listing) => {
      const n = pages[mode][listing] ?? 0;
      if (n === 0) return [];
      return [...new Set([1, Math.ceil(n / 2), n])].filter((p) => p >= 1).map((page) => ({ listing, page }));
    });

  describe.each(['full', 'delta'] as const)('%s runs', (mode) => {
    it.each(['500', 'drop', '429'] as const)('a persistent %s at any page ends the run failed or partial, cursor unmoved, nobody deactivated or deleted', async (kind) => {
      for (const { listing, page } of positions(mode)) {
        const where = `${kind} on ${listing} page ${page}`;
        touchAll();
        const cursorBefore = await cursor();
        idp.inject(listing, page, kind, Infinity);
        idp.resetRequests();
        const r = await sync(mode === 'full');
        idp.clearFaults();
        expect(idp.faultsMet(), where).toBeGreaterThan(0);
        expect(['failed', 'partial'], `${where}: ${r.status} ${r.error}`).toContain(r.status);
        expect(await cursor(), where).toEqual(cursorBefore);
        expect(await activeIds(), where).toEqual(baseline.active);
        expect(r.counts, where).toMatchObject({ usersDeactivated: 0, usersDeleted: 0 });
      }
    });

    it.each(['500', 'drop', '429'] as const)('a transient %s at any page is survived: the run succeeds with the result of a clean run', async (kind) => {
      const times = kind === '429' ? BURST : 1;
      for (const { listing, page } of positions(mode)) {
        const where = `${kind} ×${times} on ${listing} page ${page}`;
        const tag = touchAll();
        idp.inject(listing, page, kind, times);
        idp.resetRequests();
        const r = await sync(mode === 'full');
        idp.clearFaults();
        expect(idp.faultsMet(), where).toBe(times);
        expect([r.status, r.error], where).toEqual(['succeeded', null]);
        expect(await activeIds(), where).toEqual(baseline.active);
        expect(await memberships(), where).toEqual(baseline.memberships);
        expect((await displayNames()).every((d) => d.endsWith(` ${tag}`)), `${where}: every user read`).toBe(true);
      }
    });
  });
});
