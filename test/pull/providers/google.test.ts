/**
 * The Google Workspace provider through the real SDK (@googleapis/admin +
 * google-auth-library) against the fake Admin SDK Directory API: what is
 * Google's own (CUSTOMER members, the token URL, domain scope, delegation
 * diagnostics). What every provider does is in ./contract.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_GROUP_PREFIX } from '../../../src/pull/providers/google/index.js';
import type { DirectoryEvent, DirectoryUser } from '../../../src/pull/providers/types.js';
import { startFakeGoogle, type FakeGoogleServer, type FakeGroup, type FakeUser } from '../../fakes/google/index.js';
import { collectPages, connectToFake } from '../../fakes/google/harness.js';

type MembersEvent = Extract<DirectoryEvent, { type: 'members' }>;

describe('Google provider: a full listing', () => {
  let fake: FakeGoogleServer;
  let suspended: FakeUser;
  let deleted: FakeUser[];
  let big: FakeGroup;
  let child: FakeGroup;
  let events: DirectoryEvent[];

  beforeAll(async () => {
    fake = await startFakeGoogle();
    const dir = fake.directory;
    // 1,203 live users (3 pages of 500) + 2 deleted; 450 groups (3 pages of 200).
    for (let i = 0; i < 1204; i++) dir.addUser();
    suspended = dir.suspendUser(dir.addUser({ organizations: [{ title: 'CFO', department: 'Finance', primary: true }] }).id);
    dir.archiveUser(dir.addUser().id);
    deleted = [dir.addUser(), dir.addUser()];
    for (let g = 0; g < 449; g++) dir.addGroup();
    big = dir.addGroup({ name: 'Everyone-ish' });
    child = dir.listGroups()[0]!;
    const users = [...Array(1206)].map((_, i) => `user${i + 1}@example.com`);
    for (const email of users.slice(0, 450)) dir.addMember(big.id, { user: email });
    dir.addMember(big.id, { group: child.id });
    dir.addMember(big.id, { type: 'CUSTOMER' });
    dir.addMember(child.id, { user: suspended.id });
    for (const u of deleted) {
      dir.addMember(child.id, { user: u.id });
      dir.deleteUser(u.id);
    }
    const { provider } = connectToFake(fake); // adds the admin: 1,207 live users
    events = (await collectPages(await provider.run({ cursor: null }))).flat();
  }, 60_000);

  afterAll(() => fake.close());

  const usersOut = () => events.filter((e): e is Extract<DirectoryEvent, { type: 'user' }> => e.type === 'user').map((e) => e.user);
  const membersOf = (groupId: string) => events.filter((e): e is MembersEvent => e.type === 'members' && e.groupExternalId === groupId);

  it('asks for the customer’s users at Google’s page cap, basic projection (no custom field mapped)', () => {
    const userPages = fake.requests.filter((r) => r.endpoint === 'users' && r.query.showDeleted !== 'true');
    expect(userPages.length).toBeGreaterThan(1);
    expect(userPages.every((r) => r.query.maxResults === '500' && r.query.customer === 'my_customer' && r.query.projection === 'basic')).toBe(true);
  });

  it('asks for partial responses: the fields it maps of users, groups and members, only the ids of deleted users', () => {
    const fieldsOf = (endpoint: 'users' | 'groups' | 'members', deleted = false) =>
      new Set(fake.requests.filter((r) => r.endpoint === endpoint && (r.query.showDeleted === 'true') === deleted).map((r) => r.query.fields));
    expect(fieldsOf('users')).toEqual(new Set(['nextPageToken,users(id,primaryEmail,suspended,archived,orgUnitPath,organizations,externalIds,relations,phones,name)']));
    expect(fieldsOf('users', true)).toEqual(new Set(['nextPageToken,users(id)']));
    expect(fieldsOf('groups')).toEqual(new Set(['nextPageToken,groups(id,email,name,description)']));
    expect(fieldsOf('members')).toEqual(new Set(['nextPageToken,members(id,type)']));
  });

  it('maps the primary organization’s title and department to SCIM-shaped profile extras', () => {
    const byId = new Map(usersOut().map((u) => [u.externalId, u] as [string, DirectoryUser]));
    expect(byId.get(suspended.id)!.profile).toMatchObject({
      title: 'CFO',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Finance' },
    });
  });

  it('lists groups 200 to a page and each group’s members 200 to a page', () => {
    const groups = events.filter((e) => e.type === 'group');
    expect(groups).toHaveLength(451); // 450 + the synthetic customer group
    expect(fake.count('groups')).toBe(3);
    expect(fake.requests.filter((r) => r.endpoint === 'groups').every((r) => r.query.maxResults === '200')).toBe(true);
    expect(fake.requests.filter((r) => r.endpoint === 'members').every((r) => r.query.maxResults === '200')).toBe(true);
    expect(fake.count('members', (r) => r.path.includes(big.id))).toBe(3);
  });

  it('gives a group’s members as one set page then add pages, nested groups and the CUSTOMER member included', () => {
    const bigEvents = membersOf(big.id);
    // The group's last page says so: the reconciler may write a whole list while the listing goes on.
    expect(bigEvents.map((e) => [e.mode, e.last ?? false])).toEqual([['set', false], ['add', false], ['add', true]]);
    const userIds = bigEvents.flatMap((e) => e.userExternalIds);
    expect(userIds).toHaveLength(450);
    expect(bigEvents.flatMap((e) => e.groupExternalIds)).toEqual([child.id, CUSTOMER_GROUP_PREFIX + fake.directory.customerId]);
    // A deleted user is no longer a member anywhere.
    expect(membersOf(child.id)).toEqual([{ type: 'members', groupExternalId: child.id, mode: 'set', userExternalIds: [suspended.id], groupExternalIds: [], last: true }]);
    // Every group gets its `set`, empty ones too.
    const setGroups = new Set(events.filter((e): e is MembersEvent => e.type === 'members' && e.mode === 'set').map((e) => e.groupExternalId));
    expect(setGroups.size).toBe(451);
  });

  it('expands the CUSTOMER member as a synthetic group holding every live user', () => {
    const id = CUSTOMER_GROUP_PREFIX + fake.directory.customerId;
    expect(events.some((e) => e.type === 'group' && e.group.externalId === id)).toBe(true);
    const members = membersOf(id);
    expect(members[0]!.mode).toBe('set');
    expect(members.slice(1).every((e) => e.mode === 'add')).toBe(true);
    expect(new Set(members.flatMap((e) => e.userExternalIds))).toEqual(new Set(usersOut().map((u) => u.externalId)));
  });

  it('gets its token from the configured token URL, not Google’s', () => {
    expect(fake.count('token')).toBe(1);
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/token', status: 200 });
  });
});

describe('Google provider: one user, settings and connection test', () => {
  let fake: FakeGoogleServer;

  beforeAll(async () => {
    fake = await startFakeGoogle();
  });
  afterAll(() => fake.close());

  it('returns null for a user Google does not have, or deleted', async () => {
    const gone = fake.directory.addUser();
    fake.directory.deleteUser(gone.id);
    const { provider } = connectToFake(fake);
    expect(await provider.fetchUser({ email: 'nobody@example.com' })).toBeNull();
    expect(await provider.fetchUser({ externalId: gone.id })).toBeNull();
  });

  it('looks up a userName mapped to a custom field with a users.list search, quotes escaped', async () => {
    const user = fake.directory.addUser({ primaryEmail: 'dana@example.com', customSchemas: { HR: { login: "d'angelo" } } });
    const { provider } = connectToFake(fake, { settings: { attributeMapping: { userName: 'customSchemas.HR.login' } } });
    const found = await provider.fetchUser({ userName: "d'angelo" });
    expect(found?.user).toMatchObject({ externalId: user.id, userName: "d'angelo" });
    expect(fake.requests.find((r) => r.endpoint === 'users' && r.query.query)?.query).toMatchObject({ query: "HR.login='d\\'angelo'", projection: 'full' });
    expect(await provider.fetchUser({ userName: 'nobody' })).toBeNull();
  });

  it('lists one domain when `domain` is set instead of the customer', async () => {
    fake.directory.addUser({ primaryEmail: 'x@other.example' });
    fake.resetRequests();
    const { provider } = connectToFake(fake, { settings: { domain: 'other.example' } });
    const users = (await collectPages(await provider.run({ cursor: null }))).flat().filter((e) => e.type === 'user');
    expect(users.map((e) => e.type === 'user' && e.user.userName)).toEqual(['x@other.example']);
    expect(fake.requests.find((r) => r.endpoint === 'users')?.query).toMatchObject({ domain: 'other.example' });
    expect(fake.requests.find((r) => r.endpoint === 'users')?.query.customer).toBeUndefined();
  });

  it('passes the connection test when the token and both listings work', async () => {
    const result = await connectToFake(fake).provider.test();
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([['token', true], ['users.list', true], ['groups.list', true]]);
  });

  it('names the scopes not delegated to the client when the token is refused', async () => {
    const key = fake.createServiceAccount({ delegatedScopes: ['https://www.googleapis.com/auth/admin.directory.user.readonly'] });
    const result = await connectToFake(fake, { key }).provider.test();
    expect(result.ok).toBe(false);
    const token = result.checks.find((c) => c.name === 'token')!;
    expect(token.ok).toBe(false);
    expect(token.detail).toContain(`domain-wide delegation not granted for these scopes to client ${key.client_id}`);
    expect(token.detail).toContain('admin.directory.group.readonly');
    expect(token.detail).not.toContain('admin.directory.user.readonly');
  });

  it('fails a run with an auth error naming the scopes when delegation is missing', async () => {
    const key = fake.createServiceAccount({ delegatedScopes: [] });
    const run = await connectToFake(fake, { key }).provider.run({ cursor: null });
    await expect(collectPages(run)).rejects.toMatchObject({ name: 'ProviderError', kind: 'auth', message: expect.stringContaining('admin.directory.user.readonly') });
  });

  it('says which listing is refused when the admin may not read groups', async () => {
    fake.permissions.groups = false;
    try {
      const result = await connectToFake(fake).provider.test();
      expect(result.checks.map((c) => [c.name, c.ok])).toEqual([['token', true], ['users.list', true], ['groups.list', false]]);
      expect(result.checks[2]!.detail).toContain('admin.directory.group.readonly');
    } finally {
      fake.permissions.groups = true;
    }
  });
});
