/**
 * RowLoader: the loads made in one turn of the event loop are one fetch per
 * database handle, whatever their scopes (each scope's keys asked apart in
 * it), each load gets the row the fetch gave for its key in its own scope (or undefined), and a
 * failed fetch fails every load that waited on it. The fetch is a plain
 * function here, so the batching itself is what is observed.
 */
import { PgTransaction } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { RowLoader } from '../../../../src/push/scim/service/loader.js';
import type { Db } from '../../../../src/core/store/index.js';

const dbA = {} as Db;
const dbB = {} as Db;
const acme = { tenantId: 't-acme', connectionId: 'c-1' };
const globex = { tenantId: 't-globex', connectionId: 'c-2' };

function recordingLoader(fail = false) {
  const calls: Array<{ db: Db; asks: Array<{ tenant: string; ids: string[] }> }> = [];
  const loader = new RowLoader<{ id: string; tenant: string }>(async (db, asks) => {
    calls.push({ db, asks: asks.map((a) => ({ tenant: a.scope.tenantId, ids: a.keys })) });
    if (fail) throw new Error('database down');
    return asks.map((a) => new Map(a.keys.filter((id) => !id.startsWith('missing')).map((id) => [id, { id, tenant: a.scope.tenantId }])));
  });
  return { loader, calls };
}

describe('RowLoader', () => {
  it('asks once for the loads of one turn, each id once, and answers each load', async () => {
    const { loader, calls } = recordingLoader();
    const rows = await Promise.all([loader.load(dbA, acme, 'u1'), loader.load(dbA, acme, 'u2'), loader.load(dbA, acme, 'u1'), loader.load(dbA, acme, 'missing-1')]);
    expect(calls).toEqual([{ db: dbA, asks: [{ tenant: 't-acme', ids: ['u1', 'u2', 'missing-1'] }] }]);
    expect(rows).toEqual([{ id: 'u1', tenant: 't-acme' }, { id: 'u2', tenant: 't-acme' }, { id: 'u1', tenant: 't-acme' }, undefined]);
  });

  it('asks for the scopes of one handle in one fetch, each scope with its own keys, and keeps handles apart', async () => {
    const { loader, calls } = recordingLoader();
    const rows = await Promise.all([loader.load(dbA, acme, 'u1'), loader.load(dbA, globex, 'u1'), loader.load(dbB, acme, 'u1'), loader.load(dbA, globex, 'u2')]);
    expect(calls.map((c) => [c.db === dbA ? 'A' : 'B', c.asks])).toEqual([
      [
        'A',
        [
          { tenant: 't-acme', ids: ['u1'] },
          { tenant: 't-globex', ids: ['u1', 'u2'] },
        ],
      ],
      ['B', [{ tenant: 't-acme', ids: ['u1'] }]],
    ]);
    // The same key in two scopes is two rows: each load gets its own scope's.
    expect(rows.map((r) => r?.tenant)).toEqual(['t-acme', 't-globex', 't-acme', 't-globex']);
  });

  it('starts a new batch in the next turn', async () => {
    const { loader, calls } = recordingLoader();
    await loader.load(dbA, acme, 'u1');
    await loader.load(dbA, acme, 'u2');
    expect(calls.map((c) => c.asks.map((a) => a.ids))).toEqual([[['u1']], [['u2']]]);
  });

  it('asks for a transaction handle’s loads at the end of the step that made them, before the next turn', async () => {
    const { loader, calls } = recordingLoader();
    const tx = Object.create(PgTransaction.prototype) as Db;
    let nextTurn = false;
    setImmediate(() => (nextTurn = true));
    const loads = [loader.load(tx, acme, 'u1'), loader.load(tx, acme, 'u2')];
    await Promise.resolve();
    expect(calls.map((c) => c.asks.map((a) => a.ids))).toEqual([[['u1', 'u2']]]);
    expect(nextTurn).toBe(false);
    expect((await Promise.all(loads)).map((r) => r?.id)).toEqual(['u1', 'u2']);
  });

  it('fails every load of a batch whose fetch failed', async () => {
    const { loader } = recordingLoader(true);
    const settled = await Promise.allSettled([loader.load(dbA, acme, 'u1'), loader.load(dbA, acme, 'u2')]);
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'ok'))).toEqual(['database down', 'database down']);
  });
});
