/**
 * The fake Okta org's own wire contract, checked with plain fetch: what the
 * provider tests rely on must behave as Okta documents it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDirectory, startFakeOkta, type FakeOkta } from '../../fakes/okta/index.js';
import { parseQuery } from '../../fakes/okta/query.js';

let fake: FakeOkta;
beforeEach(async () => {
  fake = await startFakeOkta({ rateLimit: { limit: 3, windowMs: 60_000 } });
});
afterEach(async () => {
  await fake.close();
});

const get = (path: string, token = 'test-token') => fetch(`${fake.url}${path}`, { headers: { Authorization: `SSWS ${token}` } });

describe('fake Okta wire contract', () => {
  it('pages with self and next as two Link headers, capping users at 200', async () => {
    for (let i = 0; i < 250; i++) fake.directory.addUser({ profile: { login: `u${i}@example.com` } });
    const res = await get('/api/v1/users?limit=500');
    expect(((await res.json()) as unknown[]).length).toBe(200);
    const links = res.headers.get('link')!.split(', ');
    expect(links[0]).toMatch(/rel="self"$/);
    expect(links[1]).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/api\/v1\/users\?limit=200&after=[^>]+>; rel="next"$/);
    const next = /<([^>]+)>; rel="next"/.exec(links[1]!)![1]!;
    const second = await fetch(next, { headers: { Authorization: 'SSWS test-token' } });
    expect(((await second.json()) as unknown[]).length).toBe(50);
    expect(second.headers.get('link')).not.toMatch(/rel="next"/);
  });

  it('leaves DEPROVISIONED users out of the plain listing only', async () => {
    fake.directory.addUser({ profile: { login: 'a@example.com' } });
    fake.directory.addUser({ profile: { login: 'b@example.com' }, status: 'DEPROVISIONED' });
    expect(((await (await get('/api/v1/users')).json()) as unknown[]).length).toBe(1);
    const search = encodeURIComponent('status eq "DEPROVISIONED" or profile.login eq "a@example.com"');
    expect(((await (await get(`/api/v1/users?search=${search}`)).json()) as unknown[]).length).toBe(2);
  });

  it('rejects a filter on an attribute Okta cannot filter on (400 E0000031), which search accepts', async () => {
    const expr = encodeURIComponent('profile.department eq "Eng"');
    const res = await get(`/api/v1/users?filter=${expr}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errorCode: 'E0000031' });
    expect((await get(`/api/v1/users?search=${expr}`)).status).toBe(200);
  });

  it('sends rate-limit headers on every response and 429 E0000047 past the budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await get('/api/v1/groups');
      statuses.push(res.status);
      expect(res.headers.get('x-rate-limit-limit')).toBe('3');
      expect(Number(res.headers.get('x-rate-limit-reset'))).toBeGreaterThan(Date.now() / 1000);
      if (res.status === 429) expect(await res.json()).toMatchObject({ errorCode: 'E0000047' });
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('answers 401 E0000011 to an unknown token', async () => {
    const res = await get('/api/v1/users', 'nope');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
  });

  it('moves lastMembershipUpdated, not lastUpdated, when members change', async () => {
    const u = fake.directory.addUser({ profile: { login: 'a@example.com' } });
    const g = fake.directory.addGroup({ name: 'Eng', lastUpdated: '2024-01-01T00:00:00.000Z' });
    fake.directory.addMember(g.id, u.id);
    expect(g.lastUpdated).toBe(Date.parse('2024-01-01T00:00:00.000Z'));
    expect(g.lastMembershipUpdated).toBeGreaterThan(Date.now() - 5000);
    // Okta: DELETE deactivates first; only a DEPROVISIONED user is deleted, leaving its groups.
    expect(fake.directory.deleteUser(u.id)).toBe('deactivated');
    expect(g.members.has(u.id)).toBe(true);
    expect(fake.directory.deleteUser(u.id)).toBe('deleted');
    expect(g.members.has(u.id)).toBe(false);
  });
});

describe('fake Okta expressions', () => {
  it('supports and/or precedence, parentheses, dates and escaped quotes', () => {
    const q = parseQuery('status eq "ACTIVE" and (profile.email eq "a\\"b@x" or lastUpdated gt "2024-01-01T00:00:00.000Z")');
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    expect(q.value({ status: 'ACTIVE', profile: { email: 'a"b@x' }, lastUpdated: 0 })).toBe(true);
    expect(q.value({ status: 'ACTIVE', profile: { email: 'c@x' }, lastUpdated: Date.parse('2025-01-01') })).toBe(true);
    expect(q.value({ status: 'SUSPENDED', profile: { email: 'a"b@x' }, lastUpdated: 0 })).toBe(false);
    expect(parseQuery('status eq').ok).toBe(false);
  });
});

describe('generated directory', () => {
  it('builds 100,000 users, 5,000 groups and 500,000 memberships quickly, with groups large enough to page', () => {
    const started = Date.now();
    const d = generateDirectory({ users: 100_000, groups: 5_000, memberships: 500_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(d.users.size).toBe(100_000);
    const groups = [...d.groups.values()].filter((g) => g.type !== 'BUILT_IN');
    expect(groups).toHaveLength(5_000);
    expect(groups.reduce((n, g) => n + g.members.size, 0)).toBe(500_000);
    expect(groups.some((g) => g.members.size > 1000)).toBe(true);
    expect(new Set([...d.users.values()].map((u) => u.status)).size).toBe(8);
  });
});
