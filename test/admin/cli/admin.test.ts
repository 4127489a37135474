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

describe('roster api-key', () => {
  it('prints a new key once, lists it by prefix only, and revokes it', async () => {
    const created = await run('api-key', 'create', '--name', 'console', '--scope', 'admin', '--json');
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; prefix: string };
    expect(key).toMatchObject({ id: expect.any(String), key: expect.stringMatching(/^rsk_/), scope: 'admin', tenant: null });

    const human = await run('api-key', 'create', '--name', 'login service', '--scope', 'login-sync', '--tenant', 'acme');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/scope login-sync, tenant acme only/);
    expect(human.stdout).toMatch(/rsk_\S{43}/);
    expect(human.stdout).toMatch(/cannot show it again/);

    const listed = await run('api-key', 'list');
    expect(listed.stdout).toMatch(/^NAME\s+PREFIX\s+SCOPE\s+TENANT\s+STATUS\s+CREATED\s+LAST USED\s+REVOKED\s+ID/);
    expect(listed.stdout).toContain(key.prefix);
    expect(listed.stdout).not.toContain(key.key);
    expect(listed.stdout).toMatch(/console .* admin .* \(all\) .* active .* never/);

    const revoked = await run('api-key', 'revoke', key.id, '--json');
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: key.id, status: 'revoked' });
    const json = JSON.parse((await run('api-key', 'list', '--json')).stdout) as Array<{ id: string; status: string }>;
    expect(json.find((k) => k.id === key.id)?.status).toBe('revoked');
  });

  it('refuses a bad scope, an unknown tenant and an unknown id in one line with exit 1', async () => {
    const scope = await run('api-key', 'create', '--name', 'x', '--scope', 'root');
    expect(scope.code).toBe(1);
    expect(errorLines(scope.stderr)).toEqual([expect.stringMatching(/^roster: apiKey\.create: "scope" must be one of admin, login-sync/)]);
    const tenant = await run('api-key', 'create', '--name', 'x', '--scope', 'admin', '--tenant', 'nope');
    expect(errorLines(tenant.stderr)).toEqual(['roster: tenant "nope" not found']);
    const id = await run('api-key', 'revoke', 'nope');
    expect(id.code).toBe(1);
    expect(errorLines(id.stderr)).toEqual(['roster: API key "nope" not found']);
    const usage = await run('api-key', 'create', '--scope', 'admin');
    expect(usage.code).toBe(2);
  });
});

describe('roster report', () => {
  it('reports one connection, and every connection with its health', async () => {
    const one = await run('report', 'acme/okta', '--json');
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ connection: 'acme/okta', kind: 'scim', status: 'never', health: 'healthy', usersSynced: 0, recentRuns: [] });
    const human = await run('report', 'acme/okta');
    expect(human.stdout).toMatch(/^connection: acme\/okta$/m);
    expect(human.stdout).toMatch(/^health: healthy \(waiting for a first SCIM push/m);
    expect(human.stdout).toContain('(no runs yet)');

    const all = await run('report');
    expect(all.stdout).toMatch(/^CONNECTION\s+KIND\s+HEALTH/);
    expect(all.stdout).toMatch(/acme\/okta\s+scim\s+healthy\s+never/);
    const tenant = JSON.parse((await run('report', '--tenant', 'acme', '--json')).stdout) as unknown[];
    expect(tenant).toHaveLength(1);
  });

  it('refuses an unknown connection and a bad --runs', async () => {
    const missing = await run('report', 'acme/nope');
    expect(missing.code).toBe(1);
    expect(errorLines(missing.stderr)).toEqual(['roster: connection "acme/nope" not found']);
    const runs = await run('report', 'acme/okta', '--runs', 'many');
    expect(runs.code).toBe(2);
  });
});

describe('roster connection update --scim-push-window', () => {
  it('sets the window health uses for a SCIM connection, and resets it to the default', async () => {
    const set = await run('connection', 'update', 'acme/okta', '--scim-push-window', '90m', '--json');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).scimPushWindowSeconds).toBe(5400);
    expect(JSON.parse((await run('report', 'acme/okta', '--json')).stdout).scimPushWindowSeconds).toBe(5400);
    const bad = await run('connection', 'update', 'acme/okta', '--scim-push-window', 'soon');
    expect(bad.code).toBe(1);
    expect(errorLines(bad.stderr)).toEqual(['roster: window "soon" must be a duration such as 90m, 24h or 2d (at most 365d)']);
    const reset = await run('connection', 'update', 'acme/okta', '--scim-push-window', 'default', '--json');
    expect(JSON.parse(reset.stdout).scimPushWindowSeconds).toBeNull();
    expect(JSON.parse((await run('report', 'acme/okta', '--json')).stdout).scimPushWindowSeconds).toBe(86_400);
  });
});
