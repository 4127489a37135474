/**
 * `roster serve` as a real process, for the fault tests: a database outage
 * or a kill -9 must be survived (or cleaned up after) by the process itself,
 * so it cannot run inside the test's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far (its log). */
  log(): string;
  /** Resolves with the exit code when the process exits. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawn `roster serve --port 0` and wait until it says where it listens. */
export async function startServeProcess(env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli/main.ts', 'serve', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let url: string | undefined;
  // Startup (tsx compile, migrations) takes a few seconds; a process that exits says why in its log.
  for (let i = 0; i < 600 && !url && child.exitCode === null; i++) {
    url = /roster listening on (http:\/\/\S+?) /.exec(log)?.[1];
    if (!url) await sleep(100);
  }
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`roster serve did not start: ${log}`);
  }
  return {
    url,
    child,
    log: () => log,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Ask `probe` until it answers true (at most `tries` times, `everyMs` apart). */
export async function eventually(probe: () => Promise<boolean>, tries = 300, everyMs = 200): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await probe().catch(() => false)) return true;
    await sleep(everyMs);
  }
  return false;
}
