/**
 * An IdP returning a userName past the index row limit, end to end through
 * the Entra fake into a real store: the run does not fail at apply (it did:
 * one oversize insert rolled the whole plan back, and a leaver in the same
 * run stayed active); that user is held back with a warning and the leaver
 * is deactivated.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { queryRows } from '../../../src/core/store/index.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { entraAdapter } from '../providers/contract/adapters.js';
import { startScenario, type ScenarioIdp } from '../providers/contract/scenario.js';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;
let idp: ScenarioIdp;

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  idp = await startScenario(entraAdapter);
  await op(ctx, 'tenant.create', { slug: 'acme' });
  await op(ctx, 'connection.create', { tenant: 'acme', name: 'idp', kind: idp.kind, settings: idp.settings });
  // One leaver of two users would be held as a mass deactivation otherwise.
  await op(ctx, 'connection.update', { connection: 'acme/idp', deletionThreshold: '100%' });
});
afterAll(async () => {
  await idp?.close();
  await store?.close();
});

const active = async (externalId: string) =>
  (await queryRows<{ active: boolean }>(store.db, sql`select active from users where external_id = ${externalId}`))[0]?.active;

it('holds back a user whose userName is too long to store, and still deactivates a leaver in the same run', async () => {
  const leaver = idp.addUser('leaver');
  expect((await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/idp' })).status).toBe('succeeded');
  expect(await active(leaver)).toBe(true);

  // Random, so that no compression brings it under the index row limit.
  const oversize = idp.addUser(randomBytes(1600).toString('hex'));
  const newcomer = idp.addUser('newcomer');
  idp.disable(leaver);
  const report = await op<SyncReport & { warnings?: string[] }>(ctx, 'sync.run', { connection: 'acme/idp' });
  expect(report.status, JSON.stringify(report).slice(0, 400)).not.toBe('failed');
  expect(await active(leaver)).toBe(false);
  expect(await active(newcomer)).toBe(true);
  expect(await active(oversize)).toBeUndefined();
  expect(JSON.stringify(report)).toMatch(/1 user\(s\) held back/);
});
