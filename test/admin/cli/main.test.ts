import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, errorLines, runCli, type CliEnvironment } from './support.js';

let cli: CliEnvironment;
const run = (...argv: string[]) => runCli(argv, cli.env);
const SECRET = 'okta-api-token-abcdef';

beforeAll(async () => {
  cli = await cliEnvironment();
});
afterAll(() => cli.cleanup());

describe('roster CLI (in process)', () => {
  it('creates and lists tenants as JSON', async () => {
    const created = await run('tenant', 'create', 'acme', '--name', 'Acme', '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ slug: 'acme', name: 'Acme', id: expect.any(String) });
    const listed = await run('tenant', 'list', '--json');
    expect(JSON.parse(listed.stdout).map((t: { slug: string }) => t.slug)).toEqual(['acme']);
  });

  it('reports a duplicate tenant and an unknown tenant in one line with exit 1', async () => {
    const dup = await run('tenant', 'create', 'acme');
    expect(dup.code).toBe(1);
    expect(errorLines(dup.stderr)).toEqual(['roster: tenant "acme" already exists']);
    const unknown = await run('role', 'list', '--tenant', 'nope');
    expect(unknown.code).toBe(1);
    expect(errorLines(unknown.stderr)).toEqual(['roster: tenant "nope" not found']);
  });

  it('reports usage errors with exit 2 and prints help with exit 0', async () => {
    const bad = await run('tenant', 'create', 'x', '--bogus');
    expect(bad.code).toBe(2);
    expect(errorLines(bad.stderr)).toEqual([expect.stringMatching(/^roster: unknown option '--bogus'/)]);
    const conflicting = await run('connection', 'update', 'acme/x', '--enable', '--disable');
    expect(conflicting.code).toBe(2);
    const help = await run('grant', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/tenant\/userName/);
  });

  it('refuses malformed settings files naming the file, and stores nothing', async () => {
    const notJson = path.join(cli.dataDir, 'broken.json');
    const wrong = path.join(cli.dataDir, 'wrong.json');
    writeFileSync(notJson, '{"orgUrl": ');
    writeFileSync(wrong, JSON.stringify({ orgUrl: 'not-a-url', apiToken: SECRET, extra: true }));
    const cases: Array<[string, RegExp]> = [
      [notJson, /settings file ".*broken\.json" is not valid JSON/],
      [path.join(cli.dataDir, 'missing.json'), /settings file ".*missing\.json": cannot read it \(no such file\)/],
      [wrong, /settings file ".*wrong\.json": .*"orgUrl" must be an https URL/],
    ];
    for (const [file, message] of cases) {
      const r = await run('connection', 'create', '--tenant', 'acme', '--name', 'okta', '--kind', 'okta', '--settings', file);
      expect(r.code).toBe(1);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(message)]);
    }
    expect(JSON.parse((await run('connection', 'list', '--json')).stdout)).toEqual([]);
  });

  it('stores a connection secret it shows only masked, and updates it', async () => {
    const file = path.join(cli.dataDir, 'okta.json');
    writeFileSync(file, JSON.stringify({ orgUrl: 'https://acme.okta.com', apiToken: SECRET }));
    const created = await run('connection', 'create', '--tenant', 'acme', '--name', 'okta', '--kind', 'okta', '--settings', file, '--schedule', '*/30 * * * *', '--json');
    expect(created.code).toBe(0);
    expect(created.stdout).not.toContain(SECRET);
    const shown = await run('connection', 'show', 'acme/okta');
    expect(shown.stdout).toMatch(/"apiToken": "\(set\)"/);
    expect(shown.stdout).not.toContain(SECRET);
    const updated = await run('connection', 'update', 'acme/okta', '--no-schedule', '--disable', '--deletion-threshold', '5%', '--json');
    expect(JSON.parse(updated.stdout)).toMatchObject({ schedule: null, enabled: false, deletionThreshold: { percent: 5 } });
  });

  it('gives a pull connection a daily full sync unless --no-full-schedule, and shows it', async () => {
    const file = path.join(cli.dataDir, 'okta2.json');
    writeFileSync(file, JSON.stringify({ orgUrl: 'https://acme.okta.com', apiToken: SECRET }));
    const daily = JSON.parse((await run('connection', 'create', '--tenant', 'acme', '--name', 'nightly', '--kind', 'okta', '--settings', file, '--json')).stdout);
    expect(daily.fullSchedule).toMatch(/^\d+ [234] \* \* \*$/);
    expect((await run('connection', 'list', '--tenant', 'acme')).stdout).toMatch(new RegExp(`FULL SCHEDULE[\\s\\S]*acme/nightly.*${daily.fullSchedule.replace(/\*/g, '\\*')}`));
    const none = await run('connection', 'create', '--tenant', 'acme', '--name', 'never', '--kind', 'okta', '--settings', file, '--no-full-schedule', '--json');
    expect(JSON.parse(none.stdout).fullSchedule).toBeNull();
    expect((await run('connection', 'show', 'acme/never')).stdout).toMatch(/fullSchedule: \(none: opted out\)/);
    const changed = await run('connection', 'update', 'acme/nightly', '--full-schedule', '0 1 * * 6', '--json');
    expect(JSON.parse(changed.stdout).fullSchedule).toBe('0 1 * * 6');
    for (const name of ['nightly', 'never']) expect((await run('connection', 'delete', `acme/${name}`)).code).toBe(0);
  });

  it('refuses, in one line, a schedule that never fires and a new orgUrl without the token', async () => {
    const never = await run('connection', 'update', 'acme/okta', '--full-schedule', '0 0 1 * 1#2');
    expect(never.code).toBe(1);
    expect(errorLines(never.stderr)).toEqual([expect.stringMatching(/fullSchedule "0 0 1 \* 1#2" never fires/)]);
    const file = path.join(cli.dataDir, 'moved.json');
    writeFileSync(file, JSON.stringify({ orgUrl: 'https://elsewhere.example' }));
    const moved = await run('connection', 'update', 'acme/okta', '--settings', file);
    expect(moved.code).toBe(1);
    expect(errorLines(moved.stderr)).toEqual([expect.stringMatching(/changing "orgUrl" .*give "apiToken" again/)]);
    expect((await run('connection', 'show', 'acme/okta')).stdout).toContain('https://acme.okta.com');
  });

  it('applies the secret key policy of its backend', async () => {
    if (cli.env.DATABASE_URL) {
      // On Postgres, no key means no credentials stored at all.
      const noKey = { ...cli.env, ROSTER_SECRET_KEY: undefined };
      const file = path.join(cli.dataDir, 'entra.json');
      writeFileSync(file, JSON.stringify({ tenantId: 't', clientId: 'c', clientSecret: 's' }));
      const r = await runCli(['connection', 'create', '--tenant', 'acme', '--name', 'entra', '--kind', 'entra', '--settings', file], noKey);
      expect(r.code).toBe(1);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^roster: ROSTER_SECRET_KEY is not set/)]);
      expect((await run('connection', 'show', 'acme/entra')).code).toBe(1);
    } else {
      // The embedded default generated its key next to the data on first need.
      expect(existsSync(path.join(cli.dataDir, 'secret.key'))).toBe(true);
    }
  });

  it('refuses a mapping that names neither its connection nor --tenant-wide, or both, with a one-line usage error', async () => {
    await run('role', 'create', 'viewer', '--tenant', 'acme');
    const neither = await run('mapping', 'add', '--tenant', 'acme', '--group', 'Admins', '--role', 'viewer');
    expect(neither.code).toBe(2);
    expect(errorLines(neither.stderr)).toEqual([expect.stringMatching(/^roster: give --connection <connection> \(only its groups match\) or --tenant-wide/)]);
    const both = await run('mapping', 'add', '--tenant', 'acme', '--group', 'Admins', '--role', 'viewer', '--connection', 'acme/okta', '--tenant-wide');
    expect(both.code).toBe(2);
    expect(errorLines(both.stderr)).toEqual([expect.stringMatching(/cannot be used with/)]);
    expect(JSON.parse((await run('mapping', 'list', '--tenant', 'acme', '--json')).stdout)).toEqual([]);
  });

  it('creates roles and mappings, and deletes a connection', async () => {
    expect(JSON.parse((await run('role', 'create', 'admin', '--tenant', 'acme', '--json')).stdout)).toMatchObject({ name: 'admin' });
    const mapping = await run('mapping', 'add', '--tenant', 'acme', '--group-id', '00gabc', '--role', 'admin', '--connection', 'acme/okta', '--json');
    expect(JSON.parse(mapping.stdout)).toMatchObject({ matchBy: 'external_id', group: '00gabc', connection: 'okta' });
    const listed = await run('mapping', 'list', '--tenant', 'acme');
    expect(listed.stdout).toMatch(/id:00gabc\s+admin\s+okta/);
    const wide = await run('mapping', 'add', '--tenant', 'acme', '--group', 'Staff', '--role', 'admin', '--tenant-wide');
    expect(wide.stdout).toMatch(/group "Staff" of every connection \(tenant-wide\) → role admin/);
    expect((await run('mapping', 'list', '--tenant', 'acme')).stdout).toMatch(/Staff\s+admin\s+\(tenant-wide\)/);
    expect(JSON.parse((await run('mapping', 'list', '--tenant', 'acme', '--json')).stdout)).toContainEqual(
      expect.objectContaining({ group: 'Staff', tenantWide: true, connection: null }),
    );
    await run('mapping', 'remove', JSON.parse((await run('mapping', 'list', '--tenant', 'acme', '--json')).stdout).find((m: { group: string }) => m.group === 'Staff').id);
    const deleted = await run('connection', 'delete', 'acme/okta', '--json');
    expect(JSON.parse(deleted.stdout)).toMatchObject({ deleted: true, mappingsRemoved: 1 });
    expect(JSON.parse((await run('mapping', 'list', '--tenant', 'acme', '--json')).stdout)).toEqual([]);
  });
});
