/**
 * The Zitadel provider's change detection: the admin events API read by
 * creation date from the cursor's watermark, paged past 1,000 events, and the
 * fallbacks to a full listing (events refused, a project removed), through
 * the real client against the fake instance.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createZitadelProvider } from '../../../src/pull/providers/zitadel/index.js';
import { ProviderError } from '../../../src/pull/providers/types.js';
import { fakeZitadelContext, startFakeZitadel, type FakeZitadel } from '../../fakes/zitadel/index.js';
import { cursorOf, list, usersIn } from './contract/fixtures.js';

const OVERLAP_S = 120;
let fake: FakeZitadel;
let projectId: string;
let userIds: string[];

beforeEach(async () => {
  fake = await startFakeZitadel();
  projectId = fake.directory.addProject('App').id;
  fake.directory.addRole(projectId, 'admin');
  userIds = ['ann', 'bo', 'cy'].map((n) => fake.directory.addUser({ username: `${n}@acme.test`, displayName: n }).userId);
  fake.directory.grantRole(userIds[0]!, projectId, 'admin');
  fake.directory.advance(10 * 60_000);
});
afterEach(() => fake.close());

async function baseline() {
  const context = fakeZitadelContext(fake);
  const provider = createZitadelProvider(context);
  const full = await list({ provider });
  fake.requests.splice(0);
  return { provider, context, cursor: cursorOf(full) as { v: 1; since: string } };
}

describe('the events API delta', () => {
  it('hands out Zitadel\'s time at the listing\'s start, less the overlap, as the watermark', async () => {
    const { cursor } = await baseline();
    expect(cursor.v).toBe(1);
    const lag = fake.directory.now() - Date.parse(cursor.since);
    expect(lag).toBeGreaterThanOrEqual(OVERLAP_S * 1000);
    expect(lag).toBeLessThan(OVERLAP_S * 1000 + 5_000);
  });

  it('reads events from the watermark, ascending, and re-reads only the users that changed', async () => {
    const { provider, cursor } = await baseline();
    fake.directory.updateUser(userIds[1]!, { displayName: 'Bo Renamed' });
    const delta = await list({ provider }, { cursor });
    expect(delta.mode).toBe('delta');
    expect(usersIn(delta.events).map((u) => [u.externalId, u.displayName])).toEqual([[userIds[1], 'Bo Renamed']]);
    const events = fake.requests.filter((r) => r.route === 'events');
    // A short page is confirmed by one more from its last date, which brings nothing new: a
    // server whose own limit is below 1,000 would have answered more there.
    const last = events[1]?.body.from;
    expect(events.map((r) => r.body)).toEqual([
      { from: cursor.since, asc: true, limit: 1000, aggregateTypes: ['user', 'usergrant', 'project'] },
      { from: last, asc: true, limit: 1000, aggregateTypes: ['user', 'usergrant', 'project'] },
    ]);
    expect(Date.parse(String(last))).toBeGreaterThan(Date.parse(cursor.since));
    expect(fake.requests.find((r) => r.route === 'users')!.body.queries).toContainEqual({ inUserIdsQuery: { userIds: [userIds[1]] } });
    // No grant or role changed: groups are not listed again.
    expect(fake.requests.filter((r) => r.route === 'projects' || r.route === 'roles' || r.route === 'authorizations')).toEqual([]);
  });

  it('pages past 1,000 events by creation date and sees every change', async () => {
    const { provider, cursor } = await baseline();
    const many = Array.from({ length: 700 }, (_, i) => fake.directory.addUser({ username: `u${i}@acme.test` }).userId);
    // Events at distinct instants, so a page boundary falls between two creation dates.
    for (const id of many) {
      fake.directory.advance(1);
      fake.directory.updateUser(id, { displayName: 'changed' });
    }
    const delta = await list({ provider }, { cursor });
    expect(delta.error).toBeUndefined();
    // 1,000, then the rest from the last date, then the confirming page with nothing new.
    expect(fake.requests.filter((r) => r.route === 'events').length).toBe(3);
    expect(new Set(usersIn(delta.events).map((u) => u.externalId))).toEqual(new Set(many));
  });

  it('reads on past short pages when the server\'s own limit is below 1,000, and runs full when one date fills its page', async () => {
    await fake.close();
    fake = await startFakeZitadel({ maxPageSize: 5 });
    const ids = Array.from({ length: 12 }, (_, i) => fake.directory.addUser({ username: `p${i}@acme.test` }).userId);
    fake.directory.advance(10 * 60_000);
    const { provider, cursor } = await baseline();
    for (const id of ids) {
      fake.directory.advance(1);
      fake.directory.updateUser(id, { displayName: 'spread' });
    }
    const spread = await list({ provider }, { cursor });
    expect(spread.mode).toBe('delta');
    expect(new Set(usersIn(spread.events).filter((u) => u.displayName === 'spread').map((u) => u.externalId))).toEqual(new Set(ids));

    // Twelve changes at one instant, then one more: pages of 5 cannot be paged past that
    // instant, and the event after it shows the page was cut there.
    const again = cursorOf(spread);
    fake.directory.advance(1);
    for (const id of ids.slice(1)) fake.directory.updateUser(id, { displayName: 'same instant' });
    fake.directory.advance(1);
    fake.directory.updateUser(ids[0]!, { displayName: 'after' });
    const burst = await list({ provider }, { cursor: again });
    expect(burst.error).toBeUndefined();
    expect(burst.mode).toBe('full');
    expect(usersIn(burst.events).filter((u) => u.displayName === 'same instant')).toHaveLength(ids.length - 1);
  });

  it('reports a removed user as deleted and lists the groups again, since the grants went with it', async () => {
    const { provider, cursor } = await baseline();
    fake.directory.removeUser(userIds[0]!);
    const delta = await list({ provider }, { cursor });
    expect(delta.events).toContainEqual({ type: 'user.removed', externalId: userIds[0], reason: 'deleted' });
    expect(delta.events).toContainEqual({ type: 'members', groupExternalId: `${projectId}:admin`, mode: 'set', userExternalIds: [], groupExternalIds: [] });
  });

  it('runs a full listing when the credential may not read events (no IAM_OWNER_VIEWER), and still hands out a cursor', async () => {
    const { provider, cursor } = await baseline();
    fake.permissions.events = false;
    const run = await list({ provider }, { cursor });
    expect(run.error).toBeUndefined();
    expect(run.mode).toBe('full');
    expect(usersIn(run.events)).toHaveLength(3);
    expect(cursorOf(run)).toMatchObject({ v: 1 });
  });

  it('runs a full listing when a project was removed: its roles go without an event each', async () => {
    const { provider, cursor } = await baseline();
    fake.directory.removeProject(projectId);
    const run = await list({ provider }, { cursor });
    expect(run.mode).toBe('full');
    expect(run.events.some((e) => e.type === 'group')).toBe(false);
  });

  it('fails the delta, with no cursor, when the events API keeps failing: it does not pass for an empty delta', async () => {
    const { provider, cursor } = await baseline();
    fake.faults.push({ route: 'events', status: 500 });
    const run = await list({ provider }, { cursor });
    expect(run.error).toBeInstanceOf(ProviderError);
    expect(run.mode).toBe('delta');
    expect(run.cursor.ok).toBe(false);
  });
});
