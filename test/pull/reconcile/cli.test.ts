/** `roster sync` and `roster connection test` in process, against the fake Okta org. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, errorLines, runCli, type CliEnvironment } from '../../admin/cli/support.js';
import { startFakeOkta, type FakeOkta } from '../../fakes/okta/index.js';

let cli: CliEnvironment;
let fake: FakeOkta;
const run = (...argv: string[]) => runCli(argv, cli.env);
const users: string[] = [];

beforeAll(async () => {
  cli = await cliEnvironment();
  fake = await startFakeOkta();
  for (const n of ['ann', 'bo', 'cy', 'dee']) users.push(fake.directory.addUser({ profile: { login: `${n}@okta.test`, firstName: n, lastName: 'T' } }).id);
  const file = path.join(cli.dataDir, 'okta.json');
  writeFileSync(file, JSON.stringify({ orgUrl: fake.url, apiToken: 'test-token', retryDelayMs: 1 }));
  expect((await run('tenant', 'create', 'acme')).code).toBe(0);
  expect((await run('connection', 'create', '--tenant', 'acme', '--name', 'okta', '--kind', 'okta', '--settings', file)).code).toBe(0);
});

afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

describe('roster sync and roster connection test', () => {
  it('tests a connection and names the permission that is missing', async () => {
    const ok = await run('connection', 'test', 'acme/okta', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, connection: 'acme/okta' });
    fake.permissions.groups = false;
    const bad = await run('connection', 'test', 'acme/okta');
    fake.permissions.groups = true;
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('NO');
    expect(errorLines(bad.stderr)).toEqual([expect.stringMatching(/^roster: connection acme\/okta failed its test: .*group/i)]);
  });

  it('prints the report as JSON and exits 0 when the sync succeeded', async () => {
    const r = await run('sync', 'acme/okta', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ status: 'succeeded', mode: 'full', connection: 'acme/okta', usersSynced: 4, counts: { usersCreated: 4 }, approveCommand: null });
    expect(report.runId).toEqual(expect.any(String));
    expect(report.apiRequests).toBeGreaterThan(0);
    expect(report.durationMs).toEqual(expect.any(Number));
  });

  it('prints a held report with its approve command and fails with one line; --approve applies it', async () => {
    expect((await run('connection', 'update', 'acme/okta', '--deletion-threshold', '1')).code).toBe(0);
    fake.directory.suspend(users[0]!);
    fake.directory.suspend(users[1]!);
    const held = await run('sync', 'acme/okta');
    expect(held.code).toBe(1);
    expect(held.stdout).toMatch(/status: held/);
    const runId = /--approve ([0-9a-f-]{36})/.exec(held.stdout)![1]!;
    expect(errorLines(held.stderr)).toEqual([`roster: sync of acme/okta is held for approval: run \`roster sync acme/okta --approve ${runId}\` or change the deletion threshold`]);
    const approved = await run('sync', 'acme/okta', '--approve', runId, '--json');
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ status: 'succeeded', trigger: 'approval', counts: { usersDeactivated: 2 } });
  });

  it('fails with exit 1 and the reason when the IdP refuses the listing', async () => {
    fake.faults.push({ route: 'users', status: 500 });
    const r = await run('sync', 'acme/okta', '--full', '--json');
    fake.faults.splice(0);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).status).toBe('failed');
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^roster: sync of acme\/okta failed: /)]);
  });
});
