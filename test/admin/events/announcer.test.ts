/**
 * `roster_events` announcements on both backends: each tenant with new events
 * is notified once, with its last id; an idle poll notifies and writes
 * nothing; the EventAnnouncer wakes a LISTENer on its own. The cases with
 * transactions in flight need two connections and run on the Postgres pass.
 */
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { announceNewEvents, EventAnnouncer, EVENTS_CHANNEL } from '../../../src/admin/events/index.js';
import { silentLogger } from '../../../src/core/logging/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { makeTenant } from '../../support/factories.js';
import { backendName, createTestStore, type TestStore } from '../../support/store.js';

interface Announcement {
  tenantId: string;
  lastId: number;
}

let store: TestStore;
let tenantA: string;
let tenantB: string;
let stopListening: () => Promise<void>;
const heard: Announcement[] = [];

beforeAll(async () => {
  store = await createTestStore();
  tenantA = (await makeTenant(store.db, 'announce-a')).id;
  tenantB = (await makeTenant(store.db, 'announce-b')).id;
  stopListening = await store.listen(EVENTS_CHANNEL, (payload) => heard.push(JSON.parse(payload) as Announcement), () => {});
});
afterAll(async () => {
  await stopListening();
  await store.close();
});

async function write(tenantId: string, entityId: string): Promise<number> {
  const [row] = await queryRows<{ id: string | number }>(
    store.db,
    sql`insert into audit_events (tenant_id, action, entity_type, entity_id, actor_type)
        values (${tenantId}::uuid, 'user.created', 'user', ${entityId}, 'admin') returning id`,
  );
  return Number(row!.id);
}

/** Notifications arrive asynchronously; wait for `count`, then a little longer to catch extras. */
async function heardAfter(count: number): Promise<Announcement[]> {
  await expect.poll(() => heard.length, { timeout: 5000, interval: 10 }).toBeGreaterThanOrEqual(count);
  await new Promise((r) => setTimeout(r, 100));
  return heard.splice(0).sort((a, b) => a.lastId - b.lastId);
}

const stateVersion = async () =>
  (await queryRows<{ v: string }>(store.db, sql`select xmin::text as v from event_announcer where id = 1`))[0]!.v;

describe(`event announcements (${backendName})`, () => {
  beforeEach(async () => {
    while ((await announceNewEvents(store.db)) > 0);
    await new Promise((r) => setTimeout(r, 100));
    heard.length = 0;
  });

  it('notifies each tenant with new events once, with its last id', async () => {
    await write(tenantA, 'a1');
    const lastA = await write(tenantA, 'a2');
    const lastB = await write(tenantB, 'b1');
    expect(await announceNewEvents(store.db)).toBe(2);
    expect(await heardAfter(2)).toEqual([
      { tenantId: tenantA, lastId: lastA },
      { tenantId: tenantB, lastId: lastB },
    ]);
    // Polled again (by this server or another): nothing is announced twice.
    expect(await announceNewEvents(store.db)).toBe(0);
    expect(await heardAfter(0)).toEqual([]);
  });

  it('writes nothing while nothing happens', async () => {
    await write(tenantA, 'settle');
    await announceNewEvents(store.db);
    await announceNewEvents(store.db); // the floor catches up with the last poll's mark
    heard.length = 0;
    const before = await stateVersion();
    for (let i = 0; i < 5; i++) expect(await announceNewEvents(store.db)).toBe(0);
    expect(await stateVersion()).toBe(before);
  });

  it('EventAnnouncer wakes a listener within a poll or two of the commit', async () => {
    const announcer = new EventAnnouncer({ db: store.db, logger: silentLogger(), intervalMs: 20 });
    announcer.start();
    try {
      const id = await write(tenantB, 'woken');
      expect(await heardAfter(1)).toEqual([{ tenantId: tenantB, lastId: id }]);
    } finally {
      await announcer.stop();
    }
  });
});

if (backendName === 'postgres') {
  describe('event announcements with transactions in flight (postgres)', () => {
    let client: postgres.Sql;
    beforeAll(() => {
      client = postgres(store.databaseUrl!, { max: 4, onnotice: () => {} });
    });
    afterAll(() => client.end({ timeout: 5 }));

    it('announces a tenant whose event commits after a larger id was announced', async () => {
      while ((await announceNewEvents(store.db)) > 0);
      heard.length = 0;
      const slow = await client.reserve();
      try {
        await slow`begin`;
        const late = Number((await slow`insert into audit_events (tenant_id, action, entity_type, entity_id, actor_type)
                                       values (${tenantA}::uuid, 'user.created', 'user', 'late', 'admin') returning id`)[0]!.id);
        const early = await write(tenantB, 'early');
        expect(early).toBeGreaterThan(late);
        expect(await announceNewEvents(store.db)).toBe(1);
        // The floor cannot pass the open transaction however often it is polled.
        for (let i = 0; i < 3; i++) expect(await announceNewEvents(store.db)).toBe(0);
        await slow`commit`;
        expect(await announceNewEvents(store.db)).toBe(1);
        expect(await heardAfter(2)).toEqual([
          { tenantId: tenantA, lastId: late },
          { tenantId: tenantB, lastId: early },
        ]);
      } finally {
        await slow`rollback`.catch(() => {});
        slow.release();
      }
    });

    it('one server announces at a time: concurrent polls notify each tenant once', async () => {
      while ((await announceNewEvents(store.db)) > 0);
      heard.length = 0;
      await write(tenantA, 'c1');
      await write(tenantB, 'c2');
      const sent = await Promise.all(Array.from({ length: 4 }, () => client`select roster_announce_events() as sent`));
      expect(sent.reduce((n, [row]) => n + Number(row!.sent), 0)).toBe(2);
      expect((await heardAfter(2)).map((a) => a.tenantId).sort()).toEqual([tenantA, tenantB].sort());
    });
  });
}
