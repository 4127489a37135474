/**
 * Webhooks against a real receiver on loopback: a tenant's lifecycle events
 * arrive in order, signed; a failing endpoint gets them again after a backoff
 * (at least once, same order); other tenants' events never reach it; the
 * roster_events NOTIFY (sent by the EventAnnouncer) wakes delivery without
 * waiting for the poll.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventAnnouncer } from '../../src/events/index.js';
import { applyChanges } from '../../src/lifecycle/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { signWebhookBody, WebhookSender } from '../../src/webhooks/index.js';
import { op, operationContext } from '../operations/support.js';
import { createTestStore, type TestStore } from '../support/store.js';

interface Received {
  body: string;
  signature: string;
  events: Array<{ id: number; action: string; tenant: string | null; entityId: string }>;
}

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;
let server: Server;
let url: string;
const received: Received[] = [];
let failNext = 0;
let acme: { id: string };
let globex: { id: string };
let acmeConnection: string;
let globexConnection: string;

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end('try later');
        return;
      }
      received.push({ body, signature: String(req.headers['x-roster-signature']), events: JSON.parse(body).events });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/roster`;
  acme = await op(ctx, 'tenant.create', { slug: 'acme' });
  globex = await op(ctx, 'tenant.create', { slug: 'globex' });
  acmeConnection = (await op(ctx, 'connection.create', { tenant: 'acme', name: 'push', kind: 'scim' })).id;
  globexConnection = (await op(ctx, 'connection.create', { tenant: 'globex', name: 'push', kind: 'scim' })).id;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
});

let n = 0;
const createUsers = (tenantId: string, connectionId: string, count: number) =>
  applyChanges(store.db, { tenantId, actor: { type: 'system' } }, Array.from({ length: count }, () => ({ kind: 'user.create' as const, connectionId, attributes: { userName: `u${++n}@example.test` } })));
const sender = () => new WebhookSender({ store, keyring: ctx.keyring, logger: silentLogger(), pollMs: 60_000 });

describe('webhooks', () => {
  it('refuses a plain-http endpoint that is not this machine', async () => {
    await expect(op(ctx, 'webhook.create', { tenant: 'acme', url: 'http://hooks.example.com/x' })).rejects.toThrow(/must use https/);
  });

  it('delivers the tenant’s events in order, signed with the secret shown at creation, and only that tenant’s', async () => {
    const hook = await op(ctx, 'webhook.create', { tenant: 'acme', url });
    expect(hook.secret).toMatch(/^whsec_/);
    const s = sender();
    await createUsers(acme.id, acmeConnection, 3);
    await createUsers(globex.id, globexConnection, 2);
    await createUsers(acme.id, acmeConnection, 2);
    await s.wake();
    const events = received.flatMap((r) => r.events);
    expect(events.map((e) => e.action)).toEqual(Array(5).fill('user.created'));
    expect(events.every((e) => e.tenant === 'acme')).toBe(true);
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    for (const r of received) expect(r.signature).toBe(signWebhookBody(hook.secret, r.body));
    const [listed] = await op(ctx, 'webhook.list', { tenant: 'acme' });
    expect(listed).toMatchObject({ deliveredThrough: ids.at(-1), consecutiveFailures: 0, lastError: null });
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    await s.stop();
    await op(ctx, 'webhook.delete', { id: hook.id });
  });

  it('retries a failing endpoint after a backoff and delivers the same events again, in order', async () => {
    received.length = 0;
    const hook = await op(ctx, 'webhook.create', { tenant: 'acme', url });
    const s = sender();
    await createUsers(acme.id, acmeConnection, 2);
    failNext = 1;
    await s.wake();
    expect(received).toHaveLength(0);
    const [failed] = await op(ctx, 'webhook.list', { tenant: 'acme' });
    expect(failed).toMatchObject({ consecutiveFailures: 1, lastError: 'HTTP 500' });
    await s.wake(); // not due yet: the backoff holds it
    expect(received).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 1100));
    await s.wake();
    expect(received.flatMap((r) => r.events).map((e) => e.action)).toEqual(['user.created', 'user.created']);
    const [recovered] = await op(ctx, 'webhook.list', { tenant: 'acme' });
    expect(recovered).toMatchObject({ consecutiveFailures: 0, lastError: null });
    await s.stop();
    await op(ctx, 'webhook.delete', { id: hook.id });
  });

  it('is woken by the roster_events NOTIFY, without waiting for the poll', async () => {
    received.length = 0;
    const hook = await op(ctx, 'webhook.create', { tenant: 'acme', url });
    const announcer = new EventAnnouncer({ db: store.db, logger: silentLogger(), intervalMs: 20 });
    announcer.start();
    const s = sender();
    await s.start();
    await s.wake(); // the start-up round is over: only a notification can start the next one
    try {
      await createUsers(acme.id, acmeConnection, 1);
      await expect.poll(() => received.flatMap((r) => r.events).length, { timeout: 5000, interval: 50 }).toBe(1);
    } finally {
      await s.stop();
      await announcer.stop();
      await op(ctx, 'webhook.delete', { id: hook.id });
    }
  });
});
