/**
 * The CLI as a real process: exit codes, the full first-run flow, and the
 * embedded lock shared with `roster serve`. Subprocess calls cost about a
 * second each, so these are few and each checks several things.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { lockPath } from '../../../src/core/store/index.js';
import { REPO_ROOT, cliEnvironment, errorLines, spawnCli, type CliEnvironment } from './support.js';

const environments: CliEnvironment[] = [];
let server: ChildProcess | undefined;

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  for (const e of environments) await e.cleanup();
});

async function environment(options: { embedded?: boolean } = {}) {
  const e = await cliEnvironment(options);
  environments.push(e);
  return e;
}

describe('roster as a subprocess', () => {
  it('runs the first-run flow and reports errors in one line with exit codes', async () => {
    const { env, dataDir } = await environment();
    const secret = 'client-secret-must-not-leak';
    const settings = path.join(dataDir, 'entra.json');
    writeFileSync(settings, JSON.stringify({ tenantId: 'contoso', clientId: 'app', clientSecret: secret }));

    const tenant = await spawnCli(['tenant', 'create', 'acme', '--json'], env);
    expect(tenant.code).toBe(0);
    expect(JSON.parse(tenant.stdout).slug).toBe('acme');
    const created = await spawnCli(['connection', 'create', '--tenant', 'acme', '--name', 'entra', '--kind', 'entra', '--settings', settings, '--json'], env);
    expect(created.code).toBe(0);
    const shown = await spawnCli(['connection', 'show', 'acme/entra', '--json'], env);
    expect(JSON.parse(shown.stdout).settings.clientSecret).toBe('(set)');
    expect(shown.stdout + shown.stderr).not.toContain(secret);
    expect((await spawnCli(['role', 'create', 'admin', '--tenant', 'acme'], env)).stdout).toMatch(/^created role admin/);
    const mapping = await spawnCli(['mapping', 'add', '--tenant', 'acme', '--group', 'Engineering', '--role', 'admin', '--connection', 'acme/entra', '--json'], env);
    expect(JSON.parse(mapping.stdout)).toMatchObject({ group: 'Engineering', role: 'admin', connection: 'entra', tenantWide: false });
    const users = await spawnCli(['user', 'list', '--tenant', 'acme', '--json'], env);
    expect(users.code).toBe(0);
    expect(JSON.parse(users.stdout)).toEqual({ users: [], more: false, nextCursor: null });

    const unknown = await spawnCli(['user', 'list', '--tenant', 'nope'], env);
    expect([unknown.code, errorLines(unknown.stderr)]).toEqual([1, ['roster: tenant "nope" not found']]);
    const dup = await spawnCli(['tenant', 'create', 'acme'], env);
    expect([dup.code, errorLines(dup.stderr)]).toEqual([1, ['roster: tenant "acme" already exists']]);
    writeFileSync(settings, 'clientSecret=oops');
    const malformed = await spawnCli(['connection', 'create', '--tenant', 'acme', '--name', 'e2', '--kind', 'entra', '--settings', settings], env);
    expect(malformed.code).toBe(1);
    expect(errorLines(malformed.stderr)).toEqual([expect.stringMatching(/^roster: settings file ".*entra\.json" is not valid JSON/)]);
    expect(malformed.stderr).not.toMatch(/\n\s+at /);
  });

  it('sends commands through a running server, which holds the embedded database', async () => {
    // The lock is the embedded database's, so this runs on PGlite whatever the backend of the run.
    const { env, dataDir } = await environment({ embedded: true });
    server = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli/main.ts', 'serve', '--port', '0'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let serverLog = '';
    server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
    const exited = new Promise<number | null>((resolve) => server!.on('exit', (code) => resolve(code)));

    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      if (existsSync(lockPath(dataDir))) url = (JSON.parse(readFileSync(lockPath(dataDir), 'utf8') || '{}') as { url?: string }).url;
      if (!url) await sleep(100);
    }
    expect(url, serverLog).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The URL reaches the lock file just before the log line reaches stderr.
    for (let i = 0; i < 50 && !serverLog.includes(`roster listening on ${url}`); i++) await sleep(100);
    expect(serverLog).toContain(`roster listening on ${url}`);
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });

    expect((await spawnCli(['tenant', 'create', 'viaserver'], env)).code).toBe(0);
    const listed = await spawnCli(['tenant', 'list', '--json'], env);
    expect(JSON.parse(listed.stdout).map((t: { slug: string }) => t.slug)).toEqual(['viaserver']);
    const migrate = await spawnCli(['migrate'], env);
    expect(migrate.code).toBe(1);
    expect(errorLines(migrate.stderr)).toEqual([expect.stringContaining(`roster serve (pid ${server.pid}, ${url})`)]);

    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(lockPath(dataDir))).toBe(false);
    const direct = await spawnCli(['tenant', 'list', '--json'], env);
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout).map((t: { slug: string }) => t.slug)).toEqual(['viaserver']);
  });
});
