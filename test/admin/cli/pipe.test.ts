/**
 * The CLI's output through a pipe to a slow reader (`roster ... --json | jq`):
 * it must arrive whole, and the exit code only after it. Run as real
 * processes: the source entry through tsx, and bin/roster.js on a build of
 * src/ (made here, in a folder of its own under test-artifacts/).
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cliEnvironment, seedUsers, type CliEnvironment } from './support.js';

const USERS = 1200;
let cli: CliEnvironment;
const build = path.join(REPO_ROOT, 'test-artifacts', `bin-${process.pid}`);

beforeAll(async () => {
  cli = await cliEnvironment();
  // Long display names: 1000 users as JSON are well past the 64 KiB a pipe holds.
  await seedUsers(cli.env, 'acme', USERS, (n) => ({ displayName: `User ${n} of the Acme Corporation, Research and Development` }));
}, 120_000);
afterAll(async () => {
  rmSync(build, { recursive: true, force: true });
  await cli.cleanup();
});

interface Piped {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command with stdout into a pipe read slowly: a pause after every chunk. */
function runPiped(args: string[], env: NodeJS.ProcessEnv): Promise<Piped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      child.stdout.pause();
      void sleep(20).then(() => child.stdout.resume());
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    // 'close' comes once the process has exited and both pipes have ended.
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr }));
  });
}

describe('output through a pipe', () => {
  it('delivers a 1000-user --json listing whole through a slow pipe, then exits 0', async () => {
    const r = await runPiped(['--import', 'tsx', 'src/admin/cli/main.ts', 'user', 'list', '--tenant', 'acme', '--limit', '1000', '--json'], cli.env);
    expect(r.stdout.length).toBeGreaterThan(4 * 65_536);
    expect(r.code, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as { users: unknown[]; more: boolean };
    expect(listed.users).toHaveLength(1000);
    expect(listed.more).toBe(true);
  });

  it('leaves nothing keeping the process alive once a command has returned', async () => {
    const r = await runPiped(['--import', 'tsx', 'test/admin/cli/leftover-handles.ts', 'user', 'list', '--tenant', 'acme', '--json'], cli.env);
    expect(JSON.parse(r.stderr.trimEnd().split('\n').at(-1)!)).toEqual({ code: 0, left: [] });
  });

  it('delivers every user with --all, through bin/roster.js on a build of src/', async () => {
    mkdirSync(path.join(build, 'bin'), { recursive: true });
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(build, 'dist')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    copyFileSync(path.join(REPO_ROOT, 'bin/roster.js'), path.join(build, 'bin/roster.js'));
    // The built store finds its migrations two folders up from dist/core/store/, as in a package.
    symlinkSync(path.join(REPO_ROOT, 'drizzle'), path.join(build, 'drizzle'));

    const json = await runPiped([path.join(build, 'bin/roster.js'), 'user', 'list', '--tenant', 'acme', '--all', '--json'], cli.env);
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as { users: Array<{ userName: string }>; more: boolean };
    expect(listed.more).toBe(false);
    expect(new Set(listed.users.map((u) => u.userName)).size).toBe(USERS);

    const table = await runPiped([path.join(build, 'bin/roster.js'), 'user', 'list', '--tenant', 'acme', '--all'], cli.env);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^USERNAME +NAME/);
    expect(new Set(lines.slice(1).map((l) => l.split(' ')[0])).size).toBe(USERS);
  }, 180_000);
});
