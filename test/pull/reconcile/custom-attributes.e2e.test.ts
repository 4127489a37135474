/**
 * Custom attributes end to end, for each IdP (its fake through its real SDK; LDAP: a real slapd): a
 * connection's attribute expressions read the IdP's own custom attributes
 * (an Entra extension attribute, an Okta profile attribute, a Google custom
 * schema field, a Keycloak attribute...) into named custom attributes, which
 * the admin API, SCIM GET and the event feed return; a change is one update
 * with before/after, and no change writes nothing.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import { readEventFeed } from '../../../src/admin/events/index.js';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { queryRows } from '../../../src/core/store/index.js';
import { buildServer } from '../../../src/server/index.js';
import { operationContext, op } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { SCENARIOS } from '../providers/contract/adapters.js';
import type { ScenarioIdp } from '../providers/contract/scenario.js';

const CUSTOM = 'urn:roster:params:scim:schemas:extension:custom:2.0:User';

// Every IdP whose scenario can set a custom attribute: the HTTP fakes and slapd (Samba's AD DC is left out: one per host, minutes to start).
const SOURCES = SCENARIOS.filter((s) => !s.kind.includes('Samba'));

describe.each(SOURCES.map((s) => [s.kind, s] as const))('custom attributes from %s', (_kind, source) => {
  let store: TestStore;
  let ctx: OperationContext;
  let idp: ScenarioIdp;
  let expr: string;
  let app: FastifyInstance;
  let token: string;
  const conn = 'acme/idp';
  const ids: Record<string, string> = {};
  const sync = () => op<SyncReport>(ctx, 'sync.run', { connection: conn });
  const userOf = async (name: string) => {
    const [row] = await queryRows<{ id: string }>(store.db, sql`select id from users where external_id = ${ids[name]!}`);
    return op<{ id: string; displayName: string | null; customAttributes: Record<string, unknown> | null }>(ctx, 'user.show', { tenant: 'acme', user: row!.id });
  };
  const feedAfter = async (after: number) => (await readEventFeed(store.db, { after, limit: 500, tenantId: null, waitMs: 30_000 })).events;
  const feedEnd = async () => (await readEventFeed(store.db, { after: 0, limit: 100_000, tenantId: null, waitMs: 30_000 })).next;

  beforeAll(async () => {
    store = await createTestStore();
    ctx = operationContext(store);
    idp = await source.start();
    if (!idp.setCustomAttribute || !idp.customAttributeExpression) throw new Error(`the ${idp.kind} scenario cannot set a custom attribute`);
    expr = idp.customAttributeExpression;
    ids.ann = idp.addUser('ann');
    ids.bo = idp.addUser('bo');
    idp.setCustomAttribute(ids.ann, 'CC-0042');
    idp.setCustomAttribute(ids.bo, 'CC-0009');
    await op(ctx, 'tenant.create', { slug: 'acme' });
    const expressions = {
      custom: {
        costCenter: expr,
        costCode: `$replace(${expr}, /^CC-0*/, "")`,
      },
    };
    await op(ctx, 'connection.create', { tenant: 'acme', name: 'idp', kind: idp.kind, settings: { ...idp.settings, expressions } });
    await op(ctx, 'connection.update', { connection: conn, deletionThreshold: '100%', scimPush: true, scimRatePerMinute: 0 });
    token = (await op<{ token: string }>(ctx, 'token.create', { connection: conn, name: 'test' })).token;
    app = buildServer(ctx, {});
    await app.ready();
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await idp?.close();
    await store?.close();
  });

  it('a sync stores them: the admin API, SCIM GET and the feed return them', async () => {
    const start = await feedEnd();
    expect((await sync()).status).toBe('succeeded');
    const ann = await userOf('ann');
    expect(ann.customAttributes).toEqual({ costCenter: 'CC-0042', costCode: '42' });
    expect((await userOf('bo')).customAttributes).toEqual({ costCenter: 'CC-0009', costCode: '9' });

    const res = await app.inject({ method: 'GET', url: `/scim/v2/Users/${ann.id}`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)[CUSTOM]).toEqual({ costCenter: 'CC-0042', costCode: '42' });

    const created = (await feedAfter(start)).find((e) => e.action === 'user.created' && e.entityId === ann.id) as unknown as { after: { custom_attributes: unknown } };
    expect(created.after.custom_attributes).toEqual({ costCenter: 'CC-0042', costCode: '42' });
  });

  it('an unchanged directory writes nothing', async () => {
    const start = await feedEnd();
    const r = await sync();
    expect(r.status).toBe('succeeded');
    expect(r.counts.usersUpdated).toBe(0);
    expect(await feedAfter(start)).toEqual([]);
  });

  it('a changed custom attribute is one update, with before and after', async () => {
    idp.setCustomAttribute!(ids.ann!, 'CC-7');
    const start = await feedEnd();
    const r = await sync();
    expect(r.counts.usersUpdated).toBe(1);
    const events = (await feedAfter(start)) as unknown as Array<{ action: string; before: { custom_attributes: unknown }; after: { custom_attributes: unknown } }>;
    expect(events.map((e) => e.action)).toEqual(['user.updated']);
    expect(events[0]!.before.custom_attributes).toEqual({ costCenter: 'CC-0042', costCode: '42' });
    expect(events[0]!.after.custom_attributes).toEqual({ costCenter: 'CC-7', costCode: '7' });
  });

  it('a SCIM push to the pull connection leaves them alone (its expressions read the IdP\'s record, not a SCIM User)', async () => {
    const ann = await userOf('ann');
    const res = await app.inject({
      method: 'PATCH',
      url: `/scim/v2/Users/${ann.id}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      payload: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Ann (pushed)' }] },
    });
    expect(res.statusCode).toBe(200);
    expect(await userOf('ann')).toMatchObject({ displayName: 'Ann (pushed)', customAttributes: { costCenter: 'CC-7', costCode: '7' } });
  });

  it('the login hook\'s one-user fetch evaluates them too', async () => {
    ids.cy = idp.addUser('cy');
    idp.setCustomAttribute!(ids.cy, 'CC-0100');
    const { key } = await op<{ key: string }>(ctx, 'apiKey.create', { name: 'login', scope: 'login-sync', tenant: 'acme' });
    const res = await app.inject({ method: 'POST', url: '/api/v1/login-sync', headers: { authorization: `Bearer ${key}` }, payload: { tenant: 'acme', externalId: ids.cy } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ allowed: true, source: 'live', user: { customAttributes: { costCenter: 'CC-0100', costCode: '100' } } });
    expect((await userOf('cy')).customAttributes).toEqual({ costCenter: 'CC-0100', costCode: '100' });
  });
});
