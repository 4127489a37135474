/**
 * What is JumpCloud's own, beyond the shared contract: the headers the key
 * travels in, paging by totalCount and by short pages, the Directory
 * Insights delta (search_after paging, the events it reads, its fallback to
 * full listings), a listing that shifts under skip paging, and Retry-After.
 * The provider's REST client talks HTTP to the fake (test/fakes/jumpcloud/).
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { createJumpCloudProvider } from '../../../src/pull/providers/jumpcloud/index.js';
import { EVENTS_PAGE } from '../../../src/pull/providers/jumpcloud/insights.js';
import type { DirectoryEvent, DirectoryRun, ProviderContext } from '../../../src/pull/providers/types.js';
import { fakeJumpCloudContext, startFakeJumpCloud, type FakeJumpCloud } from '../../fakes/jumpcloud/index.js';

let fake: FakeJumpCloud;
beforeEach(async () => {
  fake = await startFakeJumpCloud();
});
afterEach(() => fake.close());

async function read(run: DirectoryRun): Promise<{ events: DirectoryEvent[]; error: unknown }> {
  const events: DirectoryEvent[] = [];
  try {
    for await (const page of run.pages) events.push(...page);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

/** A logger that keeps what it was told, to check what the log says. */
function recordingContext(settings: Record<string, unknown> = {}): { context: ProviderContext; lines: string[] } {
  const lines: string[] = [];
  const context = fakeJumpCloudContext(fake, { settings });
  context.logger = winston.createLogger({
    transports: [new winston.transports.Stream({ stream: new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }) })],
  });
  return { context, lines };
}

const addUsers = (n: number) => Array.from({ length: n }, (_, i) => fake.org.addUser({ username: `user${i}`, email: `user${i}@example.test` })._id);

/** Time passing (what was seeded is older than the watermark overlap), a full run, and the cursor it gave. */
async function baseline(context: ProviderContext): Promise<unknown> {
  fake.org.advance(10 * 60_000);
  const provider = createJumpCloudProvider(context);
  const run = await provider.run({ cursor: null });
  const { error } = await read(run);
  expect(error).toBeUndefined();
  return JSON.parse(JSON.stringify(run.nextCursor())) as unknown;
}

describe('the JumpCloud API key', () => {
  it('travels as x-api-key, with x-org-id when orgId is set, on the console API and Directory Insights alike', async () => {
    await fake.close();
    fake = await startFakeJumpCloud({ orgId: 'org-42' });
    fake.org.addUser({ username: 'ann' });
    const context = fakeJumpCloudContext(fake, { settings: { orgId: 'org-42' } });
    const cursor = await baseline(context);
    await read(await createJumpCloudProvider(context).run({ cursor }));
    expect(new Set(fake.requests.map((r) => r.route))).toEqual(new Set(['users', 'groups', 'events']));
    expect(fake.requests.every((r) => r.headers['x-api-key'] === 'test-key' && r.headers['x-org-id'] === 'org-42')).toBe(true);
  });

  it('is refused for another organisation than the one named: an auth error that says what to check', async () => {
    await fake.close();
    fake = await startFakeJumpCloud({ orgId: 'org-42' });
    const { error } = await read(await createJumpCloudProvider(fakeJumpCloudContext(fake)).run({ cursor: null }));
    expect(error).toMatchObject({ name: 'ProviderError', kind: 'auth', status: 401, message: expect.stringMatching(/orgId/) });
  });
});

describe('paging', () => {
  it('reads users with limit=100, sort=_id and only the fields it maps, and stops at totalCount: 100 users cost one request', async () => {
    addUsers(100);
    await read(await createJumpCloudProvider(fakeJumpCloudContext(fake, { settings: { attributeMapping: { userName: 'employeeIdentifier' } } })).run({ cursor: null }));
    const users = fake.requestsTo('users');
    expect(users).toHaveLength(1);
    expect(users[0]!.query).toMatchObject({ limit: '100', skip: '0', sort: '_id' });
    expect(users[0]!.query.fields!.split(' ')).toEqual(expect.arrayContaining(['username', 'email', 'state', 'account_locked', 'employeeIdentifier']));
  });

  it('ends a bare-array listing on a short page: 100 groups cost two requests, the second empty', async () => {
    for (let i = 0; i < 100; i++) fake.org.addGroup({ name: `g${i}` });
    const { events } = await read(await createJumpCloudProvider(fakeJumpCloudContext(fake)).run({ cursor: null }));
    expect(events.filter((e) => e.type === 'group')).toHaveLength(100);
    expect(fake.requestsTo('groups').map((r) => r.query.skip)).toEqual(['0', '100']);
  });

  it('refuses a user listing whose count fell between two pages (skip paging may have passed over a user): nothing looks complete', async () => {
    const ids = addUsers(5);
    const run = await createJumpCloudProvider(fakeJumpCloudContext(fake, { settings: { pageSize: 2 } })).run({ cursor: null });
    const pages = run.pages[Symbol.asyncIterator]();
    await pages.next();
    fake.org.deleteUser(ids[0]!); // every later user moves back one place: the first of page 2 would be skipped
    await expect(pages.next()).rejects.toMatchObject({ name: 'ProviderError', kind: 'bad-response', message: expect.stringMatching(/deleted while the listing was read/) });
    expect(() => run.nextCursor()).toThrow();
  });
});

describe('the Directory Insights delta', () => {
  it('asks for the directory service from the watermark, oldest first, and follows X-Search_after past a full page', async () => {
    const [ann] = addUsers(1);
    const cursor = await baseline(fakeJumpCloudContext(fake));
    // A busy log: a full page of events the delta does not act on, then the change.
    for (let i = 0; i < EVENTS_PAGE; i++) fake.org.record({ event_type: 'user_login_attempt' });
    fake.org.advance(1000);
    fake.org.updateUser(ann!, { displayname: 'Ann Renamed' });
    fake.requests.splice(0);
    const run = await createJumpCloudProvider(fakeJumpCloudContext(fake)).run({ cursor });
    const { events, error } = await read(run);
    expect(error).toBeUndefined();
    expect(run.mode).toBe('delta');
    expect(events).toEqual([{ type: 'user', user: expect.objectContaining({ externalId: ann, displayName: 'Ann Renamed' }) }]);
    const reads = fake.requestsTo('events');
    expect(reads).toHaveLength(2);
    expect(reads[0]!.body).toMatchObject({ service: ['directory'], sort: 'ASC', limit: EVENTS_PAGE, start_time: (cursor as { since: string }).since });
    expect(reads[0]!.body).not.toHaveProperty('search_after');
    expect((reads[1]!.body as { search_after: unknown }).search_after).toEqual(expect.any(Array));
    expect(fake.requestsTo('user')).toHaveLength(1); // the one changed user, read by id
  });

  it('reads a renamed group, and a new group with its members, from group_update and group_create', async () => {
    const [ann] = addUsers(1);
    const team = fake.org.addGroup({ name: 'Team' });
    const cursor = await baseline(fakeJumpCloudContext(fake));
    fake.org.updateGroup(team.id, { name: 'Team Renamed' });
    const ops = fake.org.addGroup({ name: 'Ops' });
    fake.org.addMember(ops.id, ann!);
    const { events } = await read(await createJumpCloudProvider(fakeJumpCloudContext(fake)).run({ cursor }));
    expect(events).toEqual(expect.arrayContaining([
      { type: 'group', group: expect.objectContaining({ externalId: team.id, displayName: 'Team Renamed' }) },
      { type: 'group', group: expect.objectContaining({ externalId: ops.id, displayName: 'Ops' }) },
      { type: 'members', groupExternalId: ops.id, mode: 'set', userExternalIds: [ann], groupExternalIds: [] },
    ]));
  });

  it('ignores an event whose change failed', async () => {
    const [ann] = addUsers(1);
    const cursor = await baseline(fakeJumpCloudContext(fake));
    fake.org.record({ event_type: 'user_delete', success: false, resource: { id: ann!, type: 'user' } });
    const { events } = await read(await createJumpCloudProvider(fakeJumpCloudContext(fake)).run({ cursor }));
    expect(events).toEqual([]);
  });

  it('lists every user instead of reading each when more changed than a listing costs', async () => {
    const ids = addUsers(12);
    const context = fakeJumpCloudContext(fake, { settings: { pageSize: 5 } });
    const cursor = await baseline(context);
    for (const id of ids) fake.org.updateUser(id, { displayname: 'Changed' });
    fake.requests.splice(0);
    const { events } = await read(await createJumpCloudProvider(context).run({ cursor }));
    expect(events.filter((e) => e.type === 'user')).toHaveLength(12);
    expect(fake.requestsTo('user')).toHaveLength(0);
    expect(fake.requestsTo('users')).toHaveLength(1 + 3); // the count, then ceil(12 / 5) pages
  });

  it.each([401, 403, 404] as const)('runs full when Directory Insights answers %i, and says so in the log and the connection test', async (status) => {
    addUsers(2);
    const { context, lines } = recordingContext();
    const cursor = await baseline(context);
    fake.permissions.insights = status;
    const provider = createJumpCloudProvider(context);
    const run = await provider.run({ cursor });
    const { events, error } = await read(run);
    expect(error).toBeUndefined();
    expect(run.mode).toBe('full');
    expect(events.filter((e) => e.type === 'user')).toHaveLength(2);
    expect(lines.join('\n')).toMatch(/Directory Insights not readable: deltas run as full listings/);
    const test = await provider.test();
    expect(test.ok).toBe(false);
    expect(test.checks.filter((c) => !c.ok)).toEqual([{ name: 'read Directory Insights', ok: false, detail: expect.stringMatching(new RegExp(`HTTP ${status}.*deltas run as full listings`)) }]);
  });

  it('runs full from a cursor older than the 15 days Insights keeps on the smallest plan', async () => {
    addUsers(1);
    const { context, lines } = recordingContext();
    const run = await createJumpCloudProvider(context).run({ cursor: { v: 1, since: new Date(Date.now() - 20 * 24 * 3600_000).toISOString() } });
    await read(run);
    expect(run.mode).toBe('full');
    expect(fake.requestsTo('events')).toHaveLength(0);
    expect(lines.join('\n')).toMatch(/older than the 15 days/);
  });

  it('fails the delta, with no cursor, when a later Insights page keeps failing', async () => {
    addUsers(1);
    const cursor = await baseline(fakeJumpCloudContext(fake));
    for (let i = 0; i < EVENTS_PAGE + 1; i++) fake.org.record({ event_type: 'user_login_attempt' });
    fake.faults.push({ route: 'events', page: 2, status: 500 });
    const run = await createJumpCloudProvider(fakeJumpCloudContext(fake, { settings: { serverErrorRetries: 1 } })).run({ cursor });
    const { error } = await read(run);
    expect(error).toMatchObject({ name: 'ProviderError', kind: 'bad-response', status: 500 });
    expect(() => run.nextCursor()).toThrow();
  });
});

describe('throttling', () => {
  it('waits as long as a Retry-After in seconds asks, within the throttle budget, and counts it', async () => {
    addUsers(1);
    fake.faults.push({ route: 'users', status: 429, retryAfter: 1, times: 1 });
    const context = fakeJumpCloudContext(fake);
    const started = Date.now();
    const { error } = await read(await createJumpCloudProvider(context).run({ cursor: null }));
    expect(error).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(980);
    expect(context.stats).toEqual({ apiRequests: 3, throttled: 1 }); // users twice, groups once
  });

  it('gives up at once, rate-limited, when the wait asked for is longer than the budget', async () => {
    addUsers(1);
    fake.faults.push({ route: 'users', status: 429, retryAfter: 30 });
    const started = Date.now();
    const { error } = await read(await createJumpCloudProvider(fakeJumpCloudContext(fake, { settings: { throttleBudgetSeconds: 5 } })).run({ cursor: null }));
    expect(error).toMatchObject({ name: 'ProviderError', kind: 'rate-limited', status: 429 });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('the one-user lookup', () => {
  it('answers null for an externalId JumpCloud could not have issued, without asking', async () => {
    const provider = createJumpCloudProvider(fakeJumpCloudContext(fake));
    expect(await provider.fetchUser({ externalId: '../usergroups' })).toBeNull();
    expect(fake.requests).toEqual([]);
  });

  it('finds by userName with an exact-match search, and refuses to guess between two matches', async () => {
    fake.org.addUser({ username: 'ann', employeeIdentifier: 'E-1' });
    fake.org.addUser({ username: 'bob', employeeIdentifier: 'E-1' });
    const provider = createJumpCloudProvider(fakeJumpCloudContext(fake, { settings: { attributeMapping: { userName: 'employeeIdentifier' } } }));
    await expect(provider.fetchUser({ userName: 'E-1' })).rejects.toMatchObject({ kind: 'bad-response', message: expect.stringMatching(/several JumpCloud users/) });
    const search = fake.requestsTo('searchUsers')[0]!;
    expect(search.method).toBe('POST');
    expect(search.body).toMatchObject({ filter: { and: [{ employeeIdentifier: 'E-1' }] } });
    expect(search.query).toMatchObject({ limit: '2' });
  });
});
