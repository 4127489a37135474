/**
 * New users created while a full listing is still being read (issue 15:
 * reading and applying overlap, and a created user's record is not held to
 * the listing's end). The listing below stops at a gate after its user pages:
 * the users must be in the store before the groups are read, and the run must
 * end exactly as one that applied everything after the listing would: same
 * users, same memberships, the deletion threshold counted on the users stored
 * before the run, conflicts reported once, a failure failing the run.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import { ProviderError, type DirectoryEvent, type DirectoryProvider } from '../../../src/pull/providers/index.js';
import { syncConnection } from '../../../src/pull/reconcile/run.js';
import { findConnectionById, queryRows } from '../../../src/core/store/index.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { groupEvent, members, userEvent } from './fixtures.js';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;

const CHUNK = 7;
const ids = (n: number, prefix: string, from = 0) => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);
const userPages = (list: string[], per = 10): DirectoryEvent[][] => {
  const pages: DirectoryEvent[][] = [];
  for (let i = 0; i < list.length; i += per) pages.push(list.slice(i, i + per).map((id) => userEvent(id)));
  return pages;
};

interface Listing {
  /** Pages before the gate (users), and after it (groups). */
  before: DirectoryEvent[][];
  after: DirectoryEvent[][];
  /** Resolved by the listing when it reaches the gate. */
  reached: Promise<void>;
  /** Opens the gate. */
  open: () => void;
  /** Thrown by the listing after the gate instead of the `after` pages. */
  failWith?: Error | undefined;
  gate: Promise<void>;
  reachedNow: () => void;
}

function listing(before: DirectoryEvent[][], after: DirectoryEvent[][], failWith?: Error): Listing {
  let open!: () => void;
  let reachedNow!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (reachedNow = r));
  return { before, after, reached, open, failWith, gate, reachedNow };
}

const provider = (l: Listing): DirectoryProvider => ({
  test: () => Promise.reject(new Error('not used')),
  fetchUser: () => Promise.reject(new Error('not used')),
  run: async () => ({
    mode: 'full',
    pages: (async function* () {
      yield* l.before;
      l.reachedNow();
      await l.gate;
      if (l.failWith) throw l.failWith;
      yield* l.after;
    })(),
    nextCursor: () => null,
  }),
});

async function connection(name: string, threshold = '100%', extra: Record<string, unknown> = {}) {
  const settings = { orgUrl: 'https://acme.okta.test', apiToken: 'unused', ...extra };
  const id = (await op(ctx, 'connection.create', { tenant: 'acme', name, kind: 'okta', settings })).id as string;
  await op(ctx, 'connection.update', { connection: `acme/${name}`, deletionThreshold: threshold });
  return id;
}

const sync = async (connectionId: string, l: Listing, extra: { dryRun?: boolean; workers?: number } = {}) =>
  syncConnection(
    { db: store.db, logger: silentLogger(), actor: { type: 'cli', id: 'tester' }, providerFor: () => provider(l), applyWorkers: extra.workers ?? 2 },
    (await findConnectionById(store.db, connectionId))!,
    { label: `acme/${(await findConnectionById(store.db, connectionId))!.name}`, secrets: {}, full: true, chunkSize: CHUNK, dryRun: extra.dryRun },
  );

/** Sync a listing that never waits at its gate. */
function syncAll(connectionId: string, pages: DirectoryEvent[][], extra: { dryRun?: boolean } = {}) {
  const l = listing(pages, []);
  l.open();
  return sync(connectionId, l, extra);
}

const storedUsers = async (connectionId: string) =>
  (await queryRows<{ external_id: string }>(store.db, sql`select external_id from users where connection_id = ${connectionId}::uuid order by 1`)).map((r) => r.external_id);

/** Stored users once the listing waits at its gate: whatever was applied while it was being read. */
async function storedAtGate(connectionId: string, l: Listing, settle: number) {
  await l.reached;
  // The batches in flight when the listing reached the gate need a moment to commit.
  const deadline = Date.now() + 10_000;
  let seen = await storedUsers(connectionId);
  while (seen.length < settle && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    seen = await storedUsers(connectionId);
  }
  return seen;
}

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
});
afterAll(() => store?.close());

describe('users created while the listing is read', () => {
  it('stores new users in batches before the listing ends, and ends as an apply-at-the-end run would', async () => {
    const conn = await connection('idp');
    const users = ids(60, 'u');
    const l = listing(userPages(users), [[groupEvent('g0'), members('g0', users.slice(0, 30)), groupEvent('g1'), members('g1', users.slice(20))]]);
    const running = sync(conn, l);
    // 60 users in batches of 7: 8 whole batches (56 users) while reading; the last 4 wait for the plan.
    const early = await storedAtGate(conn, l, 56);
    expect(early.length).toBeGreaterThanOrEqual(56);
    l.open();
    const report = await running;
    expect(report.status).toBe('succeeded');
    expect(report.counts.usersCreated).toBe(60);
    expect(report.counts.membershipsAdded).toBe(70);
    expect(await storedUsers(conn)).toEqual([...users].sort());
    const [audit] = await queryRows<{ created: number; added: number }>(
      store.db,
      sql`select count(*) filter (where action = 'user.created')::int as created, count(*) filter (where action = 'membership.added')::int as added
          from audit_events where connection_id = ${conn}::uuid`,
    );
    expect(audit).toEqual({ created: 60, added: 70 });

    // The same listing again: nothing to do.
    const second = await syncAll(conn, [...userPages(users), ...l.after]);
    expect([second.status, second.counts.usersCreated, second.counts.usersUpdated, second.counts.rowsWritten]).toEqual(['succeeded', 0, 0, 0]);
  });

  it('counts the deletion threshold on the users stored before the run, not on those it created', async () => {
    const conn = await connection('threshold', '10%');
    const old = ids(20, 'o');
    expect((await syncAll(conn, userPages(old))).status).toBe('succeeded');
    // 5 of the 20 are gone and 200 are new: 5 > 10% of 20 must hold the run, whatever 10% of 215 would allow.
    const report = await syncAll(conn, userPages([...old.slice(5), ...ids(200, 'n')]));
    expect(report.status).toBe('held');
    expect(report.counts.usersCreated).toBe(200);
    expect(report.counts.usersDeactivated).toBe(0);
  });

  it('keeps what was created when the listing fails later, and deactivates nobody', async () => {
    const conn = await connection('broken');
    const old = ids(10, 'k');
    await syncAll(conn, userPages(old));
    const fresh = ids(30, 'f');
    const l = listing(userPages(fresh), [], new ProviderError('network', 'groups page 1: 503'));
    const running = sync(conn, l);
    expect((await storedAtGate(conn, l, 10 + 28)).length).toBeGreaterThanOrEqual(38);
    l.open();
    const report = await running;
    expect(report.status).toBe('partial');
    expect(report.counts.usersCreated).toBe(30);
    expect(report.counts.usersDeactivated).toBe(0);
    expect(await storedUsers(conn)).toEqual([...old, ...fresh].sort());
  });

  it('applies the later of two records of one user listed twice', async () => {
    const conn = await connection('twice');
    const users = ids(14, 't');
    const report = await syncAll(conn, [...userPages(users), [userEvent('t3', { displayName: 'Renamed' })]]);
    expect(report.status).toBe('succeeded');
    const [row] = await queryRows<{ display_name: string }>(store.db, sql`select display_name from users where connection_id = ${conn}::uuid and external_id = 't3'`);
    expect(row!.display_name).toBe('Renamed');
    expect((await storedUsers(conn)).length).toBe(14);
  });

  it('holds back a user whose userName another connection holds, and reports it once', async () => {
    const other = await connection('other');
    await syncAll(other, userPages(['x1']));
    const conn = await connection('clash');
    // x1's record here has the same userName (x1@example.test) as the other connection's user.
    const report = await syncAll(conn, userPages(['x1', ...ids(20, 'c')]));
    expect(report.status).toBe('partial');
    expect(report.counts.usersCreated).toBe(20);
    expect(report.error).toContain('x1@example.test');
    const held = await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from change_outcomes where connection_id = ${conn}::uuid and outcome = 'held'`);
    expect(held[0]!.n).toBe(1);
    expect(await storedUsers(conn)).toEqual(ids(20, 'c').sort());
  });

  it('fails the run when a batch cannot be written, and stops reading', async () => {
    const conn = await connection('failing');
    await store.db.execute(sql.raw(`create function refuse_boom() returns trigger language plpgsql as $$
      begin if new.user_name = 'b9@example.test' then raise exception 'disk on fire'; end if; return new; end $$`));
    await store.db.execute(sql.raw(`create trigger refuse_boom before insert on users for each row execute function refuse_boom()`));
    try {
      const report = await syncAll(conn, [...userPages(ids(30, 'b')), [groupEvent('never')]]);
      expect(report.status).toBe('failed');
      expect(report.error).toContain('apply failed');
      expect(report.error).toContain('disk on fire');
      // The database's words, not the statement: its parameters hold the users' names and addresses.
      expect(report.error).not.toContain('Failed query');
      expect(report.error).not.toContain('@example.test');
      const failed = await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from change_outcomes where connection_id = ${conn}::uuid and outcome = 'failed'`);
      expect(failed[0]!.n).toBeGreaterThan(0);
      expect((await queryRows(store.db, sql`select 1 from groups where connection_id = ${conn}::uuid`)).length).toBe(0);
    } finally {
      await store.db.execute(sql.raw('drop trigger refuse_boom on users'));
      await store.db.execute(sql.raw('drop function refuse_boom()'));
    }
  });

  it('writes the memberships of a new group once its list is whole, and the plan only the rest', async () => {
    const conn = await connection('members');
    const users = ids(60, 'm');
    const whole = (g: string, list: string[], children: string[] = []) => ({ ...members(g, list, children), last: true });
    const l = listing(
      [...userPages(users), [groupEvent('g0'), groupEvent('g1'), groupEvent('nest')], [whole('g0', users.slice(0, 30))], [whole('g1', users.slice(20, 60)), whole('nest', users.slice(50, 55), ['g0'])]],
      // A list whole only after the gate, and one the provider never says is whole.
      [[groupEvent('late'), whole('late', users.slice(0, 10)), groupEvent('open'), members('open', users.slice(0, 5))]],
    );
    const running = sync(conn, l);
    await l.reached;
    // g0 and g1 (70 memberships) are written while the listing waits; `nest` names a child group: the plan's.
    const deadline = Date.now() + 10_000;
    let early = 0;
    while (early < 70 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      early = (await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from group_memberships m join groups g on g.id = m.group_id where g.connection_id = ${conn}::uuid`))[0]!.n;
    }
    expect(early).toBe(70);
    l.open();
    const report = await running;
    expect(report.status).toBe('succeeded');
    // g0 30 + g1 40 + nest (30 through g0 and 5 of its own) 35 + late 10 + open 5.
    expect([report.counts.groupsCreated, report.counts.membershipsAdded]).toEqual([5, 120]);
    const byGroup = await queryRows<{ g: string; n: number }>(
      store.db,
      sql`select g.external_id as g, count(*)::int as n from group_memberships m join groups g on g.id = m.group_id where g.connection_id = ${conn}::uuid group by 1 order by 1`,
    );
    expect(byGroup).toEqual([{ g: 'g0', n: 30 }, { g: 'g1', n: 40 }, { g: 'late', n: 10 }, { g: 'nest', n: 35 }, { g: 'open', n: 5 }]);
    const [audit] = await queryRows<{ n: number; distinct: number }>(
      store.db,
      sql`select count(*)::int as n, count(distinct (after->>'groupId') || (after->>'userId'))::int as distinct from audit_events where action = 'membership.added' and connection_id = ${conn}::uuid`,
    );
    expect(audit).toEqual({ n: 120, distinct: 120 });
    const second = await syncAll(conn, [...l.before, ...l.after]);
    expect([second.status, second.counts.membershipsAdded, second.counts.groupsUpdated, second.counts.rowsWritten]).toEqual(['succeeded', 0, 0, 0]);
  });

  it('counts the group deletion threshold on the groups stored before the run', async () => {
    const conn = await connection('group-threshold', '10%');
    const old = ids(20, 'og');
    expect((await syncAll(conn, [old.map((g) => groupEvent(g))])).status).toBe('succeeded');
    const report = await syncAll(conn, [[...old.slice(5), ...ids(200, 'ng')].map((g) => groupEvent(g))]);
    expect(report.status).toBe('held');
    expect(report.counts.groupsCreated).toBe(200);
    expect(report.counts.groupsDeleted).toBe(0);
  });

  it('creates nothing in a dry run', async () => {
    const conn = await connection('dry');
    const report = await syncAll(conn, userPages(ids(30, 'd')), { dryRun: true });
    expect(report.counts.usersCreated).toBe(30);
    expect(await storedUsers(conn)).toEqual([]);
  });

  it('creates nobody before the listing ends when a scope group decides who is in', async () => {
    const conn = await connection('scoped', '100%', { scope: { groups: ['staff'] } });
    const users = ids(30, 's');
    const l = listing(userPages(users), [[groupEvent('staff'), members('staff', users.slice(0, 3))]]);
    const running = sync(conn, l);
    await l.reached;
    expect(await storedUsers(conn)).toEqual([]);
    l.open();
    const report = await running;
    expect(report.counts.usersCreated).toBe(3);
    expect(await storedUsers(conn)).toEqual(users.slice(0, 3).sort());
  });
});
