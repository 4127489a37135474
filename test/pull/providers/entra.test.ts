/**
 * The Entra provider through the real Graph SDK and @azure/identity against the
 * fake Entra/Graph server (HTTPS, test CA from test/fakes/tls-setup.ts): what
 * is Graph's own ($select, deltaLinks, 410, AADSTS codes, the retry budget,
 * national-cloud hosts). What every provider does is in ./contract.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors/index.js';
import { ProviderError, type DirectoryEvent } from '../../../src/pull/providers/types.js';
import { FakeEntra } from '../../fakes/entra/index.js';
import { collect, entraProvider, membersOf, sampleTenant, type SampleTenant } from '../../fakes/entra/harness.js';

let fake: FakeEntra;
let t: SampleTenant;

beforeEach(async () => {
  fake = await FakeEntra.start({ objectsPerPage: 200, linksPerPage: 500 });
  t = sampleTenant(fake.directory, 696); // 700 users; Everyone has 700 links: two groups/delta pages
});

afterEach(async () => {
  await fake.close();
});

const flat = (pages: DirectoryEvent[][]) => pages.flat();
const usersIn = (events: DirectoryEvent[]) => events.flatMap((e) => (e.type === 'user' ? [e.user] : []));

describe('a full run', () => {
  it('maps Graph extras to SCIM profile fields, a user without a mailbox to email null, and ends with both deltaLinks as the cursor', async () => {
    const { provider } = entraProvider(fake);
    const run = await provider.run({ cursor: null });
    const users = usersIn(flat(await collect(run)));
    expect(users.find((u) => u.externalId === t.alice)).toEqual({
      externalId: t.alice, userName: 'alice.liddell@contoso.example', email: 'alice.liddell@contoso.example',
      displayName: 'alice.liddell', givenName: 'alice', familyName: 'liddell', active: true,
      profile: {
        title: 'Engineer', phoneNumbers: [{ value: '+44 7700 900001', type: 'mobile' }],
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D', employeeNumber: 'E1' },
      },
    });
    expect(users.find((u) => u.externalId === t.dave)!.email).toBeNull();
    const cursor = run.nextCursor() as { users: string; groups: string };
    expect(cursor.users).toMatch(new RegExp(`^${fake.url}/v1\\.0/users/delta\\?\\$deltatoken=`));
    expect(cursor.groups).toMatch(new RegExp(`^${fake.url}/v1\\.0/groups/delta\\?\\$deltatoken=`));
  });

  it('selects only the fields it maps, accountEnabled included', async () => {
    const { provider } = entraProvider(fake);
    await collect(await provider.run({ cursor: null }));
    const first = fake.requests.find((r) => r.path === '/v1.0/users/delta')!;
    expect(first.query.get('$select')!.split(',').sort()).toEqual([
      'accountEnabled', 'department', 'displayName', 'employeeId', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'surname', 'userPrincipalName',
    ]);
    expect(fake.requests.find((r) => r.path === '/v1.0/groups/delta')!.query.get('$select')).toBe('displayName,members');
  });
});

describe('a delta run', () => {
  async function baseline() {
    const { provider, stats } = entraProvider(fake);
    const run = await provider.run({ cursor: null });
    await collect(run);
    return { provider, stats, cursor: run.nextCursor() };
  }

  it('returns only the changes since the cursor, with soft and hard deletes told apart', async () => {
    const { provider, cursor } = await baseline();
    const d = fake.directory;
    d.updateUser(t.alice, { displayName: 'Alice Pleasance Liddell' });
    d.disableUser(t.carol);
    d.softDeleteUser(t.dave);
    d.hardDeleteUser(t.crowd[0]!);
    d.removeMember(t.engineering, t.bob);
    d.addMember(t.platform, t.alice);
    const ops = d.addGroup({ displayName: 'Ops' }).id;
    d.addMember(ops, t.bob);
    d.deleteGroup(t.everyone);

    const run = await provider.run({ cursor });
    expect(run.mode).toBe('delta');
    const events = flat(await collect(run));
    expect(usersIn(events).map((u) => [u.externalId, u.displayName, u.active])).toEqual([
      [t.alice, 'Alice Pleasance Liddell', true],
      [t.carol, "carol.o'neil", false],
    ]);
    expect(events).toContainEqual({ type: 'user.removed', externalId: t.dave, reason: 'soft-deleted' });
    expect(events).toContainEqual({ type: 'user.removed', externalId: t.crowd[0], reason: 'deleted' });
    expect(events).toContainEqual({ type: 'members', groupExternalId: t.engineering, mode: 'remove', userExternalIds: [t.bob], groupExternalIds: [] });
    expect(events).toContainEqual({ type: 'members', groupExternalId: t.platform, mode: 'add', userExternalIds: [t.alice], groupExternalIds: [] });
    expect(events).toContainEqual({ type: 'group', group: { externalId: ops, displayName: 'Ops' } });
    expect(events).toContainEqual({ type: 'members', groupExternalId: ops, mode: 'add', userExternalIds: [t.bob], groupExternalIds: [] });
    expect(events).toContainEqual({ type: 'group.removed', externalId: t.everyone });
    expect(events.filter((e) => e.type === 'user' || e.type === 'user.removed')).toHaveLength(4);
    expect(run.nextCursor()).not.toEqual(cursor);
  });

  it.each([400, 410] as const)('starts a full round and says so when Graph rejects the deltaLink (%i)', async (status) => {
    const { provider, cursor } = await baseline();
    fake.expireDeltaTokens({ status });
    const run = await provider.run({ cursor });
    expect(run.mode).toBe('full');
    const events = flat(await collect(run));
    expect(usersIn(events)).toHaveLength(700);
    expect(membersOf(events).get(t.everyone)!.modes[0]).toBe('set');
    expect(fake.requests.filter((r) => r.status === status)).toHaveLength(2); // both deltaLinks were tried
  });
});

describe('failures', () => {
  it('waits out a burst of throttled answers on one page, more than the SDK\'s three retries, within the throttle budget', async () => {
    const { provider, stats } = entraProvider(fake, { settings: { retryDelayMs: 1, throttleBudgetSeconds: 5 } });
    fake.throttle({ times: 6, retryAfterSeconds: 0, match: /users\/delta/ });
    const events = flat(await collect(await provider.run({ cursor: null })));
    expect(usersIn(events)).toHaveLength(700);
    expect(stats.throttled).toBe(6);
  });

  it('gives up with rate-limited once the run\'s throttle budget cannot cover the next wait', async () => {
    // Retry-After: 0, so the waits are the floor: 5, 10, 20, 40, 80 ms (155 ms); the next 160 ms would pass 200 ms.
    const { provider, stats } = entraProvider(fake, { settings: { retryDelayMs: 5, throttleBudgetSeconds: 0.2 } });
    fake.throttle({ times: 100, retryAfterSeconds: 0, match: /users\/delta/ });
    const run = await provider.run({ cursor: null });
    const err = await collect(run).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('rate-limited');
    expect(stats.throttled).toBe(6); // the first try and five retries
  });

  it('retries a 500 and a dropped connection on a page, then completes the listing', async () => {
    const { provider } = entraProvider(fake, { settings: { retryDelayMs: 1 } });
    fake.failPage({ resource: 'users', page: 2, status: 500, times: 1 });
    fake.failPage({ resource: 'users', page: 3, drop: true, times: 1 });
    const events = flat(await collect(await provider.run({ cursor: null })));
    expect(usersIn(events)).toHaveLength(700);
    expect(fake.pendingPageFaults()).toBe(0); // both faults were met
  });

  it('reports a wrong client secret as an auth error carrying the AADSTS code', async () => {
    const { provider } = entraProvider(fake, { secrets: { clientSecret: 'wrong' } });
    const err = await collect(await provider.run({ cursor: null })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'auth' });
    expect((err as Error).message).toContain('AADSTS7000215');
    const result = await provider.test();
    expect(result.ok).toBe(false);
    expect(result.checks).toHaveLength(1);
    expect(result.checks[0]!.detail).toContain('AADSTS7000215');
  });

  it('times out a request that never gets an answer', async () => {
    const { provider } = entraProvider(fake, { settings: { requestTimeoutMs: 300 } });
    fake.hang({ match: /groups\/delta/ });
    const err = await collect(await provider.run({ cursor: null })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'network' });
  });
});

describe('test()', () => {
  it('passes all three checks with a consented app', async () => {
    const result = await entraProvider(fake).provider.test();
    expect(result.checks.map((c) => [c.name.split(' ')[0], c.ok])).toEqual([['sign', true], ['read', true], ['read', true]]);
    expect(result.ok).toBe(true);
  });

  it('names the missing application permission', async () => {
    fake.revoke('User.Read.All');
    const noUsers = await entraProvider(fake).provider.test();
    expect(noUsers.ok).toBe(false);
    expect(noUsers.checks[1]).toMatchObject({ ok: false, detail: 'Graph application permission User.Read.All is not granted (admin consent)' });
    expect(noUsers.checks[2]!.ok).toBe(true);
    fake.grant('User.Read.All');
    fake.revoke('Group.Read.All');
    const noGroups = await entraProvider(fake).provider.test();
    expect(noGroups.checks[2]!.detail).toMatch(/Group\.Read\.All .*not granted/);
  });
});

describe('fetchUser', () => {
  it('finds a user by userName (quotes escaped) with direct and nested groups', async () => {
    const found = await entraProvider(fake).provider.fetchUser({ userName: "carol.o'neil@contoso.example" });
    expect(found!.user.externalId).toBe(t.carol);
    expect(found!.groups.map((g) => g.displayName).sort()).toEqual(['Engineering', 'Everyone', 'Platform']);
    expect(fake.requests.find((r) => r.path === '/v1.0/users')!.query.get('$filter')).toBe("userPrincipalName eq 'carol.o''neil@contoso.example'");
  });

  it('keeps its parallel calls within the connection concurrency', async () => {
    fake.setLatency(50);
    await entraProvider(fake, { concurrency: 1 }).provider.fetchUser({ externalId: t.alice });
    expect(fake.maxInFlight).toBe(1);
    fake.resetLog();
    await entraProvider(fake, { concurrency: 2 }).provider.fetchUser({ externalId: t.alice });
    expect(fake.maxInFlight).toBe(2);
  });
});

describe('configuration', () => {
  it('signs in at the configured authority host and scopes the token to the configured Graph host', async () => {
    // The fake is a "national cloud": neither host is Microsoft's public one.
    await entraProvider(fake).provider.test();
    expect(fake.count(new RegExp(`^/${fake.tenantId}/v2\\.0/\\.well-known/openid-configuration$`))).toBe(1);
    expect(fake.requests.filter((r) => r.kind === 'graph').every((r) => r.status === 200)).toBe(true);
  });

  it('maps the attributes named in attributeMapping and selects them', async () => {
    const { provider } = entraProvider(fake, { settings: { attributeMapping: { userName: 'employeeId', displayName: 'jobTitle' } } });
    const found = await provider.fetchUser({ userName: 'E1' });
    expect(found!.user).toMatchObject({ externalId: t.alice, userName: 'E1', displayName: 'Engineer' });
    const select = fake.requests.find((r) => r.path === '/v1.0/users')!.query.get('$select')!.split(',');
    expect(select).toEqual(expect.arrayContaining(['employeeId', 'jobTitle']));
    expect(select).not.toContain('displayName');
  });

  it('rejects a mapping that is not a Graph property name', () => {
    expect(() => entraProvider(fake, { settings: { attributeMapping: { email: 'mail,id' } } })).toThrow(ConfigError);
  });
});
