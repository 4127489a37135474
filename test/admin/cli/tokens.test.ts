import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, errorLines, runCli, type CliEnvironment } from './support.js';

let cli: CliEnvironment;
const run = (...argv: string[]) => runCli(argv, cli.env);

beforeAll(async () => {
  cli = await cliEnvironment();
  expect((await run('tenant', 'create', 'acme')).code).toBe(0);
  expect((await run('connection', 'create', '--tenant', 'acme', '--name', 'okta', '--kind', 'scim')).code).toBe(0);
});
afterAll(() => cli.cleanup());

describe('roster token', () => {
  it('prints a new token once, lists it by prefix only, and revokes it', async () => {
    const created = await run('token', 'create', 'acme/okta', '--name', 'Okta SCIM', '--expires', '90d', '--json');
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout) as { id: string; token: string; prefix: string; expiresAt: string };
    expect(token).toMatchObject({ id: expect.any(String), token: expect.stringMatching(/^rst_/), expiresAt: expect.any(String) });

    const human = await run('token', 'create', 'acme/okta', '--name', 'second');
    expect(human.stdout).toMatch(/rst_\S{43}/);
    expect(human.stdout).toMatch(/cannot show it again/);

    const listed = await run('token', 'list', 'acme/okta');
    expect(listed.stdout).toContain(token.prefix);
    expect(listed.stdout).not.toContain(token.token);
    expect(listed.stdout).toMatch(/Okta SCIM .* active/);

    const revoked = await run('token', 'revoke', token.id, '--json');
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: token.id, status: 'revoked' });
  });

  it('refuses a bad expiry and an unknown connection in one line', async () => {
    const bad = await run('token', 'create', 'acme/okta', '--name', 'x', '--expires', 'tomorrow-ish');
    expect(bad.code).toBe(1);
    expect(errorLines(bad.stderr)).toEqual([expect.stringMatching(/^roster: --expires "tomorrow-ish" must be a duration/)]);
    const missing = await run('token', 'list', 'acme/nope');
    expect(errorLines(missing.stderr)).toEqual(['roster: connection "acme/nope" not found']);
  });

  it('sets the SCIM rate limit and push flag on a connection', async () => {
    const updated = await run('connection', 'update', 'acme/okta', '--scim-rate-limit', '0', '--json');
    expect(JSON.parse(updated.stdout).scimRateLimit).toEqual({ perMinute: 0, burst: 20 });
  });
});
