/**
 * The provisioning log over /api/v1 and the CLI's operations, against the
 * fake Entra (read through the real SDK) into a real store: a run's changes
 * with every outcome (created, updated, deactivated, skipped by scope, held
 * by a userName another connection holds), a held run's waiting plan and its
 * rejection, refused SCIM writes as failed outcomes, a user's history across
 * a sync, a SCIM PATCH and a login, paging, filters and tenant isolation.
 * The steps share one directory and run in order.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { entraAdapter } from '../../pull/providers/contract/adapters.js';
import { startScenario, type ScenarioIdp } from '../../pull/providers/contract/scenario.js';
import { apiHarness, expectDocumented, type ApiHarness } from './support.js';

let h: ApiHarness;
let idp: ScenarioIdp;
let entra: string;
let acmeKey: string;
let globexKey: string;
let loginKey: string;
let hrToken: string;
let entraToken: string;
const ids: Record<string, string> = {};
let domain: string;
let runId: string;
let heldRunId: string;

const count = async (table: string) => (await queryRows<{ n: number }>(h.store.db, sql`select count(*)::int as n from ${sql.raw(table)}`))[0]!.n;
const sync = async (key = acmeKey) => {
  const res = await h.send('POST', `/api/v1/connections/${entra}/sync`, key, {});
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const changes = (run: string, query = '', key = acmeKey) => h.send('GET', `/api/v1/connections/${entra}/runs/${run}/changes${query}`, key);
const scim = (method: 'POST' | 'PATCH' | 'PUT', url: string, token: string, body: unknown) =>
  h.app.inject({ method, url: `/scim/v2${url}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, payload: JSON.stringify(body) });
const scimUser = (userName: string) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true });
const userIdOf = async (userName: string) => (await queryRows<{ id: string }>(h.store.db, sql`select id::text from users where lower(user_name) = lower(${userName})`))[0]!.id;

beforeAll(async () => {
  h = await apiHarness();
  idp = await startScenario(entraAdapter);
  domain = idp.fake!.domain;
  ids.staff = idp.addGroup('staff');
  for (const n of ['ann', 'bo', 'cy', 'dee']) {
    ids[n] = idp.addUser(n);
    idp.addMember(ids.staff, ids[n]!);
  }
  await op(h.ctx, 'tenant.create', { slug: 'acme' });
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  const settings = { ...idp.settings, scope: { groups: ['staff'], excludeEmailPatterns: ['zed@*'] } };
  entra = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'entra', kind: 'entra', settings })).id;
  await op(h.ctx, 'connection.update', { connection: 'acme/entra', scimPush: true, deletionThreshold: 10 });
  await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'hr', kind: 'scim' });
  hrToken = (await op(h.ctx, 'token.create', { connection: 'acme/hr', name: 'hr' })).token;
  entraToken = (await op(h.ctx, 'token.create', { connection: 'acme/entra', name: 'entra push' })).token;
  acmeKey = (await h.key('admin', 'acme')).key;
  globexKey = (await h.key('admin', 'globex')).key;
  loginKey = (await h.key('login-sync', 'acme')).key;
});
let idpClosed = false;
afterAll(async () => {
  if (!idpClosed) await idp?.close();
  await h?.close();
});

describe('a run\'s changes', () => {
  it('lists a first run\'s creates, one object each, with the run\'s source', async () => {
    const first = await sync();
    expect(first.status).toBe('succeeded');
    const res = await changes(first.runId, '?kind=user');
    expect(res.statusCode).toBe(200);
    expectDocumented('RunChanges', res.json());
    const body = res.json();
    expect(body.changes).toHaveLength(4);
    for (const c of body.changes) expect(c).toMatchObject({ kind: 'user', outcome: 'created', action: 'user.created', source: { type: 'sync', runId: first.runId } });
    expect(body.changes.map((c: { entity: { userName: string } }) => c.entity.userName).sort()).toEqual(['ann', 'bo', 'cy', 'dee'].map((n) => expect.stringContaining(n)));
  });

  it('records every outcome of one run: created, updated, deactivated, skipped by scope, held by a userName conflict', async () => {
    // A user of another connection already holds the name the IdP's new user "fay" will ask for.
    const annName = (await queryRows<{ user_name: string }>(h.store.db, sql`select user_name from users where external_id = ${ids.ann!}`))[0]!.user_name;
    const fayName = annName.replace(/^ann/, 'fay');
    expect((await scim('POST', '/Users', hrToken, scimUser(fayName))).statusCode).toBe(201);
    ids.gus = idp.addUser('gus');
    idp.addMember(ids.staff!, ids.gus);
    ids.fay = idp.addUser('fay');
    idp.addMember(ids.staff!, ids.fay);
    ids.out = idp.addUser('out'); // in no scope group
    ids.zed = idp.addUser('zed'); // in scope, but its email matches the excluded pattern
    idp.addMember(ids.staff!, ids.zed);
    idp.rename(ids.ann!, 'Ann Renamed');
    idp.disable(ids.bo!);
    const report = await sync();
    expect(report.status).toBe('partial');
    runId = report.runId;

    const all = (await changes(runId, '?limit=500')).json();
    expectDocumented('RunChanges', all);
    const by = (outcome: string) => all.changes.filter((c: { outcome: string }) => c.outcome === outcome);
    expect(by('created')).toEqual([expect.objectContaining({ kind: 'user', entity: expect.objectContaining({ userName: expect.stringContaining('gus') }) })]);
    expect(by('updated')).toEqual([
      expect.objectContaining({ kind: 'user', entity: expect.objectContaining({ id: await userIdOf(annName) }), before: expect.objectContaining({ display_name: 'ann' }), after: expect.objectContaining({ display_name: 'Ann Renamed' }) }),
    ]);
    // Only the fields that moved: the userName did not.
    expect(by('updated')[0].after).not.toHaveProperty('user_name');
    expect(by('deactivated')).toEqual([expect.objectContaining({ entity: expect.objectContaining({ userName: expect.stringContaining('bo') }), reason: 'disabled in the IdP' })]);
    expect(by('added').length).toBeGreaterThan(0);
    expect(by('held')).toEqual([
      expect.objectContaining({ kind: 'user', action: 'user.create', entity: expect.objectContaining({ externalId: ids.fay, userName: fayName }), reason: expect.stringContaining('held by a user of acme/hr') }),
    ]);
    expect(all.skipped).toEqual({
      byReason: { 'not in a scope group': 1, 'email matches excluded pattern zed@*': 1 },
      sample: expect.arrayContaining([
        expect.objectContaining({ externalId: ids.out, reason: 'not in a scope group' }),
        expect.objectContaining({ externalId: ids.zed, reason: 'email matches excluded pattern zed@*' }),
      ]),
    });
    expect(all.nextCursor).toBeNull();
  });

  it('pages with a cursor across applied changes and outcomes, in one stable order', async () => {
    const whole = (await changes(runId, '?limit=500')).json().changes;
    const paged: unknown[] = [];
    let cursor: string | null = null;
    do {
      const res = await changes(runId, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().changes.length).toBeLessThanOrEqual(2);
      paged.push(...res.json().changes);
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(paged).toEqual(whole);
    expect(whole.length).toBeGreaterThan(4);
  });

  it('filters by kind, outcome and user (id or userName, a held user included)', async () => {
    const held = (await changes(runId, '?outcome=held')).json().changes;
    expect(held).toHaveLength(1);
    const bo = await userIdOf(`bo@${domain}`).catch(() => undefined);
    const boId = bo ?? (await queryRows<{ id: string }>(h.store.db, sql`select id::text from users where external_id = ${ids.bo!}`))[0]!.id;
    const ofBo = (await changes(runId, `?user=${boId}`)).json().changes;
    expect(ofBo.map((c: { action: string }) => c.action)).toContain('user.deactivated');
    expect(ofBo.every((c: { entity: { id: string } }) => c.entity.id === boId)).toBe(true);
    const fay = (await changes(runId, `?user=${encodeURIComponent(held[0].entity.userName)}`)).json().changes;
    expect(fay).toEqual([expect.objectContaining({ outcome: 'held' })]);
    const memberships = (await changes(runId, '?kind=membership&outcome=added')).json().changes;
    expect(memberships.length).toBeGreaterThan(0);
    for (const m of memberships) expect(m).toMatchObject({ kind: 'membership', entity: { type: 'membership', group: { displayName: 'staff' } } });
    expect((await changes(runId, '?outcome=bogus')).statusCode).toBe(400);
    expect((await changes(runId, '?cursor=not-a-cursor')).statusCode).toBe(400);
  });

  it('keeps another tenant\'s key out of the run, and a run of another connection out of the path', async () => {
    expect((await changes(runId, '', globexKey)).statusCode).toBe(404);
    const hr = (await op(h.ctx, 'connection.show', { connection: 'acme/hr' })).id;
    expect((await h.send('GET', `/api/v1/connections/${hr}/runs/${runId}/changes`, acmeKey)).statusCode).toBe(404);
    expect((await changes('not-a-uuid')).statusCode).toBe(404);
  });
});

describe('a no-change run', () => {
  it('writes no directory row and no audit event, and still says whom the scope left out', async () => {
    const before = { users: await count('users'), groups: await count('groups'), memberships: await count('group_memberships'), audit: await count('audit_events') };
    const outcomes = await count('change_outcomes');
    const report = await sync();
    // fay is still held (its name is still taken): one outcome row, nothing in the directory.
    expect(report.counts.rowsWritten).toBe(0);
    expect({ users: await count('users'), groups: await count('groups'), memberships: await count('group_memberships'), audit: await count('audit_events') }).toEqual(before);
    expect(await count('change_outcomes')).toBe(outcomes + 1);
    const body = (await changes(report.runId)).json();
    expect(body.skipped.byReason).toEqual({ 'not in a scope group': 1, 'email matches excluded pattern zed@*': 1 });
  });
});

describe('held runs: the plan they wait with, and rejection', () => {
  it('lists whom a held run would deactivate, by name, with outcome held', async () => {
    expect((await h.send('PATCH', `/api/v1/connections/${entra}`, acmeKey, { deletionThreshold: 1 })).statusCode).toBe(200);
    idp.disable(ids.cy!);
    idp.disable(ids.dee!);
    const report = await sync();
    expect(report.status).toBe('held');
    heldRunId = report.runId;
    const body = (await changes(heldRunId, '?outcome=held&kind=user')).json();
    expectDocumented('RunChanges', body);
    expect(body.run).toMatchObject({ id: heldRunId, status: 'held', held: { 'user.deactivate': 2 } });
    const waiting = body.changes.filter((c: { action: string }) => c.action === 'user.deactivate');
    expect(waiting.map((c: { entity: { userName: string } }) => c.entity.userName).sort()).toEqual([expect.stringContaining('cy'), expect.stringContaining('dee')]);
    for (const c of waiting) expect(c).toMatchObject({ outcome: 'held', reason: expect.stringContaining('held') });
  });

  it('keeps another tenant from rejecting it; rejecting applies nothing, audits the admin, and approving it after is a conflict', async () => {
    expect((await h.send('POST', `/api/v1/connections/${entra}/runs/${heldRunId}/reject`, globexKey)).statusCode).toBe(404);
    const res = await h.send('POST', `/api/v1/connections/${entra}/runs/${heldRunId}/reject`, acmeKey);
    expect(res.statusCode).toBe(200);
    expectDocumented('SyncReport', res.json());
    expect(res.json()).toMatchObject({ runId: heldRunId, status: 'rejected', approveCommand: null });
    expect((await queryRows<{ n: number }>(h.store.db, sql`select count(*)::int as n from users where active and external_id in (${ids.cy!}, ${ids.dee!})`))[0]!.n).toBe(2);
    const audit = await queryRows<{ actor_type: string; run_id: string }>(h.store.db, sql`select actor_type, run_id::text from audit_events where action = 'run.rejected'`);
    expect(audit).toEqual([{ actor_type: 'admin', run_id: heldRunId }]);
    expect((await h.send('POST', `/api/v1/connections/${entra}/runs/${heldRunId}/approve`, acmeKey)).statusCode).toBe(409);
    expect((await h.send('POST', `/api/v1/connections/${entra}/runs/${heldRunId}/reject`, acmeKey)).statusCode).toBe(409);
  });

  it('plans afresh on the next run: the same removals are held again, under a new run', async () => {
    const next = await sync();
    expect(next).toMatchObject({ status: 'held', held: { 'user.deactivate': 2 } });
    expect(next.runId).not.toBe(heldRunId);
  });
});

describe('refused SCIM writes and a user\'s history', () => {
  let hal: string;

  it('records a refused SCIM write as a failed outcome with the SCIM error and the request id', async () => {
    const annName = (await queryRows<{ user_name: string }>(h.store.db, sql`select user_name from users where external_id = ${ids.ann!}`))[0]!.user_name;
    const created = await scim('POST', '/Users', hrToken, scimUser(`hal@${domain}`));
    hal = created.json().id;
    // Taking ann's userName: 409 uniqueness, on a user Roster knows.
    const refused = await scim('PATCH', `/Users/${hal}`, hrToken, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'userName', value: annName }] });
    expect(refused.statusCode).toBe(409);
    const rows = await queryRows<{ outcome: string; source: string; entity_id: string; request_id: string | null; reason: string }>(
      h.store.db,
      sql`select outcome, source, entity_id, request_id, reason from change_outcomes where source = 'scim'`,
    );
    expect(rows).toEqual([expect.objectContaining({ outcome: 'failed', source: 'scim', entity_id: hal, request_id: expect.stringMatching(/^[0-9a-f-]{36}$/), reason: expect.stringContaining('409 uniqueness') })]);
  });

  it('shows a user\'s history across a sync, a SCIM PATCH, a login and a refused write, newest first, paged', async () => {
    const annId = (await queryRows<{ id: string }>(h.store.db, sql`select id::text from users where external_id = ${ids.ann!}`))[0]!.id;
    const patched = await scim('PATCH', `/Users/${annId}`, entraToken, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Engineer' }] });
    expect(patched.statusCode, patched.body).toBe(200);
    const taken = await scim('PATCH', `/Users/${annId}`, entraToken, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'userName', value: `hal@${domain}` }] });
    expect(taken.statusCode).toBe(409);
    idp.rename(ids.ann!, 'Ann Live');
    const annName = (await queryRows<{ user_name: string }>(h.store.db, sql`select user_name from users where id = ${annId}::uuid`))[0]!.user_name;
    const login = await h.send('POST', '/api/v1/login-sync', loginKey, { tenant: 'acme', userName: annName });
    expect(login.json()).toMatchObject({ source: 'live', allowed: true });

    const res = await h.send('GET', `/api/v1/tenants/acme/users/${annId}/history`, acmeKey);
    expect(res.statusCode).toBe(200);
    expectDocumented('UserHistory', res.json());
    const history = res.json().history as Array<{ source: { type: string; requestId: string | null }; action: string; outcome: string; at: string; reason: string | null }>;
    const sources = history.map((e) => `${e.source.type} ${e.action}`);
    expect(sources[0]).toBe('login user.updated');
    expect(sources).toEqual(expect.arrayContaining(['scim user.updated', 'scim user.patch', 'sync user.updated', 'sync user.created', 'sync membership.added']));
    expect(history.find((e) => e.action === 'user.patch')).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('409 uniqueness') });
    // The SCIM write and the login each name their own request.
    const requests = history.filter((e) => e.source.type !== 'sync').map((e) => e.source.requestId);
    expect(requests.every((r) => typeof r === 'string')).toBe(true);
    expect(new Set(requests).size).toBe(requests.length);
    const times = history.map((e) => new Date(e.at).getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const paged: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.send('GET', `/api/v1/tenants/acme/users/${annId}/history?limit=2${cursor ? `&cursor=${cursor}` : ''}`, acmeKey);
      paged.push(...page.json().history);
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(paged).toEqual(history);
    expect((await h.send('GET', `/api/v1/tenants/acme/users/${annId}/history`, globexKey)).statusCode).toBe(404);
    expect((await h.send('GET', `/api/v1/tenants/globex/users/${annId}/history`, globexKey)).statusCode).toBe(404);
  });

  it('searches the audit log by action, user and actor, in the tenant only', async () => {
    const annId = (await queryRows<{ id: string }>(h.store.db, sql`select id::text from users where external_id = ${ids.ann!}`))[0]!.id;
    const res = await h.send('GET', `/api/v1/tenants/acme/audit?action=user.*&user=${annId}&actor=login`, acmeKey);
    expect(res.statusCode).toBe(200);
    expectDocumented('AuditPage', res.json());
    expect(res.json().events).toEqual([expect.objectContaining({ action: 'user.updated', source: expect.objectContaining({ type: 'login' }) })]);
    const rejected = await h.send('GET', '/api/v1/tenants/acme/audit?action=run.rejected', acmeKey);
    expect(rejected.json().events).toEqual([expect.objectContaining({ entity: expect.objectContaining({ id: heldRunId }) })]);
    const paged = await h.send('GET', '/api/v1/tenants/acme/audit?limit=1', acmeKey);
    expect(paged.json().events).toHaveLength(1);
    const second = await h.send('GET', `/api/v1/tenants/acme/audit?limit=1&cursor=${paged.json().nextCursor}`, acmeKey);
    expect(second.json().events[0].at <= paged.json().events[0].at).toBe(true);
    expect(second.json().events[0]).not.toEqual(paged.json().events[0]);
    expect((await h.send('GET', '/api/v1/tenants/acme/audit', globexKey)).statusCode).toBe(404);
    const globex = (await h.send('GET', '/api/v1/tenants/globex/audit', globexKey)).json().events;
    expect(globex.map((e: { action: string }) => e.action).sort()).toEqual(['api_key.created', 'tenant.created']);
  });

  it('records a login whose live fetch failed as a failed outcome of the user it was for', async () => {
    const annId = (await queryRows<{ id: string }>(h.store.db, sql`select id::text from users where external_id = ${ids.ann!}`))[0]!.id;
    const annName = (await queryRows<{ user_name: string }>(h.store.db, sql`select user_name from users where id = ${annId}::uuid`))[0]!.user_name;
    await idp.close();
    idpClosed = true;
    const login = await h.send('POST', '/api/v1/login-sync', loginKey, { tenant: 'acme', userName: annName });
    expect(login.json()).toMatchObject({ source: 'stored', reason: expect.stringContaining('could not be asked') });
    const latest = (await h.send('GET', `/api/v1/tenants/acme/users/${annId}/history?limit=1`, acmeKey)).json().history[0];
    expect(latest).toMatchObject({ outcome: 'failed', action: 'login.sync', entity: { id: annId }, source: { type: 'login', requestId: expect.any(String) }, reason: expect.stringContaining('could not be asked') });
  });
});
