/**
 * PGlite is one process's database: two processes opening the same data
 * folder would corrupt it. A lock file in the folder says who holds it. A
 * `roster serve` holder also publishes its port and a per-run token, so the
 * CLI can send its command through the server instead of opening the files.
 *
 * A holder killed with -9 leaves its file behind, and its pid may be alive
 * again as another process: in a container the restarted Roster is PID 1, as
 * the crashed one was. So on Linux the lock also records the kernel's boot id
 * and the holder's start time (/proc): a lock from another boot, or whose pid
 * now belongs to a process that started at another time, is stale. Without
 * /proc (macOS), or for a lock an older Roster wrote, the pid alone decides.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreBusyError } from '../errors/index.js';

export interface EmbeddedLockInfo {
  pid: number;
  role: 'server' | 'cli';
  startedAt: string;
  /** Set by a server once it listens. */
  url?: string;
  /** Bearer token for the server's local command endpoint; the file is 0600. */
  commandToken?: string;
  /** Linux: /proc/sys/kernel/random/boot_id when the lock was taken. */
  bootId?: string;
  /** Linux: the holder's start time, in clock ticks after boot (/proc/<pid>/stat field 22). */
  processStart?: string;
}

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'roster.lock');
}

function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * When process `pid` started (field 22 of /proc/<pid>/stat, constant for the
 * process's life); null if there is no such process; undefined if /proc
 * cannot say (not Linux).
 */
function processStartTime(pid: number): string | null | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return (code === 'ENOENT' || code === 'ESRCH') && existsSync('/proc/self/stat') ? null : undefined;
  }
  // Field 2 is the command name in parentheses, which may itself hold spaces and
  // parentheses: count from the last ')'. The fields after it start at field 3.
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
  return start && /^\d+$/.test(start) ? start : undefined;
}

/** Who this process is, to be written in its lock. */
function ownIdentity(): Pick<EmbeddedLockInfo, 'bootId' | 'processStart'> {
  const bootId = currentBootId();
  const processStart = processStartTime(process.pid) ?? undefined;
  return { ...(bootId ? { bootId } : {}), ...(processStart ? { processStart } : {}) };
}

/** Whether the process that wrote the lock is still running. */
function holderAlive(info: EmbeddedLockInfo): boolean {
  const bootId = currentBootId();
  if (info.bootId && bootId && info.bootId !== bootId) return false;
  if (info.processStart) {
    const start = processStartTime(info.pid);
    if (start === null) return false;
    if (start !== undefined) return start === info.processStart;
  }
  return info.pid === process.pid || processAlive(info.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the data folder, or null (a dead holder's file is removed). */
export function readEmbeddedLock(dataDir: string): EmbeddedLockInfo | null {
  let info: EmbeddedLockInfo;
  try {
    info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as EmbeddedLockInfo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // A half-written file from a holder that is starting: treat as held.
    return { pid: -1, role: 'cli', startedAt: new Date().toISOString() };
  }
  if (holderAlive(info)) return info;
  rmSync(lockPath(dataDir), { force: true });
  return null;
}

export function describeHolder(info: EmbeddedLockInfo, dataDir: string): string {
  return info.role === 'server'
    ? `roster serve (pid ${info.pid}${info.url ? `, ${info.url}` : ''}) is using the embedded database in ${dataDir}`
    : `another roster command (pid ${info.pid}) is using the embedded database in ${dataDir}`;
}

export interface EmbeddedLock {
  info: EmbeddedLockInfo;
  /** Rewrite the lock (e.g. once the server knows its URL). */
  update(patch: Partial<EmbeddedLockInfo>): void;
  release(): void;
}

function writeLockFile(file: string, info: EmbeddedLockInfo, flag: 'wx' | 'w'): void {
  const fd = openSync(file, flag, 0o600);
  try {
    writeSync(fd, JSON.stringify(info));
  } finally {
    closeSync(fd);
  }
}

/**
 * Take the data folder for this process. A short-lived CLI holder is waited
 * for (up to `waitMs`); a server holder is not: the caller either talks to it
 * or reports it.
 */
export async function acquireEmbeddedLock(
  dataDir: string,
  role: EmbeddedLockInfo['role'],
  options: { waitMs?: number } = {},
): Promise<EmbeddedLock> {
  mkdirSync(dataDir, { recursive: true });
  const file = lockPath(dataDir);
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  const info: EmbeddedLockInfo = { pid: process.pid, role, startedAt: new Date().toISOString(), ...ownIdentity() };
  if (role === 'server') info.commandToken = randomBytes(24).toString('base64url');
  for (;;) {
    try {
      writeLockFile(file, info, 'wx');
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readEmbeddedLock(dataDir);
    if (!holder) continue;
    if (holder.role === 'server' || Date.now() >= deadline) {
      throw new StoreBusyError(
        `${describeHolder(holder, dataDir)}; stop it first, or set DATABASE_URL to use a Postgres server that many processes can share`,
      );
    }
    await sleep(100);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const current = readEmbeddedLock(dataDir);
    if (current?.pid === process.pid) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return {
    info,
    update(patch) {
      Object.assign(info, patch);
      writeLockFile(file, info, 'w');
    },
    release,
  };
}
