/**
 * `roster demo` as a newcomer runs it: a real process (launcher + demo child
 * through tsx), the six fake IdPs and the OpenLDAP sample (a real slapd), the
 * first syncs, SCIM, the CLI going through the running demo server, Ctrl-C,
 * a second run on the same folder, and a run on a host without slapd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { lockPath } from '../../../src/core/store/index.js';
import { demoSize } from '../../fakes/demo/directories.js';
import { jumpCloudSample } from '../../fakes/demo/jumpcloud.js';
import { keycloakSample } from '../../fakes/demo/keycloak.js';
import { ldapSample } from '../../fakes/demo/ldap.js';
import { zitadelSample } from '../../fakes/demo/zitadel.js';
import { REPO_ROOT, runCli, spawnCli } from './support.js';

const base = mkdtempSync(path.join(tmpdir(), 'roster-demo-'));
const demoDir = path.join(base, 'demo');
// The demo's temp folders (the test CA, slapd's config and database) go here, so the test sees them go.
const demoTmp = path.join(base, 'tmp');
mkdirSync(demoTmp);
const children: ChildProcess[] = [];
let firstToken: string | undefined;

// Without DATABASE_URL for the CLI (it must find the demo server through the
// lock file); the demo gets an unreachable one, which it must ignore.
const cliEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, USER: 'tester', LOG_FORMAT: 'json' };
const demoEnv: NodeJS.ProcessEnv = { ...cliEnv, ROSTER_DATA_DIR: base, TMPDIR: demoTmp, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/not-used' };

// The generated samples are not random: the test knows their people (the demo's default 300 users).
// Group 1 (Zitadel: role group-1) is mapped to the role; in LDAP and Keycloak it nests Group 2,
// so a member of Group 2 alone has the role through it.
const size = demoSize(300);
const ldap = ldapSample(size);
const lockedUser = ldap.users.find((u) => u.locked)!;
const nestedOnly = ldap.users.find((u) => u.groups.includes(2) && !u.groups.includes(1) && !u.locked)!;
const roleless = ldap.users.find((u) => !u.groups.includes(1) && !u.groups.includes(2) && !u.locked)!;
const keycloak = keycloakSample(size);
const zitadel = zitadelSample(size);
const jumpcloud = jumpCloudSample(size);
const samples = {
  keycloak: {
    groups: keycloak.groupNames.length,
    inactive: keycloak.users.find((u) => !u.enabled)!.username,
    // In Group 2 only, a subgroup of the mapped Group 1: Keycloak counts subgroup members as members of the parent.
    mapped: keycloak.users.find((u) => u.enabled && u.groups.includes(2) && !u.groups.includes(1))!.username,
    roleless: keycloak.users.find((u) => u.enabled && !u.groups.includes(1) && !u.groups.includes(2))!.username,
  },
  zitadel: {
    groups: zitadel.groupNames.length,
    inactive: zitadel.users.find((u) => u.state === 'INACTIVE')!.loginName,
    mapped: zitadel.users.find((u) => u.state === 'ACTIVE' && u.groups.includes(1))!.loginName,
    roleless: zitadel.users.find((u) => u.state === 'ACTIVE' && !u.groups.includes(1))!.loginName,
  },
  jumpcloud: {
    groups: jumpcloud.groupNames.length,
    inactive: jumpcloud.users.find((u) => u.state === 'SUSPENDED')!.username,
    mapped: jumpcloud.users.find((u) => u.state === 'ACTIVATED' && u.groups.includes(1))!.username,
    roleless: jumpcloud.users.find((u) => u.state === 'ACTIVATED' && !u.groups.includes(1))!.username,
  },
};
const HTTP_KINDS = ['entra', 'okta', 'google', 'keycloak', 'zitadel', 'jumpcloud'];

/** Through the running demo server (the CLI finds it by the lock file). */
async function showUser(userName: string): Promise<{ active: boolean; groups: Array<{ displayName: string }>; roles: Array<{ name: string }> }> {
  const shown = await runCli(['user', 'show', `demo/${userName}`, '--json'], { ...cliEnv, ROSTER_DATA_DIR: demoDir });
  expect(shown.code, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout);
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Folders the demo made in its temp folder and left behind (tsx keeps a cache there, which is not ours). */
const leftovers = () => readdirSync(demoTmp).filter((name) => name.startsWith('roster-'));

// A failed test leaves no demo running to hold the lock (or temp folders) for the next one.
afterEach(async () => {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(running.map((c) => new Promise((resolve) => c.once('exit', resolve).kill('SIGINT'))));
});

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
async function startDemo(options: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<RunningDemo & { url: string }> {
  const argv = ['--import', 'tsx', 'src/admin/cli/main.ts', 'demo', '--port', '0', ...(options.args ?? [])];
  const child = spawn(process.execPath, argv, { cwd: REPO_ROOT, env: { ...demoEnv, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Seven directories synced from scratch take ~20 s on an idle 2-core machine; a busy one can take several times that.
  const deadline = Date.now() + 100_000;
  let serving: RegExpMatchArray | null = null;
  while (!(serving = out.match(/^Roster demo is serving on (http:\/\/127\.0\.0\.1:\d+) \(Ctrl-C to stop\)$/m))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      // Stopped now, so its lock does not fail the next test too.
      child.kill('SIGINT');
      throw new Error(`the demo did not start (exit ${child.exitCode}):\n${out}\n${err}`);
    }
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

describe('roster demo', { timeout: 180_000 }, () => {
  it('syncs the seven sample directories, serves SCIM and the CLI, and stops cleanly on Ctrl-C', async () => {
    const demo = await startDemo();
    const out = demo.stdout();
    const first = reports(out);
    expect(first.map((r) => [r.connection, r.status]), out).toEqual([...HTTP_KINDS, 'ldap'].map((kind) => [`demo/${kind}`, 'succeeded']));
    const report = (kind: string) => first.find((r) => r.connection === `demo/${kind}`)!;
    expect([report('ldap').users, report('ldap').groups]).toEqual([300, ldap.groupNames.length]);
    for (const kind of ['keycloak', 'zitadel', 'jumpcloud'] as const) expect([kind, report(kind).users, report(kind).groups]).toEqual([kind, 300, samples[kind].groups]);
    expect(out).not.toContain('left out');
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
    const resync = JSON.parse(sync.stdout) as { status: string; usersSynced: number; counts: { rowsWritten: number } };
    expect(resync.status).toBe('succeeded');
    expect(resync.usersSynced).toBe(report('okta').users);
    expect(resync.counts.rowsWritten).toBe(0);

    // The OpenLDAP sample: ppolicy's lock makes a user inactive; the mapped group's role reaches its nested group's members.
    const locked = await showUser(lockedUser.uid);
    expect(locked.active).toBe(false);
    const nested = await showUser(nestedOnly.uid);
    // A direct member of Group 2 only, and of Group 1 through it (nested groups are flattened).
    expect([nested.active, nested.groups.map((g) => g.displayName)]).toEqual([true, expect.arrayContaining(['Group 1', 'Group 2'])]);
    expect(nested.roles.map((r) => r.name)).toEqual(['developer']);
    expect((await showUser(roleless.uid)).roles).toEqual([]);

    // Keycloak enabled:false, Zitadel INACTIVE, JumpCloud SUSPENDED are inactive; each mapped group gives the role
    // (Keycloak's through the subgroup Group 2), and a user outside it has none.
    for (const kind of ['keycloak', 'zitadel', 'jumpcloud'] as const) {
      const sample = samples[kind];
      const [inactive, mapped, without] = [await showUser(sample.inactive), await showUser(sample.mapped), await showUser(sample.roleless)];
      expect([kind, inactive.active, mapped.active, without.active]).toEqual([kind, false, true, true]);
      expect([kind, mapped.roles.map((r) => r.name), without.roles]).toEqual([kind, ['developer'], []]);
    }
    const subgroupMember = await showUser(samples.keycloak.mapped);
    expect(subgroupMember.groups.map((g) => g.displayName)).toEqual(expect.arrayContaining(['Group 1', 'Group 2']));
    expect(out).toContain('Roles: members of these groups have the role "developer"');
    for (const line of ['ldap       "Group 1" (nests "Group 2")', 'keycloak   "Group 1" (nests "Group 2")', 'zitadel    "group-1"', 'jumpcloud  "Group 1"']) {
      expect(out).toContain(`\n  ${line}\n`);
    }

    const oktaUrl = out.match(/^\s+okta\s+(http\S+)$/m)?.[1];
    expect(oktaUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ldapPort = Number(out.match(/^\s+ldap\s+ldap:\/\/127\.0\.0\.1:(\d+)\/$/m)?.[1]);
    expect(await listening(ldapPort)).toBe(true);
    expect(leftovers().some((name) => name.startsWith('roster-slapd-'))).toBe(true);
    expect(await stopWithCtrlC(demo)).toBe(0);
    expect(demo.stdout()).toContain('Roster demo stopped.');
    expect(existsSync(lockPath(demoDir))).toBe(false);
    // The fakes went with it: nothing listens on their ports any more.
    await expect(fetch(`${oktaUrl}/api/v1/users`)).rejects.toThrow();
    // slapd went too, with its temp folder (and the launcher's test CA).
    expect(await listening(ldapPort)).toBe(false);
    expect(leftovers()).toEqual([]);
    // The real data folder was not touched: the demo keeps to <ROSTER_DATA_DIR>/demo.
    expect(existsSync(path.join(base, 'pglite'))).toBe(false);
  });

  it('reuses the demo tenant on a second run: same connections at new fake ports, nothing to write', async () => {
    const demo = await startDemo();
    const out = demo.stdout();
    expect(out).toContain('(embedded PGlite; reused from the last demo;');
    // New fakes and a new slapd, loaded again with the same ids (entryUUIDs, Keycloak UUIDs, Zitadel ids,
    // JumpCloud ObjectIds), so the same users: not 300 deleted and 300 created.
    expect(reports(out).map((r) => [r.connection, r.status, r.users, r.rowsWritten])).toEqual([
      ['demo/entra', 'succeeded', 300, 0],
      ['demo/okta', 'succeeded', 300, 0],
      ['demo/google', 'succeeded', 301, 0],
      ['demo/keycloak', 'succeeded', 300, 0],
      ['demo/zitadel', 'succeeded', 300, 0],
      ['demo/jumpcloud', 'succeeded', 300, 0],
      ['demo/ldap', 'succeeded', 300, 0],
    ]);
    expect((await showUser(nestedOnly.uid)).roles.map((r) => r.name)).toEqual(['developer']);
    expect((await showUser(samples.keycloak.mapped)).roles.map((r) => r.name)).toEqual(['developer']);
    const token = out.match(/^ {2}token\s+(\S+)$/m)?.[1];
    const users = await fetch(`${demo.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await users.json()) as { totalResults: number }).totalResults).toBe(1);
    // The last run's token was revoked when this one was made.
    expect(token).not.toBe(firstToken);
    expect((await fetch(`${demo.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${firstToken}` } })).status).toBe(401);
    expect(await stopWithCtrlC(demo)).toBe(0);
    expect(existsSync(lockPath(demoDir))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('runs with the six HTTP IdPs where slapd is not installed, and says in one line what was left out', async () => {
    const missing = path.join(base, 'not-installed', 'slapd');
    const demo = await startDemo({ env: { ROSTER_DATA_DIR: path.join(base, 'second-folder'), ROSTER_DEMO_SLAPD: missing }, args: ['--users', '20'] });
    const out = demo.stdout();
    expect(reports(out).map((r) => [r.connection, r.status, r.users])).toEqual([
      ['demo/entra', 'succeeded', 20],
      ['demo/okta', 'succeeded', 20],
      ['demo/google', 'succeeded', 21],
      ['demo/keycloak', 'succeeded', 20],
      ['demo/zitadel', 'succeeded', 20],
      ['demo/jumpcloud', 'succeeded', 20],
    ]);
    expect(out).not.toContain('ldap://');
    const notes = out.split('\n').filter((line) => /OpenLDAP|left out/.test(line));
    expect(notes).toEqual([`  note         the OpenLDAP sample was left out: ${missing} is not installed (install \`slapd ldap-utils\` to see it)`]);
    expect(demo.stderr()).not.toMatch(/\n\s+at |internal error/);
    expect(await stopWithCtrlC(demo)).toBe(0);
    expect(leftovers()).toEqual([]);
  });
});
