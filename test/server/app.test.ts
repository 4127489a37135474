import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer, tokenMatches } from '../../src/server/index.js';
import type { Store } from '../../src/core/store/index.js';
import { op, operationContext } from '../admin/operations/support.js';
import { createTestStore, type TestStore } from '../support/store.js';

const TOKEN = 'command-token-for-tests';
let store: TestStore;
let app: FastifyInstance;

beforeAll(async () => {
  store = await createTestStore();
  app = buildServer(operationContext(store), { commandToken: TOKEN });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await store.close();
});

const command = (name: string, payload: unknown, token?: string) =>
  app.inject({
    method: 'POST',
    url: `/internal/v1/operations/${name}`,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    payload: payload as Record<string, unknown>,
  });

describe('health probes', () => {
  it('reports liveness and readiness', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ready');
  });

  it('is not ready when the database is unreachable', async () => {
    const broken = { ...store, db: { execute: () => Promise.reject(new Error('connection refused')) } } as unknown as Store;
    const other = buildServer(operationContext(broken), { commandToken: TOKEN });
    const ready = await other.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable' });
    await other.close();
  });
});

describe('command endpoint', () => {
  it('refuses a missing or wrong token', async () => {
    expect((await command('tenant.list', {})).statusCode).toBe(401);
    const wrong = await command('tenant.list', {}, 'not-the-token');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('unauthorized');
  });

  it('refuses everything when the server has no token', async () => {
    const other = buildServer(operationContext(store));
    expect((await other.inject({ method: 'POST', url: '/internal/v1/operations/tenant.list', headers: { authorization: 'Bearer x' }, payload: {} })).statusCode).toBe(401);
    await other.close();
  });

  it('runs an operation with the right token', async () => {
    const created = await command('tenant.create', { slug: 'acme' }, TOKEN);
    expect(created.statusCode).toBe(200);
    expect(created.json().result).toMatchObject({ slug: 'acme' });
    const listed = await command('tenant.list', {}, TOKEN);
    expect(listed.json().result.map((t: { slug: string }) => t.slug)).toEqual(['acme']);
  });

  it('maps typed errors to their status and invalid input to 400', async () => {
    expect((await command('tenant.create', { slug: 'acme' }, TOKEN)).statusCode).toBe(409);
    const missing = await command('connection.show', { connection: 'acme/none' }, TOKEN);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toBe('connection "acme/none" not found');
    const bad = await command('tenant.create', { slug: 'acme', extra: 1 }, TOKEN);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/unknown field "extra"/);
    expect((await command('no.such', {}, TOKEN)).statusCode).toBe(404);
  });

  it('answers an unknown error with 500 and an error id, never its message', async () => {
    const broken = { ...store, db: { select: () => { throw new Error('secret internals'); } } } as unknown as Store;
    const other = buildServer(operationContext(broken), { commandToken: TOKEN });
    const res = await other.inject({ method: 'POST', url: '/internal/v1/operations/tenant.list', headers: { authorization: `Bearer ${TOKEN}` }, payload: {} });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret internals');
    expect(res.json().error.errorId).toMatch(/^[0-9a-f]{8}$/);
    await other.close();
  });

  it('compares tokens by digest, whatever their lengths', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });
});
