/** A Roster server with one tenant, one SCIM connection and a token, driven through fastify's inject (real routing, no socket). */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildServer } from '../../../../src/server/index.js';
import { op, operationContext } from '../../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../../support/store.js';

export interface ScimHarness {
  store: TestStore;
  app: FastifyInstance;
  ctx: ReturnType<typeof operationContext>;
  token: string;
  connectionId: string;
  /** Another tenant's SCIM connection and token, for isolation tests. */
  other: { token: string; connectionId: string };
  request(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function scimHarness(options: { rateLimit?: number } = {}): Promise<ScimHarness> {
  const store = await createTestStore();
  const ctx = operationContext(store);
  const setup = async (slug: string) => {
    await op(ctx, 'tenant.create', { slug });
    const connection = await op(ctx, 'connection.create', { tenant: slug, name: 'idp', kind: 'scim' });
    await op(ctx, 'connection.update', { connection: connection.id, scimRatePerMinute: options.rateLimit ?? 0 });
    const { token } = await op(ctx, 'token.create', { connection: connection.id, name: 'test' });
    return { token: token as string, connectionId: connection.id as string };
  };
  const mine = await setup('acme');
  const other = await setup('globex');
  const app = buildServer(ctx, {});
  await app.ready();
  const request: ScimHarness['request'] = async (method, url, body, headers = {}) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${mine.token}`, 'content-type': 'application/scim+json', ...headers },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    let parsed: unknown = undefined;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      parsed = res.body;
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  };
  return {
    store,
    app,
    ctx,
    token: mine.token,
    connectionId: mine.connectionId,
    other,
    request,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export const userBody = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: userName, type: 'work', primary: true }],
  active: true,
  ...extra,
});
