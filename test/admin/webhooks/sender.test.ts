/**
 * Webhooks against a real receiver on loopback: a tenant's lifecycle events
 * arrive in order, signed; a failing endpoint gets them again after a backoff
 * (at least once, same order); other tenants' events never reach it; the
 * roster_events NOTIFY (sent by the EventAnnouncer) wakes delivery without
 * waiting for the poll.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventAnnouncer } from '../../../src/admin/events/index.js';
import { applyChanges } from '../../../src/core/lifecycle/index.js';
import { silentLogger } from '../../../src/core/logging/index.js';
import { TRUSTED_HOSTS_ENV } from '../../../src/core/net/url-policy.js';
import { queryRows } from '../../../src/core/store/index.js';
import { signWebhookBody, WebhookSender } from '../../../src/admin/webhooks/index.js';
import { op, operationContext } from '../operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

interface Received {
  body: string;
  signature: string;
  /** `Roster-Signature: t=<unix seconds>,v1=<hex>` */
  timestamped: string;
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
      received.push({
        body,
        signature: String(req.headers['x-roster-signature']),
        timestamped: String(req.headers['roster-signature']),
        events: JSON.parse(body).events,
      });
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
const sender = (requestTimeoutMs?: number) => new WebhookSender({ store, keyring: ctx.keyring, logger: silentLogger(), pollMs: 60_000, requestTimeoutMs });

/** A receiver's check, as the README shows it: the signed timestamp must be recent and the HMAC of "<t>.<body>" must match. */
function verifyRosterSignature(secret: string, header: string | undefined, body: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300 || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhooks', () => {
  it('refuses a plain-http endpoint on a host the operator does not trust', async () => {
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
    for (const r of received) {
      expect(r.signature).toBe(signWebhookBody(hook.secret, r.body));
      expect(r.timestamped).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyRosterSignature(hook.secret, r.timestamped, r.body)).toBe(true);
      // A replay ten minutes later, or a changed body, fails the check.
      expect(verifyRosterSignature(hook.secret, r.timestamped, r.body, Math.floor(Date.now() / 1000) + 600)).toBe(false);
      expect(verifyRosterSignature(hook.secret, r.timestamped, r.body.replace('user.created', 'user.deleted'))).toBe(false);
    }
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

  it('reads at most a bounded answer: an endpoint that answers 2xx with an endless body still counts as delivered', async () => {
    let bytesSent = 0;
    const endless = createServer((req, res) => {
      req.socket.on('close', () => (bytesSent += req.socket.bytesWritten));
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16_384, 'x');
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
        };
        res.on('drain', pump);
        pump();
      });
    });
    await new Promise<void>((r) => endless.listen(0, '127.0.0.1', r));
    const hook = await op(ctx, 'webhook.create', { tenant: 'acme', url: `http://127.0.0.1:${(endless.address() as AddressInfo).port}/` });
    // Without a bound, the sender reads for as long as its timeout lets it: hundreds of MB on loopback.
    const s = sender(3000);
    try {
      await createUsers(acme.id, acmeConnection, 1);
      await s.wake();
      const [listed] = (await op(ctx, 'webhook.list', { tenant: 'acme' })).filter((w: { id: string }) => w.id === hook.id);
      expect(listed).toMatchObject({ consecutiveFailures: 0, lastError: null });
      expect(listed.deliveredThrough).toBeGreaterThan(0);
      await expect.poll(() => bytesSent, { timeout: 5000, interval: 20 }).toBeGreaterThan(0);
      // 64 KiB read, plus what the kernel's socket buffers took before the sender hung up.
      expect(bytesSent).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await s.stop();
      await op(ctx, 'webhook.delete', { id: hook.id });
      endless.closeAllConnections();
      await new Promise((r) => endless.close(r));
    }
  });

  it('applies the outbound URL policy when it connects: a stored URL whose name resolves to a refused address is never contacted', async () => {
    let connections = 0;
    const listener = createTcpServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const saved = process.env[TRUSTED_HOSTS_ENV];
    const hook = await op(ctx, 'webhook.create', { tenant: 'acme', url: 'https://hooks.example.com/roster' });
    // As if saved before the policy, or re-pointed by DNS: this machine's name resolves to loopback or a private address.
    await queryRows(store.db, sql`update webhooks set url = ${`https://${hostname()}:${(listener.address() as AddressInfo).port}/`} where id = ${hook.id}::uuid`);
    process.env[TRUSTED_HOSTS_ENV] = '';
    const s = sender();
    try {
      await createUsers(acme.id, acmeConnection, 1);
      await s.wake();
      const [listed] = (await op(ctx, 'webhook.list', { tenant: 'acme' })).filter((w: { id: string }) => w.id === hook.id);
      expect(listed.consecutiveFailures).toBe(1);
      expect(listed.lastError).toContain('refused by the outbound URL policy');
      expect(connections).toBe(0);
    } finally {
      process.env[TRUSTED_HOSTS_ENV] = saved;
      await s.stop();
      await op(ctx, 'webhook.delete', { id: hook.id });
      await new Promise((r) => listener.close(r));
    }
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
