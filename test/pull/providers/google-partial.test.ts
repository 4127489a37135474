/**
 * What the Google provider reads over the wire: partial responses (`fields`)
 * lose nothing it maps, a connection with expressions still gets whole
 * users, and answers Google compresses (it does when asked, and googleapis
 * asks) are read like plain ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryEvent, DirectoryUser } from '../../../src/pull/providers/types.js';
import { startFakeGoogle, type FakeGoogleServer } from '../../fakes/google/index.js';
import { collectPages, connectToFake } from '../../fakes/google/harness.js';

function seed(fake: FakeGoogleServer): void {
  const dir = fake.directory;
  for (let i = 0; i < 620; i++) {
    dir.addUser({
      orgUnitPath: i % 2 ? '/Sales' : '/',
      organizations: [{ title: `T${i}`, department: 'D', costCenter: `C${i % 7}`, primary: true }],
      externalIds: [{ value: `E${i}`, type: 'organization' }],
      phones: i % 3 ? [] : [{ value: `+1 555 ${i}`, type: 'work', primary: true }],
      relations: i % 5 ? undefined : [{ value: 'boss@example.com', type: 'manager' }],
      recoveryEmail: `r${i}@home.example`,
    });
  }
  dir.suspendUser(dir.addUser().id);
  const group = dir.addGroup({ description: 'the only group' });
  for (let i = 1; i <= 250; i++) dir.addMember(group.id, { user: `user${i}@example.com` });
  dir.deleteUser(dir.addUser().id);
}

const usersOf = (events: DirectoryEvent[]): DirectoryUser[] =>
  events.filter((e): e is Extract<DirectoryEvent, { type: 'user' }> => e.type === 'user').map((e) => e.user);

describe('Google provider: partial responses', () => {
  let fake: FakeGoogleServer;

  beforeAll(async () => {
    fake = await startFakeGoogle();
    seed(fake);
  });
  afterAll(() => fake.close());

  it('maps the same users, groups and members from partial answers as from whole records', async () => {
    const partial = (await collectPages(await connectToFake(fake).provider.run({ cursor: null }))).flat();
    fake.resetRequests();
    // Expressions read the raw record: that connection asks for whole users.
    const whole = (await collectPages(await connectToFake(fake, { sourceAttributes: ['isAdmin'] }).provider.run({ cursor: null }))).flat();
    const liveUsers = fake.requests.filter((r) => r.endpoint === 'users' && r.query.showDeleted !== 'true');
    expect(liveUsers.length).toBeGreaterThan(1);
    expect(liveUsers.every((r) => r.query.fields === undefined)).toBe(true);
    const wholeUsers = usersOf(whole);
    expect(wholeUsers[0]!.source).toMatchObject({ kind: 'admin#directory#user', isAdmin: expect.any(Boolean), creationTime: expect.any(String) });
    expect(usersOf(partial)[0]!.source).toBeUndefined();
    expect(usersOf(partial)).toEqual(wholeUsers.map(({ source: _source, ...user }) => user));
    expect(usersOf(partial).some((u) => u.active === false)).toBe(true);
    expect(partial.filter((e) => e.type !== 'user')).toEqual(whole.filter((e) => e.type !== 'user'));
    expect(partial.some((e) => e.type === 'user.removed')).toBe(true);
  });
});

describe('Google provider: compressed answers', () => {
  let fake: FakeGoogleServer;

  beforeAll(async () => {
    fake = await startFakeGoogle({ gzip: true });
    seed(fake);
  });
  afterAll(() => fake.close());

  it('reads gzip answers, errors included, as plain ones', async () => {
    fake.addFault({ endpoint: 'members', kind: 'userRateLimitExceeded' });
    const { provider, stats } = connectToFake(fake);
    const events = (await collectPages(await provider.run({ cursor: null }))).flat();
    const api = fake.requests.filter((r) => r.endpoint !== 'token');
    expect(api.length).toBeGreaterThan(3);
    expect(api.every((r) => r.encoding === 'gzip')).toBe(true);
    // The throttle's reason was read from a compressed error body: retried, counted, then listed.
    expect(stats.throttled).toBe(1);
    expect(usersOf(events)).toHaveLength(622);
    const members = events.filter((e): e is Extract<DirectoryEvent, { type: 'members' }> => e.type === 'members');
    expect(members.flatMap((e) => e.userExternalIds)).toHaveLength(250);
  });
});
