/**
 * Where a CLI command runs. With DATABASE_URL: directly on Postgres. Without:
 * the embedded database is one process's, so if a live `roster serve` holds
 * it the command goes to that server's command endpoint; otherwise the CLI
 * takes the lock itself (waiting briefly for another CLI) and opens PGlite.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import type { RosterConfig } from '../../core/config/index.js';
import { ConfigError, StoreBusyError, fromErrorBody } from '../../core/errors/index.js';
import type { Actor } from '../../core/lifecycle/index.js';
import type { Logger } from '../../core/logging/index.js';
import { runOperation, type Operation } from '../operations/index.js';
import { SecretKeyring } from '../../core/secrets/index.js';
import { NDJSON } from '../../server/command-stream.js';
import {
  acquireEmbeddedLock,
  appliedMigrationCount,
  describeHolder,
  migrateStore,
  openStore,
  readEmbeddedLock,
  shippedMigrationCount,
  type EmbeddedLock,
  type EmbeddedLockInfo,
  type Store,
} from '../../core/store/index.js';

export interface Session {
  /** `progress` hears of a long operation's progress, in process or through a running server alike. */
  execute<S extends z.ZodType, R>(op: Operation<S, R>, input: unknown, progress?: (counts: Record<string, number>) => void): Promise<R>;
  close(): Promise<void>;
}

const SERVER_WAIT_MS = 15_000;
/** How long the server may stay silent (it sends a line at least every 15 s while it works). */
const IDLE_TIMEOUT_MS = 60_000;

/** The live server holding the data folder, once it has published its URL; null if none. */
async function serverHolder(dataDir: string): Promise<EmbeddedLockInfo | null> {
  const deadline = Date.now() + SERVER_WAIT_MS;
  for (;;) {
    const holder = readEmbeddedLock(dataDir);
    if (!holder || holder.role !== 'server') return null;
    if (holder.url && holder.commandToken) return holder;
    // A server that is still migrating has not published its URL yet.
    if (Date.now() >= deadline) throw new StoreBusyError(`${describeHolder(holder, dataDir)} but has not started listening`);
    await sleep(100);
  }
}

/** The lines of an NDJSON body, parsed; `onData` hears of every chunk (the idle timer). */
async function* ndjsonLines(body: ReadableStream<Uint8Array>, onData: () => void): AsyncGenerator<Record<string, unknown>> {
  let buffered = '';
  // A reader loop rather than `for await` over the stream: with the DOM lib in the
  // program's types (playwright-core's), ReadableStream is not async-iterable.
  const reader = body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onData();
    buffered += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, end).trim();
      buffered = buffered.slice(end + 1);
      if (line) yield JSON.parse(line) as Record<string, unknown>;
    }
  }
}

/**
 * Commands through the server's endpoint, answered as a stream (see
 * src/server/command-stream.ts): progress lines reach `progress` as they
 * would in process, and the time limit is on silence (the server says it is
 * alive every 15 s), not on the length of the operation: a first sync of a
 * large directory takes minutes. Errors are rebuilt from the same status and
 * body as an unstreamed answer, so they print and exit alike.
 */
function remoteSession(holder: EmbeddedLockInfo, dataDir: string, actor: Actor): Session {
  const unreachable = (err: unknown) =>
    new StoreBusyError(`${describeHolder(holder, dataDir)} but did not answer (${(err as Error).message})`, { cause: err });
  return {
    async execute<S extends z.ZodType, R>(op: Operation<S, R>, input: unknown, progress?: (counts: Record<string, number>) => void): Promise<R> {
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const heard = () => {
        clearTimeout(timer);
        timer = setTimeout(() => abort.abort(new Error(`nothing for ${IDLE_TIMEOUT_MS / 1000} s`)), IDLE_TIMEOUT_MS);
      };
      heard();
      try {
        let response: Response;
        try {
          response = await fetch(`${holder.url}/internal/v1/operations/${encodeURIComponent(op.name)}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${holder.commandToken}`,
              accept: `${NDJSON}, application/json;q=0.5`,
              'content-type': 'application/json',
              'x-roster-actor': actor.id ?? 'cli',
            },
            body: JSON.stringify(input ?? {}),
            signal: abort.signal,
          });
        } catch (err) {
          throw unreachable(err);
        }
        if (!response.headers.get('content-type')?.startsWith(NDJSON) || !response.body) {
          // Refused before the operation started (a bad token, a malformed request).
          const body = (await response.json().catch(() => undefined)) as { result?: unknown } | undefined;
          if (!response.ok) throw fromErrorBody(response.status, body);
          return body?.result as R;
        }
        // Read to the end, past the last line: a body left unread keeps the connection busy,
        // and the server's shutdown would wait for it.
        let last: Record<string, unknown> | undefined;
        try {
          for await (const line of ndjsonLines(response.body, heard)) {
            if ('result' in line || 'error' in line) last = line;
            else if (line.progress && typeof line.progress === 'object') progress?.(line.progress as Record<string, number>);
          }
        } catch (err) {
          throw unreachable(err);
        }
        // The server ran the same operation, whose result is plain JSON (src/admin/operations/types.ts): what came back is an R.
        if (last && 'result' in last) return last.result as R;
        if (last) throw fromErrorBody(typeof last.status === 'number' ? last.status : 500, last);
        throw unreachable(new Error(`the answer to ${op.name} ended before its result`));
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {},
  };
}

/** Postgres schemas are changed by `roster migrate` only (replicas must not race to do it). */
async function assertMigrated(store: Store): Promise<void> {
  const applied = await appliedMigrationCount(store.db);
  const shipped = shippedMigrationCount();
  if (applied < shipped) {
    throw new ConfigError(`the database at ${store.location} has ${applied} of ${shipped} migrations applied; run "roster migrate" first`);
  }
}

export interface LocalStore {
  store: Store;
  close(): Promise<void>;
}

/** Open the store for this process: Postgres, or the embedded database under its lock. */
export async function openLocalStore(config: RosterConfig, options: { migrate: boolean }): Promise<LocalStore> {
  if (config.databaseUrl) {
    const store = await openStore({ databaseUrl: config.databaseUrl, maxConnections: 2 });
    try {
      if (options.migrate) await migrateStore(store, config.databaseUrl);
      else await assertMigrated(store);
    } catch (err) {
      await store.close();
      throw err;
    }
    return { store, close: () => store.close() };
  }
  const lock: EmbeddedLock = await acquireEmbeddedLock(config.dataDir, 'cli', { waitMs: SERVER_WAIT_MS });
  let store: Store | undefined;
  try {
    store = await openStore({ dataDir: config.dataDir });
    // The embedded database needs no set-up: it is brought up to date on open.
    await migrateStore(store);
  } catch (err) {
    await store?.close().catch(() => {});
    lock.release();
    throw err;
  }
  const opened = store;
  return {
    store: opened,
    async close() {
      try {
        await opened.close();
      } finally {
        lock.release();
      }
    },
  };
}

/** Refuse when a server holds the embedded database (for `migrate` and `serve`). */
export function assertNoServer(config: RosterConfig): void {
  if (config.databaseUrl) return;
  const holder = readEmbeddedLock(config.dataDir);
  if (holder?.role === 'server') {
    throw new StoreBusyError(`${describeHolder(holder, config.dataDir)}; stop it first (it applies migrations itself at start)`);
  }
}

export async function openSession(config: RosterConfig, logger: Logger, actor: Actor): Promise<Session> {
  if (!config.databaseUrl) {
    const holder = await serverHolder(config.dataDir);
    if (holder) return remoteSession(holder, config.dataDir, actor);
  }
  let local: LocalStore;
  try {
    local = await openLocalStore(config, { migrate: false });
  } catch (err) {
    // A server may have taken the folder between our read and our lock.
    if (err instanceof StoreBusyError && !config.databaseUrl) {
      const holder = await serverHolder(config.dataDir);
      if (holder) return remoteSession(holder, config.dataDir, actor);
    }
    throw err;
  }
  const keyring = new SecretKeyring({ secretKey: config.secretKey, backend: local.store.backend, dataDir: config.dataDir, logger });
  const ctx = { store: local.store, keyring, logger, actor, syncLeaseMs: config.syncLeaseSeconds * 1000 };
  return {
    execute: (op, input, progress) => runOperation(progress ? { ...ctx, progress } : ctx, op, input),
    close: () => local.close(),
  };
}
