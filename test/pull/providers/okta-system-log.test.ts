/**
 * The Okta provider's deletions: a delta reads the System Log
 * (src/pull/providers/okta/system-log.ts) through the real SDK against the fake
 * org, and falls back to a full listing when it may not; the fake's System
 * Log speaks Okta's wire contract (since/until/filter/limit/after, Link).
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOktaProvider } from '../../../src/pull/providers/okta/index.js';
import { LOG_FILTER } from '../../../src/pull/providers/okta/system-log.js';
import { ProviderError, type DirectoryProvider } from '../../../src/pull/providers/types.js';
import { collect, collectUntilError, fakeOktaContext, startFakeOkta, usersOf, type FakeOkta } from '../../fakes/okta/index.js';

const MINUTE = 60_000;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let fake: FakeOkta;
beforeEach(async () => {
  fake = await startFakeOkta({
    oauthClients: [
      { clientId: '0oafull', keyId: 'kid-1', publicKey: keys.publicKey, scopes: ['okta.users.read', 'okta.groups.read', 'okta.logs.read'] },
      { clientId: '0oanologs', keyId: 'kid-1', publicKey: keys.publicKey, scopes: ['okta.users.read', 'okta.groups.read'] },
    ],
  });
});
afterEach(async () => {
  await fake.close();
});

const oauth = (clientId: string) => fakeOktaContext(fake, { settings: { clientId, keyId: 'kid-1' }, secrets: { privateKey: pem } });
const removals = (events: Awaited<ReturnType<typeof collect>>['events']) => events.filter((e) => e.type === 'user.removed' || e.type === 'group.removed');

/**
 * Users and a group, a full run for the cursor, then ten minutes pass (past
 * the watermark overlap; not with OAuth: the fake would find the client
 * assertions, signed on the real clock, expired).
 */
async function baseline(p: DirectoryProvider, users = 2, settle = true) {
  const d = fake.directory;
  const ids = Array.from({ length: users }, (_, i) => d.addUser({ profile: { login: `u${i}@example.com` } }).id);
  const group = d.addGroup({ name: 'Team' }).id;
  const full = await p.run({ cursor: null });
  await collect(full);
  if (settle) d.advance(10 * MINUTE);
  return { ids, group, cursor: full.nextCursor() };
}

function deleteForGood(id: string) {
  fake.directory.deleteUser(id);
  fake.directory.deleteUser(id);
}

describe('a delta reads deletions from the System Log', () => {
  it('reports a deleted user as user.removed (deleted) and a deleted group as group.removed, after the listings', async () => {
    const p = createOktaProvider(fakeOktaContext(fake));
    const { ids, group, cursor } = await baseline(p);
    deleteForGood(ids[0]!);
    fake.directory.suspend(ids[1]!); // logged too, but not a deletion
    fake.directory.deleteGroup(group);
    fake.requests.length = 0;
    const run = await p.run({ cursor });
    const { events } = await collect(run);
    expect(run.mode).toBe('delta');
    expect(removals(events)).toEqual([
      { type: 'user.removed', externalId: ids[0], reason: 'deleted' },
      { type: 'group.removed', externalId: group },
    ]);
    expect(events.slice(-2)).toEqual(removals(events));
    expect(usersOf(events).map((u) => [u.externalId, u.active])).toEqual([[ids[1], false]]);
    const [read] = fake.requestsTo('logs');
    expect(read!.query).toMatchObject({ since: (cursor as { logs: string }).logs, filter: LOG_FILTER, limit: '1000' });
    expect(read!.query.until).toBeUndefined();
  });

  it('ignores a delete that failed', async () => {
    const p = createOktaProvider(fakeOktaContext(fake));
    const { ids, cursor } = await baseline(p);
    fake.directory.log.record({
      eventType: 'user.lifecycle.delete.initiated', displayMessage: 'Delete Okta user', outcome: { result: 'FAILURE' },
      target: [{ id: ids[0]!, type: 'User', alternateId: 'u0@example.com', displayName: 'u0' }],
    });
    expect(removals((await collect(await p.run({ cursor }))).events)).toEqual([]);
  });

  it('reads every page by its next link and stops on the empty page a polling read ends with', async () => {
    const p = createOktaProvider(fakeOktaContext(fake));
    const { ids, cursor } = await baseline(p, 1);
    const d = fake.directory;
    // 1,500 deletions (Okta's page holds 1,000), logged directly: users are not needed for the log.
    for (let i = 0; i < 1500; i++) {
      d.log.record({ eventType: 'user.lifecycle.delete.initiated', displayMessage: 'x', target: [{ id: `00ugone${i}`, type: 'User', alternateId: `g${i}`, displayName: 'g' }] });
    }
    deleteForGood(ids[0]!);
    d.advance(MINUTE); // the events are older than the run's start
    fake.requests.length = 0;
    const second = () => Math.floor(d.now() / 1000) * 1000; // Okta's Date header: whole seconds
    const before = second();
    const run = await p.run({ cursor });
    const { events } = await collect(run);
    const after = second();
    expect(removals(events)).toHaveLength(1501);
    expect(fake.requestsTo('logs').map((r) => r.page)).toEqual([1, 2, 3]);
    // The next delta reads from this run's start, less the overlap: not from the epoch, not from the cursor.
    const next = run.nextCursor() as { logs: string };
    expect(Date.parse(next.logs)).toBeGreaterThanOrEqual(before - 120_000);
    expect(Date.parse(next.logs)).toBeLessThanOrEqual(after - 120_000);
  });

  it('sees an event Okta wrote late, within the overlap, in the next delta', async () => {
    const p = createOktaProvider(fakeOktaContext(fake));
    const { ids, cursor } = await baseline(p);
    const first = await p.run({ cursor });
    await collect(first);
    const runStart = Math.floor(fake.directory.now() / 1000) * 1000;
    // Published a minute before that run started, but only in the log now.
    fake.directory.users.delete(ids[0]!);
    fake.directory.log.record({
      eventType: 'user.lifecycle.delete.initiated', displayMessage: 'Delete Okta user', published: runStart - 60_000,
      target: [{ id: ids[0]!, type: 'User', alternateId: 'u0@example.com', displayName: 'u0' }],
    });
    const next = await p.run({ cursor: first.nextCursor() });
    expect(removals((await collect(next)).events)).toEqual([{ type: 'user.removed', externalId: ids[0], reason: 'deleted' }]);
  });

  it('a failing System Log page ends the run with a ProviderError and no cursor', async () => {
    const p = createOktaProvider(fakeOktaContext(fake, { settings: { serverErrorRetries: 0 } }));
    const { ids, cursor } = await baseline(p);
    deleteForGood(ids[0]!);
    fake.faults.push({ route: 'logs', page: 1, status: 500 });
    const run = await p.run({ cursor });
    const { error, events } = await collectUntilError(run);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(/System Log/);
    expect(events).toEqual([]); // failed before listing anything
    expect(() => run.nextCursor()).toThrow();
  });

  it('reads a cursor written before the System Log (v1) from its users watermark', async () => {
    const p = createOktaProvider(fakeOktaContext(fake));
    const { ids, cursor } = await baseline(p);
    deleteForGood(ids[0]!);
    const { users, groups } = cursor as { users: string; groups: string };
    const run = await p.run({ cursor: { v: 1, users, groups } });
    expect(run.mode).toBe('delta');
    expect(removals((await collect(run)).events)).toEqual([{ type: 'user.removed', externalId: ids[0], reason: 'deleted' }]);
  });
});

describe('when the System Log cannot be read, a delta runs as a full listing', () => {
  it('an API token whose admin may not read it (403)', async () => {
    const p = createOktaProvider(fakeOktaContext(fake));
    const { ids, cursor } = await baseline(p);
    fake.permissions.logs = false;
    deleteForGood(ids[0]!);
    const run = await p.run({ cursor });
    const { events } = await collect(run);
    expect(run.mode).toBe('full');
    expect(usersOf(events).map((u) => u.externalId)).toEqual([ids[1]]);
    expect((run.nextCursor() as { v: number }).v).toBe(2);
  });

  it('an OAuth service app not granted okta.logs.read (its own token request is refused), which still syncs', async () => {
    const p = createOktaProvider(oauth('0oanologs'));
    const { ids, cursor } = await baseline(p, 2, false);
    deleteForGood(ids[0]!);
    const run = await p.run({ cursor });
    const { events } = await collect(run);
    expect(run.mode).toBe('full');
    expect(usersOf(events).map((u) => u.externalId)).toEqual([ids[1]]);
    expect(fake.requestsTo('logs')).toHaveLength(0);
  });

  it('a cursor older than the 90 days the System Log keeps', async () => {
    const p = createOktaProvider(fakeOktaContext(fake));
    const old = new Date(Date.now() - 95 * 24 * 3600_000).toISOString();
    const run = await p.run({ cursor: { v: 2, users: old, groups: old, logs: old } });
    expect(run.mode).toBe('full');
    await collect(run);
    expect(fake.requestsTo('logs')).toHaveLength(0);
  });
});

describe('connection test', () => {
  it('checks the System Log with an OAuth service app granted okta.logs.read', async () => {
    const result = await createOktaProvider(oauth('0oafull')).test();
    expect(result).toEqual({ ok: true, checks: [
      { name: 'OAuth service app 0oafull', ok: true }, { name: 'read users', ok: true }, { name: 'read groups', ok: true }, { name: 'read the System Log', ok: true },
    ] });
  });

  it('names okta.logs.read when the service app lacks it, and what that costs', async () => {
    const result = await createOktaProvider(oauth('0oanologs')).test();
    expect(result.ok).toBe(false);
    expect(result.checks.find((c) => c.name === 'read users')).toMatchObject({ ok: true });
    const check = result.checks.find((c) => c.name === 'read the System Log');
    expect(check).toMatchObject({ ok: false });
    expect(check!.detail).toMatch(/okta\.logs\.read/);
    expect(check!.detail).toMatch(/full listings/);
  });

  it('names the missing admin permission of an API token (403)', async () => {
    fake.permissions.logs = false;
    const result = await createOktaProvider(fakeOktaContext(fake)).test();
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([['API token', true], ['read users', true], ['read groups', true], ['read the System Log', false]]);
    expect(result.checks[3]!.detail).toMatch(/cannot read the System Log/);
  });
});

describe('the fake System Log (Okta wire contract)', () => {
  const get = async (query: Record<string, string>) => {
    const res = await fetch(`${fake.url}/api/v1/logs?${new URLSearchParams(query)}`, { headers: { Authorization: 'SSWS test-token' } });
    return { status: res.status, body: (await res.json()) as Array<Record<string, unknown>>, next: /rel="next"/.test(res.headers.get('link') ?? '') };
  };

  it('filters by eventType and time, pages by limit, and gives a polling request a next link even when empty', async () => {
    const d = fake.directory;
    const start = new Date(d.now() - 1000).toISOString();
    const u = d.addUser({ profile: { login: 'a@example.com' } }).id;
    const g = d.addGroup({ name: 'G' }).id;
    d.suspend(u);
    deleteForGood(u);
    d.deleteGroup(g);
    const all = await get({ since: start });
    expect(all.body.map((e) => e.eventType)).toEqual(['user.lifecycle.suspend', 'user.lifecycle.deactivate', 'user.lifecycle.delete.initiated', 'group.lifecycle.delete']);
    expect(all.next).toBe(true); // polling
    const deletes = await get({ since: start, filter: LOG_FILTER, limit: '1' });
    expect(deletes.body.map((e) => (e.target as Array<{ id: string }>)[0]!.id)).toEqual([u]);
    const until = new Date(d.now() + 1000).toISOString();
    const bounded = await get({ since: start, until, filter: LOG_FILTER });
    expect(bounded.body).toHaveLength(2);
    expect(bounded.next).toBe(false); // bounded: no more
    expect(await get({ since: new Date(d.now() + 60_000).toISOString() })).toMatchObject({ body: [], next: true });
    expect((await get({ since: 'yesterday' })).status).toBe(400);
    expect((await get({ limit: '5000' })).status).toBe(400);
  });
});
