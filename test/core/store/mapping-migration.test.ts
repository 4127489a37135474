/**
 * Migration 0011: mappings made before a mapping had to name its scope (no connection)
 * become explicit tenant-wide rows, and from then on a row is one or the other.
 * Same test on PGlite and Postgres.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, openStore, queryRows, type Store } from '../../../src/core/store/index.js';
import { createTestDatabase } from '../../support/store.js';

let store: Store;
let databaseUrl: string | undefined;
let dropDatabase: (() => Promise<void>) | undefined;
let before0011: string;

/** The shipped migrations up to (not including) 0011, as a database made before it has them. */
function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'roster-migrations-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = path.join(dir, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
  const cut = journal.entries.findIndex((e) => e.tag.startsWith(tag));
  expect(cut).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, cut);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

async function migrate(folder: string): Promise<void> {
  if (store.backend === 'pglite') return migratePglite(store.db as never, { migrationsFolder: folder });
  const client = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
  try {
    await migratePostgres(drizzlePostgres(client), { migrationsFolder: folder });
  } finally {
    await client.end({ timeout: 5 });
  }
}

beforeAll(async () => {
  if (process.env.DATABASE_URL) {
    const database = await createTestDatabase();
    databaseUrl = database.url;
    dropDatabase = database.drop;
    store = await openStore({ databaseUrl, maxConnections: 2 });
  } else {
    store = await openStore({ dataDir: 'memory://' });
  }
  before0011 = migrationsBefore('0011_');
});
afterAll(async () => {
  await store.close();
  await dropDatabase?.();
  rmSync(before0011, { recursive: true, force: true });
});

describe('migration 0011: explicit tenant-wide mappings', () => {
  it('turns a mapping with no connection into a tenant-wide one and keeps a connection-scoped one scoped', async () => {
    await migrate(before0011);
    const db = store.db;
    await db.execute(sql`insert into tenants (id, slug, name) values ('10000000-0000-4000-8000-000000000001', 'acme', 'Acme')`);
    await db.execute(sql`insert into connections (id, tenant_id, name, kind) values ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'okta', 'okta')`);
    await db.execute(sql`insert into roles (id, tenant_id, name) values ('30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'superadmin')`);
    await db.execute(sql`insert into group_role_mappings (id, tenant_id, connection_id, match_by, group_ref, role_id) values
      ('40000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', null, 'display_name', 'Admins', '30000000-0000-4000-8000-000000000001'),
      ('40000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', 'display_name', 'Ops', '30000000-0000-4000-8000-000000000001')`);

    await migrate(MIGRATIONS_FOLDER);
    const rows = await queryRows<{ group_ref: string; tenant_wide: boolean }>(db, sql`select group_ref, tenant_wide from group_role_mappings order by group_ref`);
    expect(rows).toEqual([
      { group_ref: 'Admins', tenant_wide: true },
      { group_ref: 'Ops', tenant_wide: false },
    ]);
  });

  it('refuses a row that is neither scoped to a connection nor tenant-wide, or both', async () => {
    const insert = (connection: string | null, tenantWide: boolean) =>
      store.db.execute(sql`insert into group_role_mappings (tenant_id, connection_id, tenant_wide, match_by, group_ref, role_id)
        values ('10000000-0000-4000-8000-000000000001', ${connection}::uuid, ${tenantWide}, 'display_name', 'X', '30000000-0000-4000-8000-000000000001')`);
    // drizzle wraps the driver's error: the constraint is named by its cause.
    const refusedByScopeCheck = { cause: { message: expect.stringMatching(/group_role_mappings_scope_ck/) } };
    await expect(insert(null, false)).rejects.toMatchObject(refusedByScopeCheck);
    await expect(insert('20000000-0000-4000-8000-000000000001', true)).rejects.toMatchObject(refusedByScopeCheck);
  });
});
