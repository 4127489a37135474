/**
 * The event feed on both backends; the concurrent-transaction cases need two
 * connections, so they run on the Postgres pass (PGlite is one connection:
 * its transactions cannot interleave, and its block below shows the feed
 * still reads there).
 */
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventFeed } from '../../../src/admin/events/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { makeTenant } from '../../support/factories.js';
import { backendName, createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let tenantA: string;
let tenantB: string;

beforeAll(async () => {
  store = await createTestStore();
  tenantA = (await makeTenant(store.db, 'feed-a')).id;
  tenantB = (await makeTenant(store.db, 'feed-b')).id;
});
afterAll(() => store.close());

const insertEvent = (tenantId: string, entityId: string) =>
  sql`insert into audit_events (tenant_id, action, entity_type, entity_id, actor_type)
      values (${tenantId}::uuid, 'user.created', 'user', ${entityId}, 'admin') returning id`;

async function write(tenantId: string, entityId: string): Promise<number> {
  const [row] = await queryRows<{ id: string | number }>(store.db, insertEvent(tenantId, entityId));
  return Number(row!.id);
}

/** Everything after `after`, page by page, as the feed's consumers read it. */
async function drain(after: number, tenantId: string | null = null, limit = 2): Promise<{ ids: number[]; entities: string[]; next: number }> {
  const ids: number[] = [];
  const entities: string[] = [];
  let next = after;
  for (;;) {
    const page = await readEventFeed(store.db, { after: next, limit, tenantId, waitMs: 30_000 });
    expect(page.pending).toBe(false);
    ids.push(...page.events.map((e) => e.id));
    entities.push(...page.events.map((e) => e.entityId));
    next = page.next;
    if (!page.more) return { ids, entities, next };
  }
}

describe(`event feed (${backendName})`, () => {
  it('returns events in id order, page by page, with a cursor that resumes after the last one', async () => {
    const start = (await drain(0, null, 1000)).next;
    const written = [];
    for (let i = 0; i < 5; i++) written.push(await write(i % 2 ? tenantB : tenantA, `e${i}`));
    const first = await readEventFeed(store.db, { after: start, limit: 2, tenantId: null, waitMs: 30_000 });
    expect(first.events.map((e) => e.id)).toEqual(written.slice(0, 2));
    expect(first).toMatchObject({ next: written[1], more: true, pending: false });
    expect(first.events[0]).toMatchObject({ tenant: 'feed-a', tenantId: tenantA, action: 'user.created', entityId: 'e0', actor: { type: 'admin', id: null } });
    const rest = await drain(first.next);
    expect(rest.ids).toEqual(written.slice(2));
    const empty = await readEventFeed(store.db, { after: rest.next, limit: 10, tenantId: null, waitMs: 30_000 });
    expect(empty).toEqual({ events: [], next: rest.next, more: false, pending: false });
  });

  it('scopes the feed to one tenant in the query', async () => {
    const a = await write(tenantA, 'only-a');
    const b = await write(tenantB, 'only-b');
    const page = await drain(a - 1, tenantB);
    expect(page.ids).toEqual([b]);
    expect((await drain(a - 1, tenantA)).ids).toEqual([a]);
  });

  it('assigns an inserting transaction its xid before any id is drawn (statement trigger)', async () => {
    // A probe row trigger sees what the statement trigger did before the identity default ran.
    await queryRows(
      store.db,
      sql.raw(`create function probe_xid() returns trigger language plpgsql as $$
               begin NEW.reason := coalesce(pg_current_xact_id_if_assigned()::text, 'none'); return NEW; end $$`),
    );
    await queryRows(store.db, sql.raw('create trigger probe_xid before insert on audit_events for each row execute function probe_xid()'));
    try {
      const [row] = await queryRows<{ reason: string; tx_id: string }>(
        store.db,
        sql`insert into audit_events (tenant_id, action, entity_type, entity_id, actor_type)
            values (${tenantA}::uuid, 'probe', 'user', 'probe', 'admin') returning reason, tx_id::text`,
      );
      expect(row!.reason).toBe(row!.tx_id);
    } finally {
      await queryRows(store.db, sql.raw('drop trigger probe_xid on audit_events'));
      await queryRows(store.db, sql.raw('drop function probe_xid()'));
    }
  });

  if (backendName === 'pglite') {
    it('reads the events of a committed transaction at once on PGlite, and none of a rolled-back one', async () => {
      const start = (await drain(0, null, 1000)).next;
      const ids = await store.db.transaction(async (tx) => [
        Number((await queryRows<{ id: number }>(tx, insertEvent(tenantA, 'tx-1')))[0]!.id),
        Number((await queryRows<{ id: number }>(tx, insertEvent(tenantA, 'tx-2')))[0]!.id),
      ]);
      await store.db
        .transaction(async (tx) => {
          await queryRows(tx, insertEvent(tenantA, 'rolled-back'));
          throw new Error('roll back');
        })
        .catch(() => {});
      const after = await write(tenantA, 'after');
      const page = await readEventFeed(store.db, { after: start, limit: 10, tenantId: null, waitMs: 0 });
      expect(page.events.map((e) => e.id)).toEqual([...ids, after]);
    });
  }
});

if (backendName === 'postgres') {
  describe('event feed with concurrent transactions (postgres)', () => {
    let client: postgres.Sql;
    beforeAll(() => {
      client = postgres(store.databaseUrl!, { max: 4, onnotice: () => {} });
    });
    afterAll(() => client.end({ timeout: 5 }));

    const insert = async (conn: postgres.ReservedSql, entityId: string) =>
      Number((await conn`insert into audit_events (tenant_id, action, entity_type, entity_id, actor_type)
                         values (${tenantA}::uuid, 'user.created', 'user', ${entityId}, 'admin') returning id`)[0]!.id);

    it('never passes an event of a transaction still in flight, even when an older xid commits a larger id', async () => {
      const start = (await drain(0, null, 1000)).next;
      const older = await client.reserve();
      const newer = await client.reserve();
      try {
        // `older` takes its xid first; `newer` then draws the smaller id; `older` draws the larger one and commits.
        await older`begin`;
        await older`select pg_current_xact_id()`;
        await newer`begin`;
        const small = await insert(newer, 'in-flight');
        const large = await insert(older, 'committed');
        await older`commit`;
        expect(large).toBeGreaterThan(small);

        // The committed, larger id belongs to the older transaction, so a filter on
        // tx_id < pg_snapshot_xmin would pass it (once nothing else older runs on the
        // server) while `small` is in flight, and the cursor would skip `small` forever.
        const [inFlight] = await newer`select pg_current_xact_id()::text as x`;
        const [committedBy] = await client`select tx_id::text as x from audit_events where id = ${large}`;
        expect(BigInt(committedBy!.x)).toBeLessThan(BigInt(inFlight!.x));
        const [committed] = await client`select count(*)::int as n from audit_events where id > ${start}`;
        expect(committed!.n).toBe(1);
        const held = await readEventFeed(store.db, { after: start, limit: 10, tenantId: null, waitMs: 200 });
        expect(held).toEqual({ events: [], next: start, more: false, pending: true });

        await newer`commit`;
        const page = await drain(start, null, 10);
        expect(page.ids).toEqual([small, large]);
        expect(page.entities).toEqual(['in-flight', 'committed']);
      } finally {
        await older`rollback`.catch(() => {});
        await newer`rollback`.catch(() => {});
        older.release();
        newer.release();
      }
    });

    it('returns a committed event once the transaction before it rolled back', async () => {
      const start = (await drain(0, null, 1000)).next;
      const a = await client.reserve();
      const b = await client.reserve();
      try {
        await a`begin`;
        const gone = await insert(a, 'rolled-back');
        await b`begin`;
        const kept = await insert(b, 'kept');
        await b`commit`;
        expect((await readEventFeed(store.db, { after: start, limit: 10, tenantId: null, waitMs: 200 })).pending).toBe(true);
        await a`rollback`;
        const page = await drain(start, null, 10);
        expect(page.ids).toEqual([kept]);
        expect(page.ids).not.toContain(gone);
      } finally {
        a.release();
        b.release();
      }
    });

    it('loses nothing when many writers commit in random order while a reader follows', async () => {
      const start = (await drain(0, null, 1000)).next;
      const written: number[] = [];
      const seen: number[] = [];
      let done = false;
      const reader = (async () => {
        let next = start;
        while (!done || seen.length < written.length) {
          const page = await readEventFeed(store.db, { after: next, limit: 7, tenantId: null, waitMs: 30_000 });
          seen.push(...page.events.map((e) => e.id));
          next = page.next;
          if (!page.more) await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 15; i++) {
            await client.begin(async (tx) => {
              const [row] = await tx`insert into audit_events (tenant_id, action, entity_type, entity_id, actor_type)
                                    values (${tenantA}::uuid, 'user.updated', 'user', ${`w${w}-${i}`}, 'admin') returning id`;
              // Hold the transaction open a random while so that commits come out of id order.
              await tx`select pg_sleep(${Math.random() * 0.02})`;
              written.push(Number(row!.id));
            });
          }
        }),
      );
      done = true;
      await reader;
      expect(seen).toEqual([...written].sort((x, y) => x - y));
    });
  });
}
