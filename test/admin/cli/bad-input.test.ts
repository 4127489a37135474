/** Numbers past what Roster stores, given on the command line: one line on stderr, a non-zero exit, nothing changed. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliEnvironment, runCli, type CliEnvironment } from './support.js';

let env: CliEnvironment;
const run = (...argv: string[]) => runCli(argv, env.env);

beforeAll(async () => {
  env = await cliEnvironment();
  expect((await run('tenant', 'create', 'acme')).code).toBe(0);
  expect((await run('connection', 'create', '--tenant', 'acme', '--name', 'push', '--kind', 'scim')).code).toBe(0);
});
afterAll(async () => env.cleanup());

it('refuses --deletion-threshold beyond the int range with one line and exit 1', async () => {
  const res = await run('connection', 'update', 'acme/push', '--deletion-threshold', '99999999999');
  expect(res.code).not.toBe(0);
  expect(res.stderr.trim().split('\n')).toHaveLength(1);
  expect(res.stderr).toMatch(/deletion threshold "99999999999" must be at most 2147483647/);
  const shown = await run('connection', 'show', 'acme/push', '--json');
  expect(JSON.parse(shown.stdout).deletionThreshold).toEqual({ count: null, percent: null });
});

it('refuses --scim-rate-limit and --scim-burst beyond their range the same way', async () => {
  for (const option of ['--scim-rate-limit', '--scim-burst', '--login-sync-timeout']) {
    const res = await run('connection', 'update', 'acme/push', option, '99999999999');
    expect(res.code, option).not.toBe(0);
    expect(res.stderr.trim().split('\n'), option).toHaveLength(1);
    expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
  }
});

it('refuses a settings file holding a NUL character with one line naming the field', async () => {
  const file = path.join(env.dataDir, 'nul.settings.json');
  writeFileSync(file, JSON.stringify({ tenantId: 't\u0000', clientId: 'c', clientSecret: 's' }));
  const res = await run('connection', 'create', '--tenant', 'acme', '--name', 'entra', '--kind', 'entra', '--settings', file);
  expect(res.code).not.toBe(0);
  expect(res.stderr.trim().split('\n')).toHaveLength(1);
  expect(res.stderr).toMatch(/tenantId.*NUL/);
  expect((await run('connection', 'list', '--json')).stdout).not.toContain('"entra"');
});
