/**
 * `npm test` runs this first: what the suite needs besides node_modules, set
 * up on a fresh machine so that `npm ci && npm test` passes there as the
 * README promises.
 *
 * - Debian's chromium: the admin console's end-to-end test drives it through
 *   playwright-core, which never downloads a browser of its own.
 * - openssl: the fake IdPs' test certificate authority.
 * - slapd and ldap-utils: the ldap provider's tests run a real OpenLDAP
 *   server (slapd in the foreground, per test file).
 * - samba-ad-dc: the Active Directory tests provision and run a real Samba
 *   AD domain controller (test/support/samba-ad.ts; it also needs root).
 * - a Postgres server (127.0.0.1:5432, or DATABASE_URL's): the database fault
 *   tests cut a proxy in front of a real server, also in the embedded pass.
 *   A Debian cluster that is installed but stopped is started.
 *
 * When something is missing and this is root on a system with apt-get, it
 * installs the Debian packages; otherwise it stops at once with one line
 * saying what to install. It never fetches a browser from anywhere else.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export interface Machine {
  env: NodeJS.ProcessEnv;
  isRoot: boolean;
  /** Whether an executable file is at this path. */
  executable(file: string): boolean;
}

export type Plan =
  | { action: 'ready' }
  | { action: 'install'; packages: string[] }
  | { action: 'stop'; message: string };

/** A command on PATH, as a shell would find it. */
export function onPath(machine: Machine, command: string): string | undefined {
  for (const dir of (machine.env.PATH ?? '').split(path.delimiter)) {
    if (dir && machine.executable(path.join(dir, command))) return path.join(dir, command);
  }
  return undefined;
}

/** A Debian package the suite needs, how to tell it is there, and what needs it. */
interface Requirement {
  debianPackage: string;
  usedBy: string;
  present(machine: Machine): boolean;
}

/** A daemon in sbin, which a non-root PATH often leaves out. */
function daemon(machine: Machine, command: string): boolean {
  return !!onPath(machine, command) || machine.executable(`/usr/sbin/${command}`);
}

const REQUIREMENTS: Requirement[] = [
  { debianPackage: 'chromium', usedBy: "the admin console's end-to-end test", present: (m) => !!m.env.ROSTER_CHROMIUM?.trim() || m.executable(DEFAULT_CHROMIUM) },
  { debianPackage: 'openssl', usedBy: 'the test certificates', present: (m) => !!onPath(m, 'openssl') },
  { debianPackage: 'slapd', usedBy: "the ldap provider's OpenLDAP tests", present: (m) => daemon(m, 'slapd') },
  { debianPackage: 'ldap-utils', usedBy: "the ldap provider's OpenLDAP tests", present: (m) => !!onPath(m, 'ldapsearch') },
  // samba-tool provisions the domain, samba runs it.
  { debianPackage: 'samba-ad-dc', usedBy: 'the Active Directory tests', present: (m) => daemon(m, 'samba') && !!onPath(m, 'samba-tool') },
];

/** What to do about the machine as it is. */
export function prerequisitesPlan(machine: Machine): Plan {
  const chosenChromium = machine.env.ROSTER_CHROMIUM?.trim();
  if (chosenChromium && !machine.executable(chosenChromium)) {
    return { action: 'stop', message: `npm test: ROSTER_CHROMIUM is ${chosenChromium}, which is not an executable file; point it at a Chromium binary, or unset it to use Debian's chromium (${DEFAULT_CHROMIUM})` };
  }
  const missing = REQUIREMENTS.filter((r) => !r.present(machine));
  if (missing.length === 0) return { action: 'ready' };
  const packages = missing.map((r) => r.debianPackage);
  if (machine.isRoot && onPath(machine, 'apt-get')) return { action: 'install', packages };
  const usedBy = [...new Set(missing.map((r) => r.usedBy))];
  const needs = `npm test needs ${packages.join(' and ')} (${usedBy.join('; ')})`;
  const how = onPath(machine, 'apt-get')
    ? `install ${missing.length > 1 ? 'them' : 'it'} with: sudo apt-get install -y ${packages.join(' ')}`
    : `install ${packages.join(' and ')} with your package manager`;
  const chromiumElsewhere = packages.includes('chromium') ? ', or set ROSTER_CHROMIUM to the path of a Chromium binary' : '';
  return { action: 'stop', message: `${needs}: ${how}${chromiumElsewhere}` };
}

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export type PostgresPlan = { action: 'ready' } | { action: 'start'; version: string } | { action: 'stop'; message: string };

/** What to do about the Postgres server the tests use: nothing, start the installed Debian cluster, or say what to do. */
export function postgresPlan(state: { url: string; reachable: boolean; isRoot: boolean; clusters: string[]; pgCtlcluster: boolean }): PostgresPlan {
  if (state.reachable) return { action: 'ready' };
  const version = state.clusters.at(-1);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(state.url).hostname);
  if (local && state.isRoot && state.pgCtlcluster && version) return { action: 'start', version };
  const where = new URL(state.url).host;
  const how = !local
    ? 'none answers there: start it, or point DATABASE_URL at one that runs'
    : version
    ? `start it with: sudo pg_ctlcluster --skip-systemctl-redirect ${version} main start`
    : 'install and start Postgres (Debian: sudo apt-get install -y postgresql), with trust auth for 127.0.0.1 and a database named test';
  const elsewhere = local ? ', or set DATABASE_URL to a server' : '';
  return { action: 'stop', message: `npm test needs a Postgres server at ${where} (its database fault tests): ${how}${elsewhere}` };
}

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 5432) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function debianClusters(): string[] {
  try {
    return readdirSync('/etc/postgresql').sort((a, b) => Number(a) - Number(b));
  } catch {
    return [];
  }
}

async function ensurePostgres(machine: Machine): Promise<void> {
  const url = machine.env.DATABASE_URL?.trim() || DEFAULT_POSTGRES_URL;
  const state = { url, isRoot: machine.isRoot, clusters: debianClusters(), pgCtlcluster: !!onPath(machine, 'pg_ctlcluster') };
  const plan = postgresPlan({ ...state, reachable: await reachable(url) });
  if (plan.action === 'ready') return;
  if (plan.action === 'stop') {
    process.stderr.write(`${plan.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`npm test: starting the Postgres ${plan.version} cluster (stopped; needed by the tests)\n`);
  const started = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', plan.version, 'main', 'start'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (started.status !== 0) {
    process.stderr.write(`npm test: could not start the Postgres ${plan.version} cluster (pg_ctlcluster exit ${started.status ?? started.signal}); start a server at ${new URL(url).host} yourself\n`);
    process.exit(1);
  }
  for (let i = 0; i < 30; i++) {
    if (await reachable(url)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  process.stderr.write(`npm test: Postgres ${plan.version} did not answer at ${new URL(url).host} within 30 s after starting it\n`);
  process.exit(1);
}

function machineNow(): Machine {
  return {
    env: process.env,
    isRoot: process.getuid?.() === 0,
    executable(file) {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) {
    process.stderr.write(`npm test: \`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal}); install the packages it names yourself, then run npm test again\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  await packages();
  await ensurePostgres(machineNow());
}

async function packages(): Promise<void> {
  const plan = prerequisitesPlan(machineNow());
  if (plan.action === 'ready') return;
  if (plan.action === 'stop') {
    process.stderr.write(`${plan.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`npm test: installing Debian's ${plan.packages.join(' and ')} (missing; needed by the tests)\n`);
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', ...plan.packages]);
  const after = prerequisitesPlan(machineNow());
  if (after.action !== 'ready') {
    process.stderr.write(`npm test: ${plan.packages.join(' and ')} still missing after apt-get install\n`);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
