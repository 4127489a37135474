/**
 * `roster demo` as a newcomer runs it: a real process (launcher + demo child
 * through tsx), the fake IdPs, the first syncs, SCIM, the CLI going through
 * the running demo server, Ctrl-C, and a second run on the same folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockPath } from '../../../src/core/store/index.js';
import { REPO_ROOT, spawnCli } from './support.js';

const base = mkdtempSync(path.join(tmpdir(), 'roster-demo-'));
const demoDir = path.join(base, 'demo');
const children: ChildProcess[] = [];
let firstToken: string | undefined;

// Without DATABASE_URL for the CLI (it must find the demo server through the
// lock file); the demo gets an unreachable one, which it must ignore.
const cliEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, USER: 'tester', LOG_FORMAT: 'json' };
const demoEnv: NodeJS.ProcessEnv = { ...cliEnv, ROSTER_DATA_DIR: base, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/not-used' };

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

interface RunningDemo {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `roster demo --port 0` and resolves once it prints its "serving" line. */
async function startDemo(): Promise<RunningDemo & { url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli/main.ts', 'demo', '--port', '0'], { cwd: REPO_ROOT, env: demoEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 45_000;
  let serving: RegExpMatchArray | null = null;
  while (!(serving = out.match(/^Roster demo is serving on (http:\/\/127\.0\.0\.1:\d+) \(Ctrl-C to stop\)$/m))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the demo did not start (exit ${child.exitCode}):\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url: serving[1]!, stdout: () => out, stderr: () => err, exited };
}

/** The report lines: connection, status, users synced, and the rows written on the line after. */
function reports(out: string) {
  return [...out.matchAll(/^ {2}(demo\/\w+)\s+(\w+)\s+(\d+) users?, (\d+) groups?.*\n.*; (\d+) rows? written$/gm)].map((m) => ({
    connection: m[1],
    status: m[2],
    users: Number(m[3]),
    groups: Number(m[4]),
    rowsWritten: Number(m[5]),
  }));
}

async function stopWithCtrlC(demo: RunningDemo): Promise<number | null> {
  demo.child.kill('SIGINT');
  return demo.exited;
}

describe('roster demo', () => {
  it('syncs the three sample IdPs, serves SCIM and the CLI, and stops cleanly on Ctrl-C', async () => {
    const demo = await startDemo();
    const out = demo.stdout();
    const first = reports(out);
    expect(first.map((r) => [r.connection, r.status]), out).toEqual([
      ['demo/entra', 'succeeded'],
      ['demo/okta', 'succeeded'],
      ['demo/google', 'succeeded'],
    ]);
    for (const r of first) {
      expect(r.users).toBeGreaterThan(0);
      expect(r.groups).toBeGreaterThan(0);
      expect(r.rowsWritten).toBeGreaterThan(r.users);
    }
    expect(out).toContain('(embedded PGlite; new;');
    // No stack traces or internal errors on a clean run.
    expect(demo.stderr()).not.toMatch(/\n\s+at |internal error/);

    expect((await fetch(`${demo.url}/healthz`)).status).toBe(200);
    const scimBase = out.match(/^ {2}base URL\s+(\S+)$/m)?.[1];
    const token = out.match(/^ {2}token\s+(\S+)$/m)?.[1];
    expect(scimBase).toBe(`${demo.url}/scim/v2`);
    expect(token).toBeTruthy();
    firstToken = token;
    expect(out).toContain(`curl -H "Authorization: Bearer ${token}" ${scimBase}/Users`);
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${scimBase}/Users`)).status).toBe(401);
    const pushed = await fetch(`${scimBase}/Users`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'newcomer@scim.example', active: true }),
    });
    expect(pushed.status).toBe(201);
    const listed = await fetch(`${scimBase}/Users`, { headers: auth });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { totalResults: number; Resources: Array<{ userName: string }> };
    expect(body.Resources.map((u) => u.userName)).toEqual(['newcomer@scim.example']);

    // The demo server holds its own folder's embedded database; the CLI goes through it.
    const lock = JSON.parse(readFileSync(lockPath(demoDir), 'utf8')) as { role: string; url: string };
    expect([lock.role, lock.url]).toEqual(['server', demo.url]);
    const sync = await spawnCli(['sync', 'demo/okta', '--json'], { ...cliEnv, ROSTER_DATA_DIR: demoDir });
    expect(sync.code, sync.stderr).toBe(0);
    const report = JSON.parse(sync.stdout) as { status: string; usersSynced: number; counts: { rowsWritten: number } };
    expect(report.status).toBe('succeeded');
    expect(report.usersSynced).toBe(first[1]!.users);
    expect(report.counts.rowsWritten).toBe(0);

    const oktaUrl = out.match(/^\s+okta\s+(http\S+)$/m)?.[1];
    expect(oktaUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await stopWithCtrlC(demo)).toBe(0);
    expect(demo.stdout()).toContain('Roster demo stopped.');
    expect(existsSync(lockPath(demoDir))).toBe(false);
    // The fakes went with it: nothing listens on their ports any more.
    await expect(fetch(`${oktaUrl}/api/v1/users`)).rejects.toThrow();
    // The real data folder was not touched: the demo keeps to <ROSTER_DATA_DIR>/demo.
    expect(existsSync(path.join(base, 'pglite'))).toBe(false);
  });

  it('reuses the demo tenant on a second run: same connections at new fake ports, nothing to write', async () => {
    const demo = await startDemo();
    const out = demo.stdout();
    expect(out).toContain('(embedded PGlite; reused from the last demo;');
    expect(reports(out).map((r) => [r.connection, r.status, r.rowsWritten])).toEqual([
      ['demo/entra', 'succeeded', 0],
      ['demo/okta', 'succeeded', 0],
      ['demo/google', 'succeeded', 0],
    ]);
    const token = out.match(/^ {2}token\s+(\S+)$/m)?.[1];
    const users = await fetch(`${demo.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await users.json()) as { totalResults: number }).totalResults).toBe(1);
    // The last run's token was revoked when this one was made.
    expect(token).not.toBe(firstToken);
    expect((await fetch(`${demo.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${firstToken}` } })).status).toBe(401);
    expect(await stopWithCtrlC(demo)).toBe(0);
    expect(existsSync(lockPath(demoDir))).toBe(false);
  });
});
