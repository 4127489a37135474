/**
 * Membership additions applied in two transactions at once (issue 15: what
 * the sync does on Postgres). Small batches make the two workers interleave
 * many times; role mappings on several groups make both grant roles to the
 * same users at once. The store must end exactly as one transaction at a
 * time would leave it: every membership with its one audit event, every
 * mapped role, no role lost when a user moves between two groups mapping it.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import type { DirectoryEvent, DirectoryProvider } from '../../../src/pull/providers/index.js';
import { syncConnection } from '../../../src/pull/reconcile/run.js';
import { findConnectionById, queryRows } from '../../../src/core/store/index.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { groupEvent, members, userEvent } from './fixtures.js';

let store: TestStore;
let connectionId: string;

const USERS = 60;
const GROUPS = 6;
const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Group g holds every user whose number is ≡ g or g+1 (mod GROUPS): each user is in two groups. */
function directory(memberOf: (user: number, group: number) => boolean): DirectoryEvent[][] {
  const users = ids(USERS, 'u').map((id) => userEvent(id));
  const groups = ids(GROUPS, 'g').flatMap((g, gi) => [groupEvent(g), members(g, ids(USERS, 'u').filter((_, ui) => memberOf(ui, gi)))]);
  return [users, groups];
}
const initially = (u: number, g: number) => u % GROUPS === g || (u + 1) % GROUPS === g;

const provider = (pages: DirectoryEvent[][]): DirectoryProvider => ({
  test: () => Promise.reject(new Error('not used')),
  fetchUser: () => Promise.reject(new Error('not used')),
  run: async () => ({ mode: 'full', pages: (async function* () { yield* pages; })(), nextCursor: () => null }),
});

const sync = async (pages: DirectoryEvent[][]) =>
  syncConnection({ db: store.db, logger: silentLogger(), actor: { type: 'cli', id: 'tester' }, providerFor: () => provider(pages), applyWorkers: 2 }, (await findConnectionById(store.db, connectionId))!, {
    label: 'acme/idp',
    secrets: {},
    full: true,
    chunkSize: 7,
  });

/** `user@group` for every stored membership, sorted. */
const storedMemberships = async () =>
  (
    await queryRows<{ m: string }>(
      store.db,
      sql`select u.external_id || '@' || g.external_id as m from group_memberships gm join users u on u.id = gm.user_id join groups g on g.id = gm.group_id
          where g.connection_id = ${connectionId}::uuid order by 1`,
    )
  ).map((r) => r.m);
const expected = (memberOf: (u: number, g: number) => boolean) => {
  const out: string[] = [];
  for (let u = 0; u < USERS; u++) for (let g = 0; g < GROUPS; g++) if (memberOf(u, g)) out.push(`u${u}@g${g}`);
  return out.sort();
};
/** External ids of the users holding `role`, sorted. */
const holders = async (role: string) =>
  (
    await queryRows<{ external_id: string }>(
      store.db,
      sql`select u.external_id from user_roles ur join users u on u.id = ur.user_id join roles r on r.id = ur.role_id where r.name = ${role} order by 1`,
    )
  ).map((r) => r.external_id);
const usersWhere = (test: (u: number) => boolean) => ids(USERS, 'u').filter((_, u) => test(u)).sort();

beforeAll(async () => {
  store = await createTestStore();
  const ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
  connectionId = (await op(ctx, 'connection.create', { tenant: 'acme', name: 'idp', kind: 'okta', settings: { orgUrl: 'https://acme.okta.test', apiToken: 'unused' } })).id;
  await op(ctx, 'connection.update', { connection: 'acme/idp', deletionThreshold: '100%' });
  // Three groups map one role: a user in two of them is granted it by two transactions at once.
  await op(ctx, 'role.create', { tenant: 'acme', name: 'editor' });
  for (const g of ['g0', 'g1', 'g2']) await op(ctx, 'mapping.add', { tenant: 'acme', groupId: g, role: 'editor', connection: 'acme/idp' });
});
afterAll(() => store?.close());

describe('membership additions in two transactions at once', () => {
  it('stores every membership with one audit event each, and every mapped role', async () => {
    const report = await sync(directory(initially));
    expect(report.status).toBe('succeeded');
    expect(report.counts.membershipsAdded).toBe(USERS * 2);
    expect(await storedMemberships()).toEqual(expected(initially));
    const [audit] = await queryRows<{ n: number; distinct: number }>(
      store.db,
      sql`select count(*)::int as n, count(distinct (after->>'groupId') || (after->>'userId'))::int as distinct from audit_events
          where action = 'membership.added' and connection_id = ${connectionId}::uuid`,
    );
    expect(audit).toEqual({ n: USERS * 2, distinct: USERS * 2 });
    expect(await holders('editor')).toEqual(usersWhere((u) => [0, 1, 2].some((g) => initially(u, g))));
  });

  it('adds before it removes: a user moved between two groups that map the role keeps it', async () => {
    // Everyone in g0 moves to g2 (both map editor); g5 is emptied.
    const moved = (u: number, g: number) => (g === 0 ? false : g === 2 ? initially(u, 2) || initially(u, 0) : g === 5 ? false : initially(u, g));
    const revoked = async () => (await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from audit_events where action = 'role.revoked'`))[0]!.n;
    const revokedBefore = await revoked();
    const report = await sync(directory(moved));
    expect(report.status).toBe('succeeded');
    expect([report.counts.membershipsAdded, report.counts.membershipsRemoved]).toEqual([20, 40]);
    expect(await storedMemberships()).toEqual(expected(moved));
    expect(await holders('editor')).toEqual(usersWhere((u) => [0, 1, 2].some((g) => moved(u, g))));
    // Nobody's role was revoked and granted again in between (a removal applied before the addition would have).
    expect(await revoked()).toBe(revokedBefore);
  });
});
