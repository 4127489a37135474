/**
 * Benchmark: apply 100k user creates (with their audit events) through the
 * lifecycle layer on real Postgres, then re-apply the same 100k users
 * unchanged, and print users/second, rows written and peak memory as JSON.
 *
 *   npx tsx bench/lifecycle-apply.ts [--users 100000] [--batch 10000] [--backend postgres|pglite]
 *
 * DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/test);
 * the bench creates its own database there and drops it afterwards.
 * "Rows written" is read from Postgres's own statistics (pg_stat_user_tables),
 * not from Roster's counters, so it would show a write the code did not count.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { applyChanges, type CreateUser, type LifecycleChange, type UpdateUser } from '../src/core/lifecycle/index.js';
import { migrateStore, openStore, queryRows, schema, type Store } from '../src/core/store/index.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '10000' },
    backend: { type: 'string', default: 'postgres' },
  },
});
const USERS = Number(args.users);
const BATCH = Number(args.batch);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

async function withBenchDatabase<T>(fn: (url: string | undefined) => Promise<T>): Promise<T> {
  if (args.backend === 'pglite') return fn(undefined);
  const name = `roster_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** Inserted + updated + deleted rows over all tables, per Postgres's statistics. */
async function rowsWrittenSoFar(url: string): Promise<number> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  const [row] = await client`select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint as n from pg_stat_user_tables`;
  await client.end();
  return Number(row!.n);
}

function sourceUser(connectionId: string, i: number): CreateUser {
  return {
    kind: 'user.create',
    connectionId,
    id: randomUUID(),
    externalId: `00u${i.toString(36).padStart(8, '0')}`,
    attributes: {
      userName: `user${i}@bench.example`,
      email: `user${i}@bench.example`,
      displayName: `Bench User ${i}`,
      givenName: 'Bench',
      familyName: `User ${i}`,
    },
    active: i % 50 !== 0,
    sourceHash: `h${i}`,
  };
}

async function timed(label: string, changes: LifecycleChange[], store: Store, tenantId: string) {
  const started = performance.now();
  let written = 0;
  for (let i = 0; i < changes.length; i += BATCH) {
    const result = await applyChanges(store.db, { tenantId, actor: { type: 'system', id: 'bench' } }, changes.slice(i, i + BATCH));
    written += result.rowsWritten + result.auditEvents;
    if ((i / BATCH) % 2 === 0) log(`${label}: ${Math.min(i + BATCH, changes.length)}/${changes.length}`);
  }
  return { ms: performance.now() - started, counted: written };
}

await withBenchDatabase(async (url) => {
  let store = await openStore({ databaseUrl: url, dataDir: 'memory://' });
  await migrateStore(store, url);
  const [tenant] = await store.db.insert(schema.tenants).values({ slug: 'bench', name: 'Bench' }).returning();
  const [connection] = await store.db
    .insert(schema.connections)
    .values({ tenantId: tenant!.id, name: 'entra', kind: 'entra' })
    .returning();
  const creates = Array.from({ length: USERS }, (_, i) => sourceUser(connection!.id, i));
  const reapply: UpdateUser[] = creates.map((c) => ({
    kind: 'user.update',
    userId: c.id!,
    attributes: { ...c.attributes, externalId: c.externalId ?? null },
    sourceHash: c.sourceHash ?? null,
  }));

  // Statistics reach pg_stat_user_tables when a backend ends: close the pool around each phase.
  const reopen = async () => {
    await store.close();
    store = await openStore({ databaseUrl: url, dataDir: 'memory://' });
  };
  if (url) await reopen();
  const statsBefore = url ? await rowsWrittenSoFar(url) : 0;

  const create = await timed('create', creates, store, tenant!.id);
  if (url) await reopen();
  const statsAfterCreate = url ? await rowsWrittenSoFar(url) : 0;

  const unchanged = await timed('re-apply', reapply, store, tenant!.id);
  if (url) await reopen();
  const statsAfterReapply = url ? await rowsWrittenSoFar(url) : 0;

  // What the reconciler does with an unchanged directory: compare source hashes
  // against one read of the stored ones, and send the lifecycle nothing.
  const plannedStart = performance.now();
  const stored = await queryRows<{ external_id: string; source_hash: string }>(
    store.db,
    sql`select external_id, source_hash from users where connection_id = ${connection!.id}::uuid`,
  );
  const hashes = new Map(stored.map((r) => [r.external_id, r.source_hash]));
  const planned = creates.filter((c) => hashes.get(c.externalId!) !== c.sourceHash);
  const plannedApply = await applyChanges(store.db, { tenantId: tenant!.id, actor: { type: 'system' } }, planned);
  const plannedMs = performance.now() - plannedStart;

  const [audit] = await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from audit_events`);
  await store.close();

  const round = (x: number) => Math.round(x);
  console.log(
    JSON.stringify(
      {
        benchmark: 'lifecycle-apply',
        backend: url ? 'postgres' : 'pglite',
        users: USERS,
        batchSize: BATCH,
        create: {
          ms: round(create.ms),
          usersPerSecond: round(USERS / (create.ms / 1000)),
          rowsWritten: url ? statsAfterCreate - statsBefore : create.counted,
          auditEvents: audit!.n,
        },
        reapplyUnchangedThroughLifecycle: {
          ms: round(unchanged.ms),
          usersPerSecond: round(USERS / (unchanged.ms / 1000)),
          rowsWritten: url ? statsAfterReapply - statsAfterCreate : unchanged.counted,
          percentOfCreateTime: Math.round((unchanged.ms / create.ms) * 1000) / 10,
        },
        reapplyUnchangedPlannedByHash: {
          ms: round(plannedMs),
          changesPlanned: planned.length,
          rowsWritten: plannedApply.rowsWritten,
          percentOfCreateTime: Math.round((plannedMs / create.ms) * 1000) / 10,
        },
        peakRssMB: round(process.resourceUsage().maxRSS / 1024),
        node: process.version,
      },
      null,
      2,
    ),
  );
});
