/**
 * Connection reports read together: each connection gets its own runs,
 * counts and token use, whichever other connections (and tenants) are read
 * in the same batch, and dry runs never count as its last sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges } from '../../../src/core/lifecycle/index.js';
import { connectionReport, connectionReports } from '../../../src/admin/reports/index.js';
import { schema, type ConnectionRow } from '../../../src/core/store/index.js';
import { makeConnection, makeTenant, userCreate } from '../../support/factories.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let okta: ConnectionRow;
let scim: ConnectionRow;
let other: ConnectionRow;
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

async function run(connection: ConnectionRow, status: string, startedHoursAgo: number, mode = 'delta') {
  await store.db.insert(schema.syncRuns).values({
    tenantId: connection.tenantId,
    connectionId: connection.id,
    trigger: 'schedule',
    mode,
    status,
    startedAt: hoursAgo(startedHoursAgo),
    finishedAt: status === 'running' ? null : hoursAgo(startedHoursAgo - 0.1),
  });
}

beforeAll(async () => {
  store = await createTestStore();
  const acme = await makeTenant(store.db, 'report-acme');
  const globex = await makeTenant(store.db, 'report-globex');
  okta = await makeConnection(store.db, acme.id, { name: 'okta', kind: 'okta' });
  scim = await makeConnection(store.db, acme.id, { name: 'scim', kind: 'scim' });
  other = await makeConnection(store.db, globex.id, { name: 'okta', kind: 'okta' });
  const actor = { type: 'system' as const };
  await applyChanges(store.db, { tenantId: acme.id, actor }, [userCreate(okta.id, 1), userCreate(okta.id, 2), userCreate(scim.id, 3)]);
  await applyChanges(store.db, { tenantId: globex.id, actor }, [userCreate(other.id, 1)]);
  await run(okta, 'succeeded', 5);
  await run(okta, 'failed', 3);
  await run(okta, 'succeeded', 1, 'dry-run');
  await run(other, 'succeeded', 2);
  await run(other, 'running', 0.5);
  await store.db.insert(schema.scimTokens).values({ tenantId: acme.id, connectionId: scim.id, name: 't', tokenHash: 'hash-report-test', prefix: 'rst_x', lastUsedAt: hoursAgo(4) });
});
afterAll(() => store.close());

describe('connection reports read together', () => {
  it('keeps every connection’s runs, counts and token use to itself', async () => {
    const reports = await connectionReports(
      store.db,
      [okta, scim, other].map((connection) => ({ connection, tenantSlug: connection.id === other.id ? 'report-globex' : 'report-acme' })),
      { runs: 2 },
    );
    const [a, s, g] = reports;
    expect(a).toMatchObject({ connection: 'report-acme/okta', usersSynced: 2, status: 'failed', health: 'stalled', lastPushAt: null });
    // The dry run is the latest run shown, but not the last sync.
    expect(a!.recentRuns.map((r) => [r.mode, r.status])).toEqual([
      ['dry-run', 'succeeded'],
      ['delta', 'failed'],
    ]);
    expect(new Date(a!.lastSyncAt!).getTime()).toBeCloseTo(hoursAgo(2.9).getTime(), -4);
    expect(new Date(a!.lastSuccessAt!).getTime()).toBeCloseTo(hoursAgo(4.9).getTime(), -4);
    expect(s).toMatchObject({ connection: 'report-acme/scim', usersSynced: 1, status: 'never', recentRuns: [] });
    expect(new Date(s!.lastPushAt!).getTime()).toBeCloseTo(hoursAgo(4).getTime(), -4);
    expect(g).toMatchObject({ connection: 'report-globex/okta', usersSynced: 1, status: 'running' });
    expect(g!.recentRuns.map((r) => r.status)).toEqual(['running', 'succeeded']);
  });

  it('gives one connection the same report alone as in a batch', async () => {
    const now = new Date();
    const alone = await connectionReport(store.db, okta, 'report-acme', { runs: 5, now });
    const [batched] = await connectionReports(store.db, [{ connection: okta, tenantSlug: 'report-acme' }, { connection: other, tenantSlug: 'report-globex' }], {
      runs: 5,
      now,
    });
    expect(alone).toEqual(batched);
    expect(alone.recentRuns).toHaveLength(3);
  });

  it('answers an empty list without asking the database', async () => {
    expect(await connectionReports(store.db, [], { runs: 3 })).toEqual([]);
  });
});
