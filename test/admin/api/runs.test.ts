/**
 * Run now, approve a held run, and the run list over /api/v1, against the
 * fake Entra (Graph served on loopback, read through the real SDK) into a
 * real store. The steps share one directory and run in order.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease, queryRows, releaseLease } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { entraAdapter } from '../../pull/providers/contract/adapters.js';
import { startScenario, type ScenarioIdp } from '../../pull/providers/contract/scenario.js';
import { ADMIN_TOKEN, apiHarness, expectDocumented, type ApiHarness } from './support.js';

let h: ApiHarness;
let idp: ScenarioIdp;
let entra: string;
let acmeKey: string;
let globexKey: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await apiHarness();
  idp = await startScenario(entraAdapter);
  for (const n of ['ann', 'bo', 'cy', 'dee']) ids[n] = idp.addUser(n);
  await op(h.ctx, 'tenant.create', { slug: 'acme' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  entra = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: idp.settings })).id;
  acmeKey = (await h.key('admin', 'acme')).key;
  globexKey = (await h.key('admin', 'globex')).key;
});
afterAll(async () => {
  await idp?.close();
  await h?.close();
});

const sync = (body: unknown, key = acmeKey) => h.send('POST', `/api/v1/connections/${entra}/sync`, key, body);
const activeUsers = async () => (await queryRows<{ n: number }>(h.store.db, sql`select count(*)::int as n from users where active`))[0]!.n;

describe('POST /connections/{id}/sync', () => {
  it('a dry run answers with the plan\'s report and applies nothing', async () => {
    const res = await sync({ dryRun: true });
    expect(res.statusCode).toBe(200);
    expectDocumented('SyncReport', res.json());
    expect(res.json()).toMatchObject({ mode: 'dry-run', status: 'succeeded', trigger: 'manual', connection: 'acme/entra', counts: { usersCreated: 4 } });
    expect(await activeUsers()).toBe(0);
  });

  it('runs a sync now and answers with its report', async () => {
    const res = await sync({});
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'succeeded', trigger: 'manual', usersSynced: 4, counts: { usersCreated: 4 } });
    expect(res.json().apiRequests).toBeGreaterThan(0);
    expect(await activeUsers()).toBe(4);
    const full = await sync({ full: true }, ADMIN_TOKEN);
    expect(full.json()).toMatchObject({ mode: 'full', status: 'succeeded', counts: { usersCreated: 0 } });
  });

  it('answers 409 while another sync of the connection holds its lease', async () => {
    expect(await acquireLease(h.store.db, entra, 'another-replica', 60_000)).toBe(true);
    try {
      const res = await sync({});
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'conflict', message: expect.stringContaining('already running') });
    } finally {
      await releaseLease(h.store.db, entra, 'another-replica');
    }
  });

  it('refuses a bad body naming the field (approving goes through its own route)', async () => {
    for (const [body, field] of [[{ full: 'yes' }, 'full'], [{ approve: 'x' }, 'approve'], [{ dryRun: 1 }, 'dryRun']] as const) {
      const res = await sync(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message).toContain(`"${field}"`);
    }
  });

  it('does not run another tenant\'s connection', async () => {
    const before = (await queryRows<{ n: number }>(h.store.db, sql`select count(*)::int as n from sync_runs`))[0]!.n;
    expect((await sync({}, globexKey)).statusCode).toBe(404);
    expect((await queryRows<{ n: number }>(h.store.db, sql`select count(*)::int as n from sync_runs`))[0]!.n).toBe(before);
  });
});

describe('held runs and approval', () => {
  let heldRun: string;

  it('holds a plan over the deletion threshold set through the API', async () => {
    expect((await h.send('PATCH', `/api/v1/connections/${entra}`, acmeKey, { deletionThreshold: 1 })).statusCode).toBe(200);
    idp.disable(ids.ann!);
    idp.disable(ids.bo!);
    const res = await sync({});
    expect(res.json()).toMatchObject({ status: 'held', held: { 'user.deactivate': 2 } });
    heldRun = res.json().runId;
    expect(await activeUsers()).toBe(4);
  });

  it('keeps another tenant\'s key from approving it, and answers 404 for a run that is not this connection\'s', async () => {
    expect((await h.send('POST', `/api/v1/connections/${entra}/runs/${heldRun}/approve`, globexKey)).statusCode).toBe(404);
    const globexScim = (await op(h.ctx, 'connection.create', { tenant: 'globex', name: 'scim', kind: 'scim' })).id;
    expect((await h.send('POST', `/api/v1/connections/${globexScim}/runs/${heldRun}/approve`, globexKey)).statusCode).toBe(404);
    for (const run of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect((await h.send('POST', `/api/v1/connections/${entra}/runs/${run}/approve`, acmeKey)).statusCode).toBe(404);
    }
    expect(await activeUsers()).toBe(4);
  });

  it('applies the held plan on approval, and answers 409 to a second approval', async () => {
    const res = await h.send('POST', `/api/v1/connections/${entra}/runs/${heldRun}/approve`, acmeKey);
    expect(res.statusCode).toBe(200);
    expectDocumented('SyncReport', res.json());
    expect(res.json()).toMatchObject({ status: 'succeeded', trigger: 'approval', counts: { usersDeactivated: 2 } });
    expect(await activeUsers()).toBe(2);
    const again = await h.send('POST', `/api/v1/connections/${entra}/runs/${heldRun}/approve`, acmeKey);
    expect(again.statusCode).toBe(409);
  });
});

describe('GET /connections/{id}/runs', () => {
  it('lists recent runs newest first with counts, durations and errors', async () => {
    const res = await h.send('GET', `/api/v1/connections/${entra}/runs`, acmeKey);
    expect(res.statusCode).toBe(200);
    expectDocumented('RunList', res.json());
    const runs = res.json().runs as Array<{ trigger: string; mode: string; status: string; durationMs: number; counts: Record<string, number> }>;
    expect(runs.map((r) => `${r.trigger}:${r.mode}:${r.status}`)).toEqual([
      'approval:delta:succeeded',
      'manual:delta:held',
      'manual:full:succeeded',
      // The first run has no delta cursor yet: it reads everything.
      'manual:full:succeeded',
      'manual:dry-run:succeeded',
    ]);
    expect(runs[3]!.counts.usersCreated).toBe(4);
    expect(runs.every((r) => Number.isInteger(r.durationMs) && r.durationMs >= 0)).toBe(true);
    const two = (await h.send('GET', `/api/v1/connections/${entra}/runs?limit=2`, acmeKey)).json().runs;
    expect(two).toHaveLength(2);
  });

  it('refuses a bad limit naming it, and another tenant\'s key', async () => {
    for (const limit of ['0', '101', 'ten']) {
      const res = await h.send('GET', `/api/v1/connections/${entra}/runs?limit=${limit}`, acmeKey);
      expect(res.statusCode, limit).toBe(400);
      expect(res.json().error.message).toContain('"limit"');
    }
    expect((await h.send('GET', `/api/v1/connections/${entra}/runs`, globexKey)).statusCode).toBe(404);
  });
});
