/**
 * POST /api/v1/connections/{id}/provision against the fake Entra (Graph on
 * loopback, read through the real SDK): the answer is what the OpenAPI
 * document says, users are named by userName, email or externalId, a user
 * the IdP does not have is reported (and left alone), a running sync is
 * never raced, a SCIM connection has nothing to fetch, and keys reach only
 * their own tenant. The steps share one directory and run in order.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease, queryRows, releaseLease } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { entraAdapter } from '../../pull/providers/contract/adapters.js';
import { startScenario, type ScenarioIdp } from '../../pull/providers/contract/scenario.js';
import { apiHarness, expectDocumented, type ApiHarness } from './support.js';

let h: ApiHarness;
let idp: ScenarioIdp;
let entra: string;
let scim: string;
let acmeKey: string;
let globexKey: string;
const ids: Record<string, string> = {};
const login = (name: string) => `${name}@${idp.fake!.domain}`;

beforeAll(async () => {
  h = await apiHarness();
  idp = await startScenario(entraAdapter);
  for (const n of ['ann', 'bo', 'cy']) ids[n] = idp.addUser(n);
  ids.admins = idp.addGroup('Admins');
  idp.addMember(ids.admins, ids.ann!);
  await op(h.ctx, 'tenant.create', { slug: 'acme' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  entra = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings: idp.settings })).id;
  scim = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'scim', kind: 'scim' })).id;
  await op(h.ctx, 'role.create', { tenant: 'acme', name: 'admin' });
  await op(h.ctx, 'mapping.add', { tenant: 'acme', group: 'Admins', role: 'admin', connection: entra });
  acmeKey = (await h.key('admin', 'acme', 'acme admin')).key;
  globexKey = (await h.key('admin', 'globex')).key;
});
afterAll(async () => {
  await idp?.close();
  await h?.close();
});

const provision = (body: unknown, key = acmeKey, id = entra) => h.send('POST', `/api/v1/connections/${id}/provision`, key, body);
const count = async (table: string) => (await queryRows<{ n: number }>(h.store.db, sql`select count(*)::int as n from ${sql.raw(table)}`))[0]!.n;

describe('POST /connections/{id}/provision', () => {
  it('a dry run by userName answers with every step and writes nothing', async () => {
    const audit = await count('audit_events');
    const res = await provision({ userName: login('ann'), dryRun: true });
    expect(res.statusCode).toBe(200);
    expectDocumented('ProvisionResult', res.json());
    const body = res.json();
    expect(body).toMatchObject({ dryRun: true, outcome: 'created', user: null });
    expect(body.steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`)).toEqual(['fetch:ok', 'match:ok', 'scope:ok', 'attributes:ok', 'groups:ok', 'apply:skipped']);
    expect(body.steps[4].detail).toMatchObject({ add: ['Admins'], rolesGranted: ['admin'] });
    expect(await count('users')).toBe(0);
    expect(await count('audit_events')).toBe(audit);
  });

  it('provisions by email, in the key\'s name, and answers with the stored user, their groups and roles', async () => {
    const audit = await count('audit_events');
    const res = await provision({ email: login('ann') });
    expect(res.statusCode).toBe(200);
    expectDocumented('ProvisionResult', res.json());
    expect(res.json()).toMatchObject({ dryRun: false, outcome: 'created', user: { userName: login('ann'), active: true, groups: ['Admins'], roles: [{ name: 'admin', source: 'idp' }] } });
    expect(res.json().steps[5]).toMatchObject({ step: 'apply', status: 'ok', detail: { auditEvents: 4 } });
    const actors = await queryRows<{ actor: string }>(h.store.db, sql`select distinct actor from (select actor_type || ':' || actor_id as actor from audit_events order by id offset ${audit}) x`);
    expect(actors).toEqual([{ actor: 'admin:api-key:acme admin' }]);
    // The provisioning log names the provision: every event carries its request id.
    const requests = await queryRows<{ id: string | null }>(h.store.db, sql`select distinct request_id as id from (select request_id from audit_events order by id offset ${audit}) x`);
    expect(requests).toEqual([{ id: res.json().steps[5].detail.requestId }]);
    expect(requests[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('by externalId: a user the store holds as the IdP has them is no change', async () => {
    const res = await provision({ externalId: ids.ann });
    expect(res.json()).toMatchObject({ outcome: 'no-change' });
    expect(res.json().steps[5]).toMatchObject({ status: 'skipped', summary: 'nothing to apply: the store already holds this' });
  });

  it('a user the IdP does not have is not-found; a stored one is left alone, with what a full sync would do', async () => {
    const unknown = await provision({ externalId: '00000000-0000-4000-8000-00000000dead' });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toMatchObject({ outcome: 'not-found', user: null });
    expect(unknown.json().steps[0]).toMatchObject({ step: 'fetch', status: 'failed', summary: 'not found in the IdP' });
    expect(unknown.json().steps.slice(1).map((s: { status: string }) => s.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'skipped']);

    await provision({ externalId: ids.bo });
    idp.hardDelete(ids.bo!);
    const gone = await provision({ userName: login('bo') });
    expect(gone.json()).toMatchObject({ outcome: 'not-found', user: { userName: login('bo'), active: true } });
    expect(gone.json().steps[1].summary).toMatch(/the next full sync would deactivate them .*; nothing is done now/);
  });

  it('never races a running sync: 409 while the connection\'s lease is held, though a dry run is answered', async () => {
    expect(await acquireLease(h.store.db, entra, 'another-replica', 60_000)).toBe(true);
    try {
      const res = await provision({ externalId: ids.cy });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.message).toMatch(/a sync of acme\/entra is already running/);
      expect((await provision({ externalId: ids.cy, dryRun: true })).json()).toMatchObject({ outcome: 'created' });
    } finally {
      await releaseLease(h.store.db, entra, 'another-replica');
    }
    expect((await provision({ externalId: ids.cy })).json()).toMatchObject({ outcome: 'created' });
  });

  it('provisions from a disabled connection, as `roster sync` syncs it, and says so', async () => {
    await op(h.ctx, 'connection.update', { connection: entra, enabled: false });
    try {
      idp.rename(ids.cy!, 'Cyrus');
      const res = await provision({ externalId: ids.cy });
      expect(res.json()).toMatchObject({ outcome: 'updated', user: { displayName: expect.stringContaining('Cyrus') } });
      expect(res.json().steps[0].summary).toMatch(/the connection is disabled \(its schedule is paused\), provisioned on demand all the same$/);
    } finally {
      await op(h.ctx, 'connection.update', { connection: entra, enabled: true });
    }
  });

  it('an IdP that refuses the call: the fetch step failed with its reason, and nothing else is done', async () => {
    const broken = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'broken', kind: 'entra', settings: { ...idp.settings, clientSecret: 'not-the-secret' } })).id;
    const res = await provision({ externalId: ids.ann }, acmeKey, broken);
    expect(res.statusCode).toBe(200);
    expectDocumented('ProvisionResult', res.json());
    expect(res.json()).toMatchObject({ outcome: 'skipped', user: null });
    expect(res.json().steps[0]).toMatchObject({ step: 'fetch', status: 'failed', summary: expect.stringMatching(/^the IdP could not be asked: /) });
    expect(res.json().steps.slice(1).every((s: { status: string }) => s.status === 'skipped')).toBe(true);
  });

  it('refuses a SCIM connection: there is nothing to fetch', async () => {
    const res = await provision({ userName: 'x' }, acmeKey, scim);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('scim connections are pushed by the IdP; nothing to fetch');
  });

  it('wants exactly one identifier', async () => {
    for (const body of [{}, { userName: login('ann'), email: login('ann') }, { dryRun: true }]) {
      const res = await provision(body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(/exactly one of userName, email or externalId/);
    }
    expect((await provision({ userName: login('ann'), unknown: 1 })).statusCode).toBe(400);
  });

  it('is another tenant\'s key\'s 404, and a login-sync key\'s 403', async () => {
    expect((await provision({ externalId: ids.ann }, globexKey)).statusCode).toBe(404);
    const loginKey = (await h.key('login-sync', 'acme')).key;
    expect((await provision({ externalId: ids.ann }, loginKey)).statusCode).toBe(403);
  });
});
