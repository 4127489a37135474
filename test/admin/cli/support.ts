/**
 * Running the CLI in tests: in process through `main` (fast), or as a real
 * subprocess (for exit codes, the lock and `roster serve`). Each test file
 * gets its own database: a temp data folder, or a fresh Postgres database
 * when the run has DATABASE_URL.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../../src/admin/cli/main.js';
import { applyChanges, type CreateUser } from '../../../src/core/lifecycle/index.js';
import { acquireEmbeddedLock, migrateStore, openStore, type Store } from '../../../src/core/store/index.js';
import { op, operationContext } from '../operations/support.js';
import { userCreate } from '../../support/factories.js';
import { createTestDatabase } from '../../support/store.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliEnvironment {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** An environment for the CLI, with nothing from the caller's shell that could change behaviour. */
export async function cliEnvironment(options: { embedded?: boolean } = {}): Promise<CliEnvironment> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'roster-cli-'));
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ROSTER_DATA_DIR: dataDir,
    LOG_FORMAT: 'json',
    USER: 'tester',
    // The fakes listen on 127.0.0.1, which the outbound URL policy refuses unless trusted (vitest.config.ts).
    ROSTER_TRUSTED_HOSTS: process.env.ROSTER_TRUSTED_HOSTS,
  };
  if (options.embedded || !process.env.DATABASE_URL) {
    return { env: base, dataDir, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const database = await createTestDatabase();
  const env = { ...base, DATABASE_URL: database.url, ROSTER_SECRET_KEY: randomBytes(32).toString('base64') };
  const migrated = await runCli(['migrate'], env);
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
  return {
    env,
    dataDir,
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
      await database.drop();
    },
  };
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main({ argv, env, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

export function spawnCli(argv: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/admin/cli/main.ts', ...argv],
      { cwd: REPO_ROOT, env, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The lines a command wrote to stderr, minus JSON log entries (warnings like a generated key). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l && !l.startsWith('{'));
}

/**
 * Work on the CLI environment's database directly (to seed what no command
 * creates, such as users), then close it so the CLI can open it.
 */
export async function withCliStore<T>(env: NodeJS.ProcessEnv, work: (store: Store) => Promise<T>): Promise<T> {
  const dataDir = env.ROSTER_DATA_DIR!;
  const lock = env.DATABASE_URL ? undefined : await acquireEmbeddedLock(dataDir, 'cli');
  const store = env.DATABASE_URL ? await openStore({ databaseUrl: env.DATABASE_URL, maxConnections: 2 }) : await openStore({ dataDir });
  try {
    await migrateStore(store, env.DATABASE_URL);
    return await work(store);
  } finally {
    await store.close();
    lock?.release();
  }
}

/** `count` users in a new tenant `slug` (one SCIM connection), named by `name(n)`. */
export async function seedUsers(env: NodeJS.ProcessEnv, slug: string, count: number, name: (n: number) => Partial<CreateUser['attributes']> = () => ({})): Promise<void> {
  await withCliStore(env, async (store) => {
    const ctx = operationContext(store);
    const tenant = await op(ctx, 'tenant.create', { slug });
    const connection = await op(ctx, 'connection.create', { tenant: slug, name: 'scim', kind: 'scim' });
    const creates = Array.from({ length: count }, (_, n) => {
      const change = userCreate(connection.id, n);
      return { ...change, attributes: { ...change.attributes, ...name(n) } };
    });
    await applyChanges(store.db, { tenantId: tenant.id, actor: { type: 'sync', id: 'test' } }, creates);
  });
}
