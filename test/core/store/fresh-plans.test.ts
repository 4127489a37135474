/**
 * The hot keyed reads keep their index plans on a table nobody has analysed
 * (issue 15, "no cliff"): right after an IdP's first push, or a first pull,
 * autovacuum has not yet given the planner statistics, and the SCIM reads by
 * id and `userName eq` must still probe the unique indexes instead of reading
 * the whole tenant. Checked with EXPLAIN, not timed, on both backends.
 */
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges } from '../../../src/core/lifecycle/index.js';
import { changeMembersStatement, queueMembersQuery } from '../../../src/core/lifecycle/groups.js';
import { getScimUsersByIdIn, getScimUsersByUserName, getScimUsersByUserNameIn, membersOfQuery, queryRows, rowsByIdQuery, scimUsersByUserNameQuery, type ConnectionScope } from '../../../src/core/store/index.js';
import { groupCreate, makeConnection, makeTenant, userCreate } from '../../support/factories.js';
import { createTestStore, type TestStore } from '../../support/store.js';

const USERS = 3_000;
let store: TestStore;
let scope: ConnectionScope;
let userIds: string[];
let groupIds: string[];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

async function explain(query: SQL): Promise<PlanNode[]> {
  const [row] = await queryRows<{ 'QUERY PLAN': unknown }>(store.db, sql`explain (format json) ${query}`);
  const raw = row!['QUERY PLAN'];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node);
    node.Plans?.forEach(walk);
  };
  walk(plan[0]!.Plan);
  return nodes;
}

/** How each node that reads `table` reads it, e.g. "Index Scan using users_pkey" (a bitmap scan names the indexes under it). */
const accessesOf = (nodes: PlanNode[], table: string) =>
  nodes
    .filter((n) => n['Relation Name'] === table)
    .map((n) => {
      const index = n['Index Name'] ?? n.Plans?.map((p) => p['Index Name']).filter(Boolean).join(' and ');
      return index ? `${n['Node Type']} using ${index}` : n['Node Type'];
    });

beforeAll(async () => {
  store = await createTestStore();
  const tenant = await makeTenant(store.db);
  const connection = await makeConnection(store.db, tenant.id);
  scope = { tenantId: tenant.id, connectionId: connection.id };
  // Autovacuum must not analyse the tables behind the test's back (Postgres; PGlite has none).
  for (const table of ['users', 'groups', 'group_memberships']) await queryRows(store.db, sql.raw(`alter table ${table} set (autovacuum_enabled = off)`));
  const apply = (changes: Parameters<typeof applyChanges>[2]) => applyChanges(store.db, { tenantId: tenant.id, actor: { type: 'system' } }, changes);
  // Through the lifecycle layer, as a SCIM push or a pull applies them, in batches.
  const users = Array.from({ length: USERS }, (_, n) => userCreate(connection.id, n));
  for (let i = 0; i < USERS; i += 1_000) await apply(users.slice(i, i + 1_000));
  const groups = Array.from({ length: 300 }, (_, n) => groupCreate(connection.id, `group ${n}`));
  await apply(groups);
  // Ten members each, 3,000 memberships: what a member PATCH's answer and GET /Groups read back.
  await apply(groups.flatMap((g, k) => Array.from({ length: 10 }, (_, m) => ({ kind: 'membership.add' as const, groupId: g.id!, userId: users[(k * 10 + m) % USERS]!.id! }))));
  userIds = users.map((u) => u.id!);
  groupIds = groups.map((g) => g.id!);
}, 120_000);
afterAll(() => store.close());

describe('keyed reads on a freshly loaded, never analysed database', () => {
  it('starts from a users table the planner has no statistics for', async () => {
    const [row] = await queryRows<{ reltuples: number; stats: number }>(
      store.db,
      sql`select c.reltuples::float8 as reltuples, (select count(*)::int from pg_statistic s where s.starelid = c.oid) as stats from pg_class c where c.relname = 'users'`,
    );
    expect(row).toEqual({ reltuples: -1, stats: 0 });
  });

  it('reads users by userName eq through the unique (tenant, lower(userName)) index, one probe per name', async () => {
    const names = Array.from({ length: 50 }, (_, k) => `USER${k * 37}@example.test`);
    expect(accessesOf(await explain(scimUsersByUserNameQuery(scope, names)), 'users')).toEqual(['Index Scan using users_tenant_username_uq']);
    const found = await getScimUsersByUserName(store.db, scope, names);
    expect([...found.values()].map((r) => r.id).sort()).toEqual(names.map((_, k) => userIds[k * 37]!).sort());
  });

  it('reads users by id through the primary key', async () => {
    const ids = userIds.slice(100, 150);
    expect(accessesOf(await explain(rowsByIdQuery('users', scope, ids)), 'users')).toEqual(['Index Scan using users_pkey']);
    expect((await queryRows<{ id: string }>(store.db, rowsByIdQuery('users', scope, ids))).map((r) => r.id).sort()).toEqual([...ids].sort());
  });

  it('reads groups by id through a unique key that starts with the id', async () => {
    const ids = groupIds.slice(0, 20);
    // The primary key, or (id, tenant_id), the memberships' foreign key: one row per id either way.
    const [access, ...more] = accessesOf(await explain(rowsByIdQuery('groups', scope, ids)), 'groups');
    expect(more).toEqual([]);
    expect(access).toMatch(/^Index Scan using (groups_pkey|groups_id_tenant_uq)$/);
  });

  it("reads groups' members through the memberships' primary key, a range per group", async () => {
    const ids = groupIds.slice(0, 20);
    const nodes = await explain(membersOfQuery(scope, ids));
    // An index scan or a bitmap of the same range, as the planner likes: either reads one group's members.
    const [access, ...more] = accessesOf(nodes, 'group_memberships');
    expect(more).toEqual([]);
    expect(access).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan) using group_memberships_group_id_user_id_pk$/);
    expect(accessesOf(nodes, 'users')).toEqual(['Index Scan using users_pkey']);
    expect(await queryRows(store.db, membersOfQuery(scope, ids))).toHaveLength(200);
  });

  it("adds a member PATCH's memberships probing each user and group by primary key, not the tenant's every user", async () => {
    // What a batch of member PATCHes sends: 25 users into each of 4 groups.
    const changes = groupIds.slice(0, 4).flatMap((groupId, g) => userIds.slice(1_000 + g * 25, 1_025 + g * 25).map((userId) => ({ kind: 'membership.add' as const, groupId, userId })));
    const nodes = await explain(changeMembersStatement({ tenantId: scope.tenantId, actor: { type: 'system' } }, changes, true));
    expect(accessesOf(nodes, 'users')).toEqual(['Index Scan using users_pkey']);
    // The group is probed by key for the check and the event's connection; the update that moves
    // its ETag names it by id only (its size estimate is then the table's own, not the 0.5% guessed
    // for a tenant): never through the tenant's index, i.e. the tenant's every group.
    const groupReads = accessesOf(nodes, 'groups');
    // By id: the primary key, or (id, tenant_id), the memberships' foreign key.
    expect(groupReads.some((a) => /^Index Scan using (groups_pkey|groups_id_tenant_uq)$/.test(a))).toBe(true);
    expect(groupReads.filter((a) => a.includes('groups_tenant_'))).toEqual([]);
    const removal = await explain(changeMembersStatement({ tenantId: scope.tenantId, actor: { type: 'system' } }, changes, false));
    expect(accessesOf(removal, 'users')).toEqual(['Index Scan using users_pkey']);
  });

  it("reads a renamed or deleted group's members as a range of the memberships' primary key per group", async () => {
    const nodes = await explain(queueMembersQuery(scope.tenantId, groupIds.slice(0, 3)));
    const [access, ...more] = accessesOf(nodes, 'group_memberships');
    expect(more).toEqual([]);
    expect(access).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan) using group_memberships_group_id_user_id_pk$/);
    expect(await queryRows(store.db, queueMembersQuery(scope.tenantId, groupIds.slice(0, 3)))).toHaveLength(30);
  });

  it('plans the userName lookup with its parameters at each call, so a plan made on an empty table is not kept', async () => {
    // Statements are prepared (queryRows); after five calls Postgres would otherwise keep a
    // generic plan, costed against the table as it then was (empty, on an IdP's first push).
    const other = await makeTenant(store.db);
    const otherScope = { tenantId: other.id, connectionId: (await makeConnection(store.db, other.id)).id };
    const plans = await store.db.transaction(async (tx) => {
      for (let i = 0; i < 8; i++) expect(await getScimUsersByUserName(tx, otherScope, ['nobody@example.test'])).toEqual(new Map());
      return queryRows<{ n: number }>(tx, sql`select count(*)::int as n from pg_prepared_statements where statement like 'select k.o as ask_, k.k as asked_%'`);
    });
    expect(plans[0]!.n).toBe(0);
  });

  it('answers several scopes in one query, each with its own rows only', async () => {
    const other = { ...scope, connectionId: (await makeConnection(store.db, scope.tenantId)).id };
    const stranger = { tenantId: (await makeTenant(store.db)).id, connectionId: scope.connectionId };
    const asks = (keys: string[]) => [scope, other, stranger].map((s) => ({ scope: s, keys }));
    const byId = await getScimUsersByIdIn(store.db, asks(userIds.slice(0, 3)));
    expect(byId.map((m) => [...m.keys()].sort())).toEqual([[...userIds.slice(0, 3)].sort(), [], []]);
    const byName = await getScimUsersByUserNameIn(store.db, asks(['user0@example.test', 'USER1@example.test']));
    expect(byName.map((m) => [...m.keys()].sort())).toEqual([['USER1@example.test', 'user0@example.test'], [], []]);
  });

  it('reads nothing of another connection of the tenant', async () => {
    const other = { ...scope, connectionId: (await makeConnection(store.db, scope.tenantId)).id };
    expect(await queryRows(store.db, rowsByIdQuery('users', other, userIds.slice(0, 5)))).toEqual([]);
    expect(await getScimUsersByUserName(store.db, other, ['user1@example.test'])).toEqual(new Map());
  });
});
