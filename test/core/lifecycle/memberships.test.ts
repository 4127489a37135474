/**
 * Membership adds and removes in bulk: the statements answer with counts, not
 * a row per membership, so these pin that the counts, the audit trail, the
 * SCIM display and the role recompute are still exact. Same suite on PGlite
 * and Postgres.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { applyChanges, type Actor, type LifecycleChange } from '../../../src/core/lifecycle/index.js';
import { encodeMembers, MEMBERS_PER_STATEMENT } from '../../../src/core/lifecycle/groups.js';
import { NotFoundError } from '../../../src/core/errors/index.js';
import { queryRows } from '../../../src/core/store/index.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { groupCreate, makeConnection, makeTenant, userCreate } from '../../support/factories.js';
import { countRows, rolesOf } from '../../support/inspect.js';

const sync: Actor = { type: 'sync', id: 'run' };
let store: TestStore;
let n = 0;
let tenantId: string;
let connectionId: string;

beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.close());

const apply = (changes: LifecycleChange[]) => applyChanges(store.db, { tenantId, actor: sync }, changes);

beforeEach(async () => {
  tenantId = (await makeTenant(store.db)).id;
  connectionId = (await makeConnection(store.db, tenantId, { kind: 'okta' })).id;
});

async function makeUsers(count: number): Promise<string[]> {
  const creates = Array.from({ length: count }, () => userCreate(connectionId, ++n));
  await apply(creates);
  return creates.map((c) => c.id!);
}

async function makeGroup(name: string): Promise<string> {
  const g = groupCreate(connectionId, `${name}-${++n}`);
  await apply([g]);
  return g.id!;
}

const membershipEvents = async (action: string) =>
  (await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from audit_events where tenant_id = ${tenantId}::uuid and action = ${action}`))[0]!.n;

describe('membership counts', () => {
  it('counts only the memberships really added when some of a batch already exist, with one audit event each', async () => {
    const [a, b, c] = await makeUsers(3);
    const group = await makeGroup('eng');
    await apply([{ kind: 'membership.add', groupId: group, userId: a! }]);
    const result = await apply([a, b, c].map((userId) => ({ kind: 'membership.add' as const, groupId: group, userId: userId! })));
    expect(result.counts.membershipsAdded).toBe(2);
    expect(result.rowsWritten).toBe(2);
    expect(result.auditEvents).toBe(2);
    expect(await membershipEvents('membership.added')).toBe(3);
    expect(await countRows(store.db, 'group_memberships', tenantId)).toBe(3);
  });

  it('counts only the memberships really removed when some of a batch are not there', async () => {
    const [a, b] = await makeUsers(2);
    const group = await makeGroup('eng');
    await apply([{ kind: 'membership.add', groupId: group, userId: a! }]);
    const result = await apply([a, b].map((userId) => ({ kind: 'membership.remove' as const, groupId: group, userId: userId! })));
    expect(result.counts.membershipsRemoved).toBe(1);
    expect(result.auditEvents).toBe(1);
    expect(await countRows(store.db, 'group_memberships', tenantId)).toBe(0);
  });

  it('adds a batch larger than one statement across several groups, exactly once each', async () => {
    const users = await makeUsers(MEMBERS_PER_STATEMENT + 700);
    const [g1, g2] = [await makeGroup('one'), await makeGroup('two')];
    const changes: LifecycleChange[] = users.map((userId, i) => ({ kind: 'membership.add', groupId: i % 3 === 0 ? g1! : g2!, userId }));
    // A few already there: the count must not include them, whichever statement they fall in.
    await apply([changes[0]!, changes.at(-1)!]);
    const result = await apply(changes);
    expect(result.counts.membershipsAdded).toBe(users.length - 2);
    expect(await countRows(store.db, 'group_memberships', tenantId)).toBe(users.length);
    expect(await membershipEvents('membership.added')).toBe(users.length);
  });

  it('applies nothing when one change of a later statement names a user of no tenant', async () => {
    const users = await makeUsers(MEMBERS_PER_STATEMENT + 1);
    const group = await makeGroup('eng');
    const changes: LifecycleChange[] = users.map((userId) => ({ kind: 'membership.add', groupId: group, userId }));
    changes.push({ kind: 'membership.add', groupId: group, userId: '00000000-0000-4000-8000-000000000000' });
    await expect(apply(changes)).rejects.toBeInstanceOf(NotFoundError);
    expect(await countRows(store.db, 'group_memberships', tenantId)).toBe(0);
  });
});

describe('membership display', () => {
  it('keeps the display the IdP gave per member, and none where it gave none', async () => {
    const [a, b, c] = await makeUsers(3);
    const [g1, g2] = [await makeGroup('one'), await makeGroup('two')];
    await apply([
      { kind: 'membership.add', groupId: g1!, userId: a! },
      { kind: 'membership.add', groupId: g1!, userId: b!, display: 'Bee "B" \\ Example' },
      { kind: 'membership.add', groupId: g2!, userId: c! },
      { kind: 'membership.add', groupId: g1!, userId: c!, display: 'Sée' },
    ]);
    const rows = await queryRows<{ group_id: string; user_id: string; display: string | null }>(
      store.db,
      sql`select group_id::text, user_id::text, display from group_memberships where tenant_id = ${tenantId}::uuid`,
    );
    const displayOf = (g: string, u: string) => rows.find((r) => r.group_id === g && r.user_id === u)?.display;
    expect(rows).toHaveLength(4);
    expect(displayOf(g1!, a!)).toBeNull();
    expect(displayOf(g1!, b!)).toBe('Bee "B" \\ Example');
    expect(displayOf(g1!, c!)).toBe('Sée');
    expect(displayOf(g2!, c!)).toBeNull();
  });

  it('names each group once in the statement document, with displays only for groups that have one', () => {
    const doc = JSON.parse(
      encodeMembers([
        { kind: 'membership.add', groupId: 'g1', userId: 'u1' },
        { kind: 'membership.add', groupId: 'g2', userId: 'u2' },
        { kind: 'membership.add', groupId: 'g1', userId: 'u3', display: 'Three' },
        { kind: 'membership.remove', groupId: 'g2', userId: 'u4' },
      ]),
    );
    expect(doc).toEqual([
      ['g1', ['u1', 'u3'], [null, 'Three']],
      ['g2', ['u2', 'u4']],
    ]);
  });
});

describe('roles follow bulk membership changes', () => {
  it('grants the mapped role to every user of a batch too large to be probed by key, and revokes it on removal', async () => {
    const users = await makeUsers(1200);
    const group = await makeGroup('engineering');
    const created = await applyChanges(store.db, { tenantId, actor: { type: 'admin', id: 'a' } }, [{ kind: 'role.create', name: 'developer' }]);
    const groupName = (await queryRows<{ name: string }>(store.db, sql`select display_name as name from groups where id = ${group}::uuid`))[0]!.name;
    await apply([{ kind: 'mapping.add', roleId: created.createdIds[0]!, tenantWide: true, match: { matchBy: 'display_name', groupRef: groupName } }]);
    // One of them is already a member: it must keep (and get) its role like the others.
    await apply([{ kind: 'membership.add', groupId: group, userId: users[0]! }]);
    const added = await apply(users.map((userId) => ({ kind: 'membership.add' as const, groupId: group, userId })));
    expect(added.counts).toMatchObject({ membershipsAdded: 1199, rolesGranted: 1199 });
    expect(await rolesOf(store.db, users[0]!)).toEqual(['developer:idp']);
    expect(await rolesOf(store.db, users.at(-1)!)).toEqual(['developer:idp']);
    const removed = await apply(users.slice(0, 600).map((userId) => ({ kind: 'membership.remove' as const, groupId: group, userId })));
    expect(removed.counts).toMatchObject({ membershipsRemoved: 600, rolesRevoked: 600 });
    expect(await rolesOf(store.db, users[0]!)).toEqual([]);
    expect(await rolesOf(store.db, users.at(-1)!)).toEqual(['developer:idp']);
  });
});
