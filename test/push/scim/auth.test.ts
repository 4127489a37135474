/**
 * SCIM bearer authentication and the per-token rate limit. The limit lives
 * in the database, so two stores opened on one database (two replicas)
 * share it: proven on Postgres; on PGlite there is one process by design.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateScim, hashScimToken, ScimTokenCache, takeToken, ScimError } from '../../../src/push/scim/index.js';
import { silentLogger } from '../../../src/core/logging/index.js';
import { openStore, queryRows, type Store } from '../../../src/core/store/index.js';
import { sql } from 'drizzle-orm';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let ctx: ReturnType<typeof operationContext>;
let token: string;
let connectionId: string;

beforeAll(async () => {
  store = await createTestStore();
  ctx = operationContext(store);
  await op(ctx, 'tenant.create', { slug: 'acme' });
  connectionId = (await op(ctx, 'connection.create', { tenant: 'acme', name: 'scim', kind: 'scim' })).id;
  token = (await op(ctx, 'token.create', { connection: 'acme/scim', name: 'IdP' })).token;
});
afterAll(() => store.close());

const rejects401 = async (promise: Promise<unknown>, detail: RegExp) => {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ScimError);
  expect((err as ScimError).status).toBe(401);
  expect((err as ScimError).message).toMatch(detail);
};

describe('SCIM authentication', () => {
  it('resolves a valid token to its connection and tenant with the default rate limit', async () => {
    const caller = await authenticateScim(store.db, `Bearer ${token}`);
    expect(caller).toMatchObject({ connectionId, rateLimit: { perMinute: 60, burst: 20 } });
  });

  it('refuses a missing, malformed, unknown, revoked or expired token with a 401', async () => {
    await rejects401(authenticateScim(store.db, undefined), /bearer token is required/);
    await rejects401(authenticateScim(store.db, `Basic ${token}`), /bearer token is required/);
    await rejects401(authenticateScim(store.db, `Bearer ${token}x`), /not valid/);
    const t = await op(ctx, 'token.create', { connection: 'acme/scim', name: 'to revoke' });
    await op(ctx, 'token.revoke', { id: t.id });
    await rejects401(authenticateScim(store.db, `Bearer ${t.token}`), /revoked/);
  });

  it('refuses a token used on another connection’s path', async () => {
    const other = await op(ctx, 'connection.create', { tenant: 'acme', name: 'other', kind: 'scim' });
    await rejects401(authenticateScim(store.db, `Bearer ${token}`, other.id), /does not belong/);
    expect((await authenticateScim(store.db, `Bearer ${token}`, connectionId)).connectionId).toBe(connectionId);
  });

  it('refuses pushes to a disabled connection with a 403', async () => {
    await op(ctx, 'connection.create', { tenant: 'acme', name: 'off', kind: 'scim' });
    const t = await op(ctx, 'token.create', { connection: 'acme/off', name: 'x' });
    await op(ctx, 'connection.update', { connection: 'acme/off', enabled: false });
    const err = await authenticateScim(store.db, `Bearer ${t.token}`).catch((e: unknown) => e);
    expect((err as ScimError).status).toBe(403);
  });
});

describe('per-token rate limit', () => {
  it('lets the burst through, then refuses with a whole-second Retry-After, without spending tokens on refusals', async () => {
    const limit = { perMinute: 60, burst: 5 };
    const decisions = [];
    for (let i = 0; i < 8; i++) decisions.push(await takeToken(store.db, 'test:burst', limit));
    expect(decisions.slice(0, 5).every((d) => d.allowed)).toBe(true);
    const refused = decisions.slice(5);
    expect(refused.every((d) => !d.allowed)).toBe(true);
    for (const d of refused) if (!d.allowed) expect(Number.isInteger(d.retryAfterSeconds) && d.retryAfterSeconds >= 1).toBe(true);
    // After ~1 s at 1 token/s, exactly one more request gets through.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await takeToken(store.db, 'test:burst', limit)).allowed).toBe(true);
    expect((await takeToken(store.db, 'test:burst', limit)).allowed).toBe(false);
  });

  it('is off when the rate is 0', async () => {
    for (let i = 0; i < 30; i++) expect((await takeToken(store.db, 'test:off', { perMinute: 0, burst: 1 })).allowed).toBe(true);
  });

  it('holds across two replicas sharing one database', async () => {
    const second: Store = store.databaseUrl ? await openStore({ databaseUrl: store.databaseUrl, maxConnections: 2 }) : store;
    try {
      const limit = { perMinute: 60, burst: 4 };
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => takeToken((i % 2 ? second : store).db, 'test:replicas', limit)),
      );
      expect(results.filter((d) => d.allowed)).toHaveLength(4);
    } finally {
      if (second !== store) await second.close();
    }
  });
});

describe('SCIM token lookup cache', () => {
  const newToken = async (name: string) => (await op(ctx, 'token.create', { connection: 'acme/scim', name })) as { id: string; token: string };
  const outcome = (db: Store['db'], t: { token: string }, cache: ScimTokenCache) =>
    authenticateScim(db, `Bearer ${t.token}`, undefined, cache).then(
      () => 'accepted',
      (e: ScimError) => `${e.status} ${e.message}`,
    );

  it('answers a known token from memory once it is listening, and never caches an unknown one', async () => {
    const cache = new ScimTokenCache();
    const t = await newToken('cached');
    await authenticateScim(store.db, `Bearer ${t.token}`, undefined, cache);
    expect(cache.get(hashScimToken(t.token))).toBeUndefined(); // not listening yet: nothing kept
    await cache.start(store, silentLogger());
    try {
      await authenticateScim(store.db, `Bearer ${t.token}`, undefined, cache);
      expect(cache.get(hashScimToken(t.token))).toMatchObject({ id: t.id, connection_id: connectionId });
      await authenticateScim(store.db, 'Bearer not-a-token', undefined, cache).catch(() => {});
      expect(cache.get(hashScimToken('not-a-token'))).toBeUndefined();
    } finally {
      await cache.stop();
    }
  });

  it('drops a token revoked behind its back (plain SQL, as another replica or an operator would) through NOTIFY', async () => {
    const cache = new ScimTokenCache();
    await cache.start(store, silentLogger());
    try {
      const t = await newToken('revoked by SQL');
      expect(await outcome(store.db, t, cache)).toBe('accepted');
      await queryRows(store.db, sql`update scim_tokens set revoked_at = now() where id = ${t.id}::uuid`);
      await expect.poll(() => outcome(store.db, t, cache), { timeout: 2000, interval: 20 }).toMatch(/^401 .*revoked/);
    } finally {
      await cache.stop();
    }
  });

  it('refuses a cached token as soon as it expires, without asking the database', async () => {
    const cache = new ScimTokenCache();
    await cache.start(store, silentLogger());
    try {
      const t = await newToken('short-lived');
      await queryRows(store.db, sql`update scim_tokens set expires_at = now() + interval '300 milliseconds' where id = ${t.id}::uuid`);
      await expect.poll(() => outcome(store.db, t, cache), { timeout: 2000, interval: 20 }).toBe('accepted');
      await new Promise((r) => setTimeout(r, 400));
      expect(await outcome(store.db, t, cache)).toMatch(/^401 .*expired/);
    } finally {
      await cache.stop();
    }
  });

  it('sees a revocation or a disabled connection made on another replica', async () => {
    // Two stores on one Postgres database are two replicas; PGlite is one process by design,
    // where the same store stands for both and the in-process announcement is what acts.
    const replica: Store = store.databaseUrl ? await openStore({ databaseUrl: store.databaseUrl, maxConnections: 2 }) : store;
    const cache = new ScimTokenCache();
    await cache.start(replica, silentLogger());
    try {
      const t = await newToken('rotated out');
      expect(await outcome(replica.db, t, cache)).toBe('accepted');
      await op(ctx, 'token.revoke', { id: t.id });
      await expect.poll(() => outcome(replica.db, t, cache), { timeout: 2000, interval: 20 }).toMatch(/^401 .*revoked/);

      const live = await newToken('connection switched off');
      expect(await outcome(replica.db, live, cache)).toBe('accepted');
      await op(ctx, 'connection.update', { connection: connectionId, enabled: false });
      await expect.poll(() => outcome(replica.db, live, cache), { timeout: 2000, interval: 20 }).toMatch(/^403 .*disabled/);
    } finally {
      await op(ctx, 'connection.update', { connection: connectionId, enabled: true });
      await cache.stop();
      if (replica !== store) await replica.close();
    }
  });
});
