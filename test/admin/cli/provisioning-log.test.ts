/**
 * The provisioning log on the command line, in process, against the fake
 * Okta org: `roster run show <run-id> [--changes] [--json]`, `roster run
 * reject`, `roster user history` and `roster audit search`. A run with every
 * sync outcome (created, updated, deactivated, skipped by scope, held by a
 * userName another connection holds), then a held run and its rejection.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges } from '../../../src/core/lifecycle/index.js';
import { findConnectionByName, findTenantBySlug } from '../../../src/core/store/index.js';
import { userCreate } from '../../support/factories.js';
import { startFakeOkta, type FakeOkta } from '../../fakes/okta/index.js';
import { cliEnvironment, errorLines, runCli, withCliStore, type CliEnvironment } from './support.js';

let cli: CliEnvironment;
let fake: FakeOkta;
const run = (...argv: string[]) => runCli(argv, cli.env);
const users: Record<string, string> = {};
const addUser = (n: string) => (users[n] = fake.directory.addUser({ profile: { login: `${n}@okta.test`, email: `${n}@okta.test`, firstName: n, lastName: 'T' } }).id);
let runId: string;

beforeAll(async () => {
  cli = await cliEnvironment();
  fake = await startFakeOkta();
  for (const n of ['ann', 'bo', 'cy', 'dee']) addUser(n);
  const file = path.join(cli.dataDir, 'okta.json');
  writeFileSync(file, JSON.stringify({ orgUrl: fake.url, apiToken: 'test-token', retryDelayMs: 1, scope: { excludeEmailPatterns: ['zed@*'] } }));
  expect((await run('tenant', 'create', 'acme')).code).toBe(0);
  expect((await run('connection', 'create', '--tenant', 'acme', '--name', 'okta', '--kind', 'okta', '--settings', file)).code).toBe(0);
  expect((await run('connection', 'create', '--tenant', 'acme', '--name', 'hr', '--kind', 'scim')).code).toBe(0);
  expect((await run('connection', 'update', 'acme/okta', '--deletion-threshold', '10')).code).toBe(0);
  expect((await run('sync', 'acme/okta')).code).toBe(0);
  // A user of the HR connection holds the name the IdP's next user asks for.
  await withCliStore(cli.env, async (store) => {
    const tenant = (await findTenantBySlug(store.db, 'acme'))!;
    const hr = (await findConnectionByName(store.db, tenant.id, 'hr'))!;
    const change = userCreate(hr.id, 1);
    await applyChanges(store.db, { tenantId: tenant.id, actor: { type: 'scim', id: 'seed' } }, [{ ...change, attributes: { ...change.attributes, userName: 'eve@okta.test' } }]);
  });
});

afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

describe('roster run show', () => {
  it('lists a run\'s changes with every sync outcome, as a table and as JSON', async () => {
    addUser('gus');
    addUser('eve');
    addUser('zed');
    fake.directory.updateUser(users.ann!, { firstName: 'Annie' });
    fake.directory.suspend(users.bo!);
    const synced = await run('sync', 'acme/okta', '--json');
    expect(synced.code).toBe(1); // partial: eve is held back
    runId = JSON.parse(synced.stdout).runId;

    const human = await run('run', 'show', runId, '--changes');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^status: partial$/m);
    expect(human.stdout).toMatch(/^skipped: 1 email matches excluded pattern zed@\*$/m);
    expect(human.stdout).toMatch(/^AT\s+OUTCOME\s+ACTION\s+WHO\s+SOURCE\s+WHY \/ WHAT$/m);
    expect(human.stdout).toMatch(/created\s+user\.created\s+gus@okta\.test/);
    expect(human.stdout).toMatch(/updated\s+user\.updated\s+ann@okta\.test\s+sync acme\/okta\s+given_name: "ann" → "Annie"/);
    expect(human.stdout).toMatch(/deactivated\s+user\.deactivated\s+bo@okta\.test/);
    expect(human.stdout).toMatch(/held\s+user\.create\s+eve@okta\.test\s+sync\s+userName "eve@okta.test" is taken \(held by a user of acme\/hr\)/);

    const json = await run('run', 'show', runId, '--changes', '--json');
    const body = JSON.parse(json.stdout);
    expect(body.run).toMatchObject({ id: runId, status: 'partial', connection: 'acme/okta' });
    expect(new Set(body.changes.map((c: { outcome: string }) => c.outcome))).toEqual(new Set(['created', 'updated', 'deactivated', 'held']));
    expect(body.skipped.byReason).toEqual({ 'email matches excluded pattern zed@*': 1 });
    expect(body.nextCursor).toBeNull();

    const capped = JSON.parse((await run('run', 'show', runId, '--changes', '--limit', '2', '--json')).stdout);
    expect(capped.changes).toEqual(body.changes.slice(0, 2));
    expect(capped.nextCursor).toEqual(expect.any(String));
    const held = JSON.parse((await run('run', 'show', runId, '--changes', '--outcome', 'held', '--json')).stdout);
    expect(held.changes).toHaveLength(1);
  });

  it('shows the run alone without --changes, and fails with one line for an unknown run', async () => {
    const r = await run('run', 'show', runId);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^run: /m);
    expect(r.stdout).not.toMatch(/OUTCOME/);
    const missing = await run('run', 'show', '00000000-0000-4000-8000-000000000000');
    expect(missing.code).toBe(1);
    expect(errorLines(missing.stderr)).toEqual(['roster: sync run "00000000-0000-4000-8000-000000000000" not found']);
    const bad = await run('run', 'show', runId, '--changes', '--outcome', 'bogus');
    expect(bad.code).toBe(1);
    expect(errorLines(bad.stderr)).toHaveLength(1);
  });
});

describe('roster run reject', () => {
  it('lists whom a held run would deactivate, rejects it, and refuses to approve it after', async () => {
    expect((await run('connection', 'update', 'acme/okta', '--deletion-threshold', '1')).code).toBe(0);
    fake.directory.suspend(users.cy!);
    fake.directory.suspend(users.dee!);
    const heldRun = JSON.parse((await run('sync', 'acme/okta', '--json')).stdout).runId;
    const shown = await run('run', 'show', heldRun, '--changes', '--kind', 'user');
    expect(shown.stdout).toMatch(/held\s+user\.deactivate\s+cy@okta\.test/);
    expect(shown.stdout).toMatch(/held\s+user\.deactivate\s+dee@okta\.test/);

    const rejected = await run('run', 'reject', heldRun);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toBe(`rejected held run ${heldRun} of acme/okta: nothing of its plan was applied\n`);
    expect(JSON.parse((await run('run', 'show', heldRun, '--json')).stdout).run.status).toBe('rejected');
    const approve = await run('sync', 'acme/okta', '--approve', heldRun);
    expect(approve.code).toBe(1);
    expect(errorLines(approve.stderr)).toEqual([`roster: sync run ${heldRun} is rejected, not held: nothing to approve`]);
    const again = await run('run', 'reject', heldRun);
    expect(errorLines(again.stderr)).toEqual([`roster: sync run ${heldRun} is rejected, not held: nothing to reject`]);
  });
});

describe('roster user history and roster audit search', () => {
  it('prints a user\'s history newest first, as a table and as JSON', async () => {
    const human = await run('user', 'history', 'acme/ann@okta.test');
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(/^acme\/ann@okta\.test \(active, [0-9a-f-]{36}\)$/);
    const updated = lines.findIndex((l) => /user\.updated/.test(l));
    const created = lines.findIndex((l) => /user\.created/.test(l));
    expect(updated).toBeGreaterThan(0);
    expect(created).toBeGreaterThan(updated);
    const json = JSON.parse((await run('user', 'history', 'ann@okta.test', '--tenant', 'acme', '--json')).stdout);
    expect(json.user).toMatchObject({ userName: 'ann@okta.test', tenant: 'acme' });
    expect(json.history.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['user.updated', 'user.created']));
  });

  it('searches the audit log', async () => {
    const r = await run('audit', 'search', '--tenant', 'acme', '--action', 'run.rejected', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).events).toEqual([expect.objectContaining({ action: 'run.rejected', source: expect.objectContaining({ type: 'cli', actorId: 'tester' }) })]);
    const deactivated = await run('audit', 'search', '--tenant', 'acme', '--action', 'user.deactivated');
    expect(deactivated.stdout).toMatch(/deactivated\s+user\.deactivated\s+bo@okta\.test/);
  });
});
