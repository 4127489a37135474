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
import { membersOfQuery, queryRows, rowsByIdQuery, scimUsersByUserNameQuery, type ConnectionScope } from '../../../src/core/store/index.js';
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
    const found = await queryRows<{ asked: string; id: string }>(store.db, scimUsersByUserNameQuery(scope, names));
    expect(found.map((r) => r.id).sort()).toEqual(names.map((_, k) => userIds[k * 37]!).sort());
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

  it('reads nothing of another connection of the tenant', async () => {
    const other = { ...scope, connectionId: (await makeConnection(store.db, scope.tenantId)).id };
    expect(await queryRows(store.db, rowsByIdQuery('users', other, userIds.slice(0, 5)))).toEqual([]);
    expect(await queryRows(store.db, scimUsersByUserNameQuery(other, ['user1@example.test']))).toEqual([]);
  });
});
