/**
 * `roster sync` while `roster serve` holds the embedded database: the CLI
 * goes through the server's command endpoint, which streams progress, and
 * errors still print and exit as they do in process. The server is a real
 * subprocess; the CLI runs in process (its stderr a pretend terminal, so the
 * progress line draws).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/admin/cli/main.js';
import { lockPath } from '../../../src/core/store/index.js';
import { startFakeOkta, type FakeOkta } from '../../fakes/okta/index.js';
import { REPO_ROOT, cliEnvironment, errorLines, type CliEnvironment } from './support.js';

let cli: CliEnvironment;
let fake: FakeOkta;
let server: ChildProcess;
let url: string | undefined;
let serverLog = '';

/** The CLI in process; `tty` makes its stderr look like a terminal. */
async function roster(argv: string[], tty = false) {
  let stdout = '';
  let stderr = '';
  const code = await main({
    argv,
    env: cli.env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: Object.assign({ write: (s: string) => (stderr += s) }, tty ? { isTTY: true } : {}),
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  // The lock belongs to the embedded database, so this runs on PGlite whatever the backend of the run.
  cli = await cliEnvironment({ embedded: true });
  fake = await startFakeOkta();
  for (let i = 0; i < 650; i++) fake.directory.addUser({ profile: { login: `u${i}@okta.test`, firstName: 'U', lastName: `${i}` } });
  server = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli/main.ts', 'serve', '--port', '0'], { cwd: REPO_ROOT, env: cli.env, stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
  for (let i = 0; i < 300 && !url; i++) {
    if (existsSync(lockPath(cli.dataDir))) url = (JSON.parse(readFileSync(lockPath(cli.dataDir), 'utf8') || '{}') as { url?: string }).url;
    if (!url) await sleep(100);
  }
  expect(url, serverLog).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const file = path.join(cli.dataDir, 'okta.json');
  writeFileSync(file, JSON.stringify({ orgUrl: fake.url, apiToken: 'test-token', retryDelayMs: 1, serverErrorRetries: 0 }));
  expect((await roster(['tenant', 'create', 'acme'])).code).toBe(0);
  expect((await roster(['connection', 'create', '--tenant', 'acme', '--name', 'okta', '--kind', 'okta', '--settings', file])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  await fake?.close();
  await cli?.cleanup();
});

describe('roster sync through a running server', () => {
  it('shows the live progress line, then the report', async () => {
    const r = await roster(['sync', 'acme/okta', '--full'], true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\r\x1b\[2Ksyncing acme\/okta: pages \d+ · users [\d,]+ · groups \d+ · \d+\.\ds/);
    expect(r.stderr.endsWith('\r\x1b[2K')).toBe(true); // cleared before the report
    expect(r.stdout).toMatch(/status: succeeded/);
    expect(r.stdout).toMatch(/usersSynced: 650/);
    // It did go through the server: the server's log has the run (the CLI could not have opened the folder).
    expect(serverLog).toContain('sync planned');
  });

  it('prints the JSON report alone with --json', async () => {
    const r = await roster(['sync', 'acme/okta', '--json'], true);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/syncing/);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'succeeded', connection: 'acme/okta', usersSynced: 650 });
  });

  it('maps errors to the same messages and exit codes as in process', async () => {
    const missing = await roster(['sync', 'acme/nope'], true);
    expect([missing.code, errorLines(missing.stderr)]).toEqual([1, ['roster: connection "acme/nope" not found']]);

    const invalid = await roster(['sync', 'acme/okta', '--approve', 'x', '--full']);
    expect([invalid.code, errorLines(invalid.stderr)]).toEqual([
      1,
      ['roster: --approve applies a held plan as it is: it cannot be combined with --full or --dry-run'],
    ]);

    fake.faults.push({ route: 'users', status: 500 });
    const failed = await roster(['sync', 'acme/okta', '--full'], true);
    fake.faults.splice(0);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/status: failed/);
    expect(errorLines(failed.stderr.replace(/\r\x1b\[2K[^\r\n]*/g, ''))).toEqual([expect.stringMatching(/^roster: sync of acme\/okta failed: /)]);
  });

  it('shuts down on SIGTERM once the CLI has its answers (no connection left busy)', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(serverLog).toContain('roster stopped');
  });
});
