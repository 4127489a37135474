/**
 * The embedded database's lock after a crash. A holder killed with -9 leaves
 * its lock file behind; the next process must tell that stale lock from a
 * live one even when the pid it names is alive again as another process
 * (in a container, the restarted Roster is PID 1, as the crashed one was).
 * The lock records the holder's start time and the boot id (Linux /proc).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreBusyError } from '../../../src/core/errors/index.js';
import { acquireEmbeddedLock, lockPath, readEmbeddedLock, type EmbeddedLockInfo } from '../../../src/core/store/index.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'roster-lock-'));
  folders.push(dir);
  return dir;
}

/** The lock file a crashed `roster serve` left, naming `pid`. */
function leftBehind(dir: string, info: Partial<EmbeddedLockInfo> & { pid: number }): void {
  writeFileSync(lockPath(dir), JSON.stringify({ role: 'server', startedAt: '2026-01-01T00:00:00.000Z', url: 'http://127.0.0.1:8080', commandToken: 'old', ...info }), { mode: 0o600 });
}

const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

async function takeAndRelease(dir: string): Promise<EmbeddedLockInfo> {
  const lock = await acquireEmbeddedLock(dir, 'cli', { waitMs: 0 });
  const info = { ...lock.info };
  lock.release();
  return info;
}

describe('the embedded lock after a crash', () => {
  it('takes over a lock naming its own pid, recorded with another start time (a restarted container is PID 1 again)', async () => {
    const dir = dataDir();
    leftBehind(dir, { pid: process.pid, bootId: bootId(), processStart: '1' });
    const taken = await takeAndRelease(dir);
    expect(taken.pid).toBe(process.pid);
    expect(existsSync(lockPath(dir))).toBe(false);
  });

  it('takes over a lock naming a live pid that another process now has (pid 1, another start time)', async () => {
    const dir = dataDir();
    leftBehind(dir, { pid: 1, bootId: bootId(), processStart: '2' });
    expect(readEmbeddedLock(dir)).toBeNull();
    await takeAndRelease(dir);
  });

  it('takes over a lock from before a reboot, whatever its pid', async () => {
    const dir = dataDir();
    leftBehind(dir, { pid: process.ppid, bootId: '00000000-0000-4000-8000-000000000000', processStart: '3' });
    expect(readEmbeddedLock(dir)).toBeNull();
    await takeAndRelease(dir);
  });

  it('records who holds it: pid, boot id and start time', async () => {
    const dir = dataDir();
    const lock = await acquireEmbeddedLock(dir, 'cli', { waitMs: 0 });
    try {
      const stored = JSON.parse(readFileSync(lockPath(dir), 'utf8')) as EmbeddedLockInfo;
      expect(stored).toMatchObject({ pid: process.pid, bootId: bootId(), processStart: expect.stringMatching(/^\d+$/) });
      expect(readEmbeddedLock(dir)).toEqual(stored);
    } finally {
      lock.release();
    }
  });

  it('refuses a live holder in another process, and takes over once it was killed with -9', async () => {
    const dir = dataDir();
    const script = `import { acquireEmbeddedLock } from './src/core/store/embedded-lock.ts';
      await acquireEmbeddedLock(${JSON.stringify(dir)}, 'server');
      process.stdout.write('locked\\n');
      setInterval(() => {}, 60_000);`;
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        holder.on('exit', () => reject(new Error('the holder exited before taking the lock')));
      });
      await expect(acquireEmbeddedLock(dir, 'cli', { waitMs: 0 })).rejects.toThrow(StoreBusyError);
      await expect(acquireEmbeddedLock(dir, 'cli', { waitMs: 0 })).rejects.toThrow(`roster serve (pid ${holder.pid})`);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    expect(existsSync(lockPath(dir))).toBe(true);
    await takeAndRelease(dir);
  });

  it('keeps trusting the pid alone for a lock without the holder\'s identity (an older Roster, or no /proc)', async () => {
    const dir = dataDir();
    leftBehind(dir, { pid: process.ppid });
    await expect(acquireEmbeddedLock(dir, 'cli', { waitMs: 0 })).rejects.toThrow(StoreBusyError);
    leftBehind(dir, { pid: 2 ** 22 + 1 });
    // Above the largest pid Linux hands out (pid_max is at most 2^22): no such process.
    await takeAndRelease(dir);
  });
});
