/**
 * Sync runs: the reconciler's run rows, and what a connection report reads
 * of them (with its SCIM tokens' last use and what it holds now). Every
 * query filters on the tenant.
 */
import { and, desc, eq, getTableColumns, inArray, isNotNull, lte, max, ne, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { groups, scimTokens, syncRuns, users, type ConnectionRow, type SyncRunRow } from './schema.js';

/**
 * Runs left `running` by a process that died. Called with the lease held, so
 * no live run of the connection can be among them.
 */
export async function failInterruptedRuns(db: Db, tenantId: string, connectionId: string): Promise<number> {
  const rows = await db
    .update(syncRuns)
    .set({ status: 'failed', error: 'interrupted: the process running it stopped before it finished', finishedAt: sql`now()` })
    .where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.connectionId, connectionId), eq(syncRuns.status, 'running')))
    .returning({ id: syncRuns.id });
  return rows.length;
}

export async function insertRun(db: Db, values: { tenantId: string; connectionId: string; trigger: string; mode: string }): Promise<SyncRunRow> {
  const [row] = await db.insert(syncRuns).values({ ...values, status: 'running' }).returning();
  return row!;
}

export type RunPatch = Partial<Pick<SyncRunRow, 'mode' | 'status' | 'usersSynced' | 'groupsSynced' | 'counts' | 'apiRequests' | 'error' | 'heldPlan' | 'skipped'>>;

export async function finishRun(db: Db, tenantId: string, id: string, patch: RunPatch): Promise<SyncRunRow> {
  const [row] = await db
    .update(syncRuns)
    .set({ ...patch, finishedAt: sql`now()` })
    .where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.id, id)))
    .returning();
  return row!;
}

export async function findRun(db: Db, tenantId: string, id: string): Promise<SyncRunRow | undefined> {
  const [row] = await db.select().from(syncRuns).where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.id, id)));
  return row;
}

/** The connection's latest run that could have changed something (dry runs change nothing). */
export async function latestRun(db: Db, tenantId: string, connectionId: string): Promise<SyncRunRow | undefined> {
  const [row] = await db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.connectionId, connectionId), ne(syncRuns.mode, 'dry-run')))
    .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
    .limit(1);
  return row;
}

export interface ReportFacts {
  recentRuns: SyncRunRow[];
  latestRun: SyncRunRow | undefined;
  lastFinished: SyncRunRow | undefined;
  lastSuccessAt: Date | null;
  lastPushAt: Date | null;
  users: number;
  groups: number;
}

/**
 * The facts of every given connection, by connection id: seven queries
 * whatever the number of connections (a listing of fifty connections is not
 * three hundred queries). Each filters on the connections' tenants as well
 * as their ids.
 */
export async function readReportFacts(db: Db, list: ConnectionRow[], runs: number): Promise<Map<string, ReportFacts>> {
  const facts = new Map<string, ReportFacts>(
    list.map((c) => [c.id, { recentRuns: [], latestRun: undefined, lastFinished: undefined, lastSuccessAt: null, lastPushAt: null, users: 0, groups: 0 }]),
  );
  if (list.length === 0) return facts;
  const ids = list.map((c) => c.id);
  const tenantIds = [...new Set(list.map((c) => c.tenantId))];
  const ofRuns = and(inArray(syncRuns.tenantId, tenantIds), inArray(syncRuns.connectionId, ids));
  // Dry runs change nothing, so they say nothing about a connection's health.
  const realRuns = and(ofRuns, ne(syncRuns.mode, 'dry-run'));
  const numbered = db
    .select({ ...getTableColumns(syncRuns), n: sql<number>`row_number() over (partition by ${syncRuns.connectionId} order by ${syncRuns.startedAt} desc)`.as('n') })
    .from(syncRuns)
    .where(ofRuns)
    .as('numbered');
  const perConnection = (table: typeof users | typeof groups) =>
    db
      .select({ connectionId: table.connectionId, n: sql<number>`count(*)::int` })
      .from(table)
      .where(and(inArray(table.tenantId, tenantIds), inArray(table.connectionId, ids)))
      .groupBy(table.connectionId);
  const [recent, latest, finished, success, push, userCounts, groupCounts] = await Promise.all([
    runs > 0 ? db.select().from(numbered).where(lte(numbered.n, runs)).orderBy(numbered.connectionId, numbered.n) : [],
    db.selectDistinctOn([syncRuns.connectionId]).from(syncRuns).where(realRuns).orderBy(syncRuns.connectionId, desc(syncRuns.startedAt)),
    db
      .selectDistinctOn([syncRuns.connectionId])
      .from(syncRuns)
      .where(and(realRuns, isNotNull(syncRuns.finishedAt), ne(syncRuns.status, 'running')))
      .orderBy(syncRuns.connectionId, desc(syncRuns.finishedAt)),
    db
      .select({ connectionId: syncRuns.connectionId, at: max(syncRuns.finishedAt) })
      .from(syncRuns)
      .where(and(realRuns, eq(syncRuns.status, 'succeeded')))
      .groupBy(syncRuns.connectionId),
    db
      .select({ connectionId: scimTokens.connectionId, at: max(scimTokens.lastUsedAt) })
      .from(scimTokens)
      .where(and(inArray(scimTokens.tenantId, tenantIds), inArray(scimTokens.connectionId, ids)))
      .groupBy(scimTokens.connectionId),
    perConnection(users),
    perConnection(groups),
  ]);
  const of = (connectionId: string) => facts.get(connectionId)!;
  for (const { n: _n, ...run } of recent) of(run.connectionId).recentRuns.push(run);
  for (const run of latest) of(run.connectionId).latestRun = run;
  for (const run of finished) of(run.connectionId).lastFinished = run;
  for (const row of success) if (row.at) of(row.connectionId).lastSuccessAt = new Date(row.at);
  for (const row of push) if (row.at) of(row.connectionId).lastPushAt = new Date(row.at);
  for (const row of userCounts) of(row.connectionId).users = Number(row.n);
  for (const row of groupCounts) of(row.connectionId).groups = Number(row.n);
  return facts;
}
