/**
 * Tenant isolation, route by route: a key restricted to globex, aimed at
 * each of acme's resources through every /api/v1 route, is refused (404,
 * or 403 where it asks for something only an unrestricted admin may do)
 * and changes nothing. The table must name every route the API serves, so
 * a new route cannot ship without its isolation case.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { API_ROUTES } from '../../../src/admin/api/index.js';
import { applyChanges } from '../../../src/core/lifecycle/index.js';
import { queryRows, schema } from '../../../src/core/store/index.js';
import { op } from '../operations/support.js';
import { userCreate } from '../../support/factories.js';
import { apiHarness, type ApiHarness } from './support.js';

let h: ApiHarness;
let globexKey: string;
const acme: Record<'tenant' | 'connection' | 'token' | 'run' | 'mapping' | 'user' | 'role' | 'webhook' | 'apiKey', string> = {
  tenant: '', connection: '', token: '', run: '', mapping: '', user: '', role: '', webhook: '', apiKey: '',
};

beforeAll(async () => {
  h = await apiHarness();
  acme.tenant = (await op(h.ctx, 'tenant.create', { slug: 'acme' })).id;
  await op(h.ctx, 'tenant.create', { slug: 'globex' });
  acme.connection = (await op(h.ctx, 'connection.create', { tenant: 'acme', name: 'scim', kind: 'scim' })).id;
  acme.token = (await op(h.ctx, 'token.create', { connection: acme.connection, name: 'Okta' })).id;
  acme.role = (await op(h.ctx, 'role.create', { tenant: 'acme', name: 'developer' })).id;
  acme.mapping = (await op(h.ctx, 'mapping.add', { tenant: 'acme', group: 'Engineering', role: 'developer', tenantWide: true })).id;
  const user = userCreate(acme.connection, 1);
  await applyChanges(h.store.db, { tenantId: acme.tenant, actor: { type: 'sync', id: 'test' } }, [user]);
  acme.user = user.id!;
  await op(h.ctx, 'role.grant', { user: acme.user, role: 'developer', tenant: 'acme' });
  const [run] = await h.store.db
    .insert(schema.syncRuns)
    .values({ tenantId: acme.tenant, connectionId: acme.connection, trigger: 'manual', mode: 'delta', status: 'held', heldPlan: { changes: [], counts: {} } })
    .returning();
  acme.run = run!.id;
  acme.webhook = (await op(h.ctx, 'webhook.create', { tenant: 'acme', url: 'https://hooks.example.com/acme' })).id;
  acme.apiKey = (await h.key('admin', 'acme', 'acme console')).id;
  globexKey = (await h.key('admin', 'globex')).key;
});
afterAll(() => h.close());

interface Case {
  url: string;
  body?: unknown;
  /** What globex's key gets; 200 only for listings, which must then not show acme. */
  status: 403 | 404 | 200;
}

const c = () => `/connections/${acme.connection}`;
const u = () => `/tenants/acme/users/${acme.user}`;

/** Keyed by `METHOD path` as the route declares it. */
const CASES: Record<string, () => Case> = {
  'GET /tenants': () => ({ url: '/tenants', status: 200 }),
  // An admin key is the wrong scope here; a foreign login-sync key is refused in test/login.
  'POST /login-sync': () => ({ url: '/login-sync', body: { tenant: 'acme', userName: 'x' }, status: 403 }),
  'POST /tenants': () => ({ url: '/tenants', body: { slug: 'acme2' }, status: 403 }),
  'GET /tenants/{tenant}': () => ({ url: `/tenants/${acme.tenant}`, status: 404 }),
  'GET /connections': () => ({ url: '/connections', status: 200 }),
  'POST /connections': () => ({ url: '/connections', body: { tenant: 'acme', name: 'planted', kind: 'scim' }, status: 404 }),
  'GET /connections/{id}': () => ({ url: c(), status: 404 }),
  'PATCH /connections/{id}': () => ({ url: c(), body: { enabled: false }, status: 404 }),
  'DELETE /connections/{id}': () => ({ url: `${c()}?force=true`, status: 404 }),
  'POST /connections/{id}/test': () => ({ url: `${c()}/test`, status: 404 }),
  'POST /connections/{id}/attribute-preview': () => ({ url: `${c()}/attribute-preview`, status: 404, body: { users: 1 } }),
  'POST /connections/{id}/sync': () => ({ url: `${c()}/sync`, body: {}, status: 404 }),
  'POST /connections/{id}/provision': () => ({ url: `${c()}/provision`, body: { userName: 'x', dryRun: true }, status: 404 }),
  'POST /connections/{id}/runs/{runId}/approve': () => ({ url: `${c()}/runs/${acme.run}/approve`, status: 404 }),
  'GET /connections/{id}/runs': () => ({ url: `${c()}/runs`, status: 404 }),
  'GET /connections/{id}/runs/{runId}/changes': () => ({ url: `${c()}/runs/${acme.run}/changes`, status: 404 }),
  'POST /connections/{id}/runs/{runId}/reject': () => ({ url: `${c()}/runs/${acme.run}/reject`, status: 404 }),
  'GET /connections/{id}/report': () => ({ url: `${c()}/report`, status: 404 }),
  'POST /connections/{id}/scim-tokens': () => ({ url: `${c()}/scim-tokens`, body: { name: 'planted' }, status: 404 }),
  'GET /connections/{id}/scim-tokens': () => ({ url: `${c()}/scim-tokens`, status: 404 }),
  'DELETE /connections/{id}/scim-tokens/{tokenId}': () => ({ url: `${c()}/scim-tokens/${acme.token}`, status: 404 }),
  'GET /tenants/{tenant}/roles': () => ({ url: '/tenants/acme/roles', status: 404 }),
  'POST /tenants/{tenant}/roles': () => ({ url: '/tenants/acme/roles', body: { name: 'planted' }, status: 404 }),
  'GET /tenants/{tenant}/mappings': () => ({ url: '/tenants/acme/mappings', status: 404 }),
  'POST /tenants/{tenant}/mappings': () => ({ url: '/tenants/acme/mappings', body: { group: 'X', role: 'developer' }, status: 404 }),
  'DELETE /tenants/{tenant}/mappings/{mappingId}': () => ({ url: `/tenants/acme/mappings/${acme.mapping}`, status: 404 }),
  'GET /tenants/{tenant}/users': () => ({ url: '/tenants/acme/users', status: 404 }),
  'GET /tenants/{tenant}/users/{user}': () => ({ url: u(), status: 404 }),
  'GET /tenants/{tenant}/users/{user}/history': () => ({ url: `${u()}/history`, status: 404 }),
  'GET /tenants/{tenant}/audit': () => ({ url: '/tenants/acme/audit', status: 404 }),
  'PUT /tenants/{tenant}/users/{user}/roles/{role}': () => ({ url: `${u()}/roles/${acme.role}`, status: 404 }),
  'DELETE /tenants/{tenant}/users/{user}/roles/{role}': () => ({ url: `${u()}/roles/${acme.role}`, status: 404 }),
  // The feed filters on the key's tenant; asking for another one is refused outright.
  'GET /events': () => ({ url: '/events?tenant=acme', status: 403 }),
  'GET /connection-kinds': () => ({ url: '/connection-kinds', status: 200 }),
  'GET /tenants/{tenant}/webhooks': () => ({ url: '/tenants/acme/webhooks', status: 404 }),
  'POST /tenants/{tenant}/webhooks': () => ({ url: '/tenants/acme/webhooks', body: { url: 'https://planted.example.com/' }, status: 404 }),
  'DELETE /tenants/{tenant}/webhooks/{webhookId}': () => ({ url: `/tenants/acme/webhooks/${acme.webhook}`, status: 404 }),
  // Lists globex's keys only: acme's key (and its tenant) must not show.
  'GET /api-keys': () => ({ url: '/api-keys', status: 200 }),
  'POST /api-keys': () => ({ url: '/api-keys', body: { name: 'planted', scope: 'admin', tenant: 'acme' }, status: 404 }),
  'DELETE /api-keys/{keyId}': () => ({ url: `/api-keys/${acme.apiKey}`, status: 404 }),
};

/** Everything of acme's a refused request could have touched. */
async function acmeState() {
  const [row] = await queryRows(
    h.store.db,
    sql`select
      (select count(*)::int from audit_events where tenant_id = ${acme.tenant}::uuid) as audit,
      (select count(*)::int from connections where tenant_id = ${acme.tenant}::uuid and enabled) as enabled_connections,
      (select count(*)::int from scim_tokens where tenant_id = ${acme.tenant}::uuid and revoked_at is null) as live_tokens,
      (select count(*)::int from sync_runs where tenant_id = ${acme.tenant}::uuid) as runs,
      (select count(*)::int from webhooks where tenant_id = ${acme.tenant}::uuid) as webhooks,
      (select count(*)::int from api_keys where tenant_id = ${acme.tenant}::uuid and revoked_at is null) as live_api_keys,
      (select count(*)::int from tenants) as tenants`,
  );
  return row;
}

it('has an isolation case for every route the API serves', () => {
  const served = API_ROUTES.map((r) => `${r.method} ${r.path}`).sort();
  expect(Object.keys(CASES).sort()).toEqual(served);
});

it('refuses a globex key on every route aimed at acme, and changes nothing of acme\'s', async () => {
  const before = await acmeState();
  for (const route of API_ROUTES) {
    const name = `${route.method} ${route.path}`;
    const test = CASES[name]!();
    const res = await h.send(route.method, `/api/v1${test.url}`, globexKey, test.body);
    expect(res.statusCode, `${name}: ${res.body}`).toBe(test.status);
    if (test.status === 200) {
      expect(res.body, name).not.toContain(acme.tenant);
      expect(res.body, name).not.toContain('"acme"');
    } else {
      expect(res.json().error.code, name).toBe(test.status === 404 ? 'not_found' : 'forbidden');
    }
  }
  expect(await acmeState()).toEqual(before);
  // The same requests with an unrestricted key do reach acme: the refusals above were about the tenant.
  expect((await h.send('GET', `/api/v1/connections/${acme.connection}/scim-tokens`, (await h.key('admin')).key)).statusCode).toBe(200);
});
