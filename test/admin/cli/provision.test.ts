/**
 * `roster sync <connection> --user <user> [--dry-run] [--json]` against the
 * fake Okta org: the steps printed for people, JSON for scripts (also as a
 * real process, its output through a pipe), and one line with exit 1 when a
 * step failed.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oktaAdapter } from '../../pull/providers/contract/adapters.js';
import { startScenario, type ScenarioIdp } from '../../pull/providers/contract/scenario.js';
import { cliEnvironment, errorLines, runCli, spawnCli, type CliEnvironment } from './support.js';

let cli: CliEnvironment;
let idp: ScenarioIdp;
let ann: string;
const run = (...argv: string[]) => runCli(argv, cli.env);
const login = (name: string) => `${name}@${idp.fake!.domain}`;

beforeAll(async () => {
  cli = await cliEnvironment();
  idp = await startScenario(oktaAdapter);
  ann = idp.addUser('ann');
  const staff = idp.addGroup('Staff');
  idp.addMember(staff, ann);
  const file = path.join(cli.dataDir, 'okta.json');
  writeFileSync(file, JSON.stringify(idp.settings));
  for (const argv of [
    ['tenant', 'create', 'acme'],
    ['connection', 'create', '--tenant', 'acme', '--name', 'okta', '--kind', 'okta', '--settings', file],
    ['role', 'create', 'staff', '--tenant', 'acme'],
    ['mapping', 'add', '--tenant', 'acme', '--group', 'Staff', '--role', 'staff', '--connection', 'acme/okta'],
  ]) {
    const r = await run(...argv);
    expect(r.code, r.stderr).toBe(0);
  }
});

afterAll(async () => {
  await idp?.close();
  await cli?.cleanup();
});

describe('roster sync --user', () => {
  it('--dry-run prints each step with its timing and what would change, and applies nothing', async () => {
    const r = await run('sync', 'acme/okta', '--user', login('ann'), '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^STEP\s+STATUS\s+MS\s+SUMMARY$/);
    expect(lines.slice(1, 7).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['fetch ok', 'match ok', 'scope ok', 'attributes ok', 'groups ok', 'apply skipped']);
    expect(r.stdout).toMatch(/^groups\s+ok\s+[\d.]+\s+join Staff; roles granted: staff$/m);
    expect(r.stdout).toMatch(/dry run: would apply 3 change\(s\) \(user\.create 1, group\.create 1, membership\.add 1\)/);
    expect(r.stdout).toContain('outcome: created (dry run: nothing applied)');
    expect(r.stdout).toContain('user: none stored');
    expect(JSON.parse((await run('user', 'list', '--tenant', 'acme', '--json')).stdout).users).toEqual([]);
  });

  it('provisions the user and prints them with their groups and roles; --json gives the whole answer', async () => {
    const r = await run('sync', 'acme/okta', '--user', login('ann'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('outcome: created');
    expect(r.stdout).toMatch(/user: ann@\S+ \([0-9a-f-]{36}\), active; groups: Staff; roles: staff \(idp\)/);
    const again = await run('sync', 'acme/okta', '--user', ann, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ dryRun: false, outcome: 'no-change', user: { externalId: ann, active: true } });
  });

  it('a user the IdP does not have: the steps, then one line and exit 1', async () => {
    const r = await run('sync', 'acme/okta', '--user', 'nobody@nowhere.test');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^fetch\s+failed\s+[\d.]+\s+not found in the IdP$/m);
    expect(errorLines(r.stderr)).toEqual(['roster: provision of nobody@nowhere.test on acme/okta: fetch: not found in the IdP']);
  });

  it('refuses --user with --full or --approve', async () => {
    const r = await run('sync', 'acme/okta', '--user', ann, '--full');
    expect(r.code).not.toBe(0);
    expect(errorLines(r.stderr)).toEqual(['roster: --user provisions one user: it cannot be combined with --full or --approve']);
  });

  it('as a process, writes the JSON answer whole through a pipe and exits 0', async () => {
    idp.rename(ann, 'Annabel');
    const r = await spawnCli(['sync', 'acme/okta', '--user', login('ann'), '--dry-run', '--json'], cli.env);
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ dryRun: true, outcome: 'updated' });
    expect(body.steps.find((s: { step: string }) => s.step === 'attributes').detail.changes).toContainEqual(expect.objectContaining({ field: 'displayName', after: 'Annabel' }));
  });
});
