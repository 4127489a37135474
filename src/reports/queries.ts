/**
 * What a connection report reads: its runs, its latest finished and
 * successful runs, its SCIM tokens' last use, and what it holds now. Every
 * query filters on the tenant as well as the connection.
 */
import { and, desc, eq, isNotNull, max, ne, sql } from 'drizzle-orm';
import { countConnectionContents, schema, type ConnectionRow, type Db, type SyncRunRow } from '../store/index.js';

const { connections, scimTokens, syncRuns, tenants } = schema;

/** Dry runs change nothing, so they say nothing about a connection's health. */
const realRun = (tenantId: string, connectionId: string) =>
  and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.connectionId, connectionId), ne(syncRuns.mode, 'dry-run'));

export interface ReportFacts {
  recentRuns: SyncRunRow[];
  latestRun: SyncRunRow | undefined;
  lastFinished: SyncRunRow | undefined;
  lastSuccessAt: Date | null;
  lastPushAt: Date | null;
  users: number;
  groups: number;
}

export async function readReportFacts(db: Db, connection: ConnectionRow, runs: number): Promise<ReportFacts> {
  const { tenantId, id } = connection;
  const [recentRuns, latest, finished, success, push, contents] = await Promise.all([
    db
      .select()
      .from(syncRuns)
      .where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.connectionId, id)))
      .orderBy(desc(syncRuns.startedAt))
      .limit(runs),
    db.select().from(syncRuns).where(realRun(tenantId, id)).orderBy(desc(syncRuns.startedAt)).limit(1),
    db
      .select()
      .from(syncRuns)
      .where(and(realRun(tenantId, id), isNotNull(syncRuns.finishedAt), ne(syncRuns.status, 'running')))
      .orderBy(desc(syncRuns.finishedAt))
      .limit(1),
    db
      .select({ at: max(syncRuns.finishedAt) })
      .from(syncRuns)
      .where(and(realRun(tenantId, id), eq(syncRuns.status, 'succeeded'))),
    db
      .select({ at: max(scimTokens.lastUsedAt) })
      .from(scimTokens)
      .where(and(eq(scimTokens.tenantId, tenantId), eq(scimTokens.connectionId, id))),
    countConnectionContents(db, tenantId, id),
  ]);
  return {
    recentRuns,
    latestRun: latest[0],
    lastFinished: finished[0],
    lastSuccessAt: success[0]?.at ? new Date(success[0].at) : null,
    lastPushAt: push[0]?.at ? new Date(push[0].at) : null,
    ...contents,
  };
}

/**
 * A connection by id, as a caller restricted to `tenantId` (null = any tenant)
 * may see it: another tenant's connection is simply not found.
 */
export async function findConnectionForCaller(
  db: Db,
  id: string,
  tenantId: string | null,
): Promise<(ConnectionRow & { tenantSlug: string }) | undefined> {
  const [row] = await db
    .select({ connection: connections, tenantSlug: tenants.slug })
    .from(connections)
    .innerJoin(tenants, eq(tenants.id, connections.tenantId))
    .where(and(sql`${connections.id}::text = ${id}`, tenantId ? eq(connections.tenantId, tenantId) : undefined))
    .limit(1);
  return row ? { ...row.connection, tenantSlug: row.tenantSlug } : undefined;
}
