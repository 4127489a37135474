/**
 * A real Samba AD domain controller for the Active Directory tests, set up as
 * /work/shared/IDP-NOTES.md ("LDAP and Active Directory") describes: a domain
 * ROSTER.TEST provisioned into a temp folder (never /etc/samba), serving LDAP
 * alone on 127.0.0.1, run in the foreground so the test owns its process.
 *
 * Samba has no port setting: it always listens on 389 and 3268 (636 and 3269
 * too with TLS), which needs root and allows one instance per host. A
 * host-wide lock file (the owner's pid inside, taken over when that process is
 * gone) makes a second vitest worker wait for the first to stop its DC.
 *
 * Provisioning takes ~4 s, copying a provisioned folder milliseconds: the
 * first start in a module graph (a test file, under vitest's isolation)
 * provisions into a template, and every start copies it. Only smb.conf names
 * the folder (the databases use relative paths), and it is rewritten for each
 * copy. A vitest worker ends without running exit handlers, so the next start
 * on the host removes the folders of processes that are gone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, cpSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'ldapts';

export const SAMBA_REALM = 'ROSTER.TEST';
export const SAMBA_DOMAIN = 'ROSTER';
export const SAMBA_BASE_DN = 'DC=roster,DC=test';
export const SAMBA_ADMIN_DN = `CN=Administrator,CN=Users,${SAMBA_BASE_DN}`;
/** Meets Samba's default password complexity. */
export const SAMBA_ADMIN_PASSWORD = 'Roster-Admin-1!';
export const SAMBA_URL = 'ldap://127.0.0.1:389';
export const SAMBA_LOCK_FILE = path.join(tmpdir(), 'roster-samba-ad.lock');

export interface SambaAd {
  url: string;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  /** The DC's folder: etc/smb.conf, private/sam.ldb, log/. */
  dir: string;
  pid: number;
  /** How long provisioning took in this start, in ms (0 when this process had the template already). */
  provisionMs: number;
  /** How long copying the template, starting samba and waiting for a bind took, in ms. */
  startMs: number;
  /** A new client bound as Administrator; the caller unbinds it. */
  adminClient(): Promise<Client>;
  /** `samba-tool <args> -s <this DC's smb.conf>`, its stdout; throws with its stderr when it fails. */
  sambaTool(args: string[]): string;
  stop(): Promise<void>;
}

/** Why this machine cannot run the DC, in one line, or undefined when it can. */
export function sambaUnavailable(): string | undefined {
  const missing = ['/usr/sbin/samba', '/usr/bin/samba-tool'].filter((file) => {
    try {
      accessSync(file, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) return `the Active Directory tests need Debian's samba-ad-dc (${missing.join(', ')} missing): apt-get install -y samba-ad-dc, as root`;
  if (process.getuid?.() !== 0) return 'the Active Directory tests need root: the Samba AD DC always listens on port 389 (run npm test as root)';
  return undefined;
}

let template: string | undefined;

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} ${args.slice(0, 2).join(' ')} failed (exit ${result.status ?? result.signal}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return result.stdout;
}

/** Provision the domain once per process; the folder is removed when the process exits. */
function provisionedTemplate(): string {
  if (template) return template;
  const root = mkdtempSync(path.join(tmpdir(), `roster-samba-template-${process.pid}-`));
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  // An empty base config: otherwise /etc/samba/smb.conf is merged into the new one.
  writeFileSync(path.join(root, 'empty.conf'), '');
  run('samba-tool', [
    'domain', 'provision', '-s', path.join(root, 'empty.conf'),
    `--realm=${SAMBA_REALM}`, `--domain=${SAMBA_DOMAIN}`, '--server-role=dc', '--dns-backend=NONE',
    `--adminpass=${SAMBA_ADMIN_PASSWORD}`, '--use-rfc2307', `--targetdir=${path.join(root, 'dc')}`,
    '--option=interfaces=127.0.0.1', '--option=bind interfaces only=yes',
  ]);
  template = path.join(root, 'dc');
  return template;
}

/**
 * The provisioned smb.conf, pointed at `dir` and cut down to LDAP: simple binds
 * over ldap:// (strong auth on resets them) and every file Samba writes under `dir`.
 */
function configure(dir: string, provisionedIn: string): string {
  const conf = path.join(dir, 'etc', 'smb.conf');
  // The provisioned lock, state and cache directories are already inside the folder.
  const lines = readFileSync(conf, 'utf8')
    .split(provisionedIn).join(dir)
    .split('\n')
    .filter((line) => !/^\s*server services\s*=/.test(line));
  const at = lines.findIndex((line) => line.trim() === '[global]');
  lines.splice(at + 1, 0, ...[
    'server services = ldap',
    'ldap server require strong auth = no',
    // No fsync per write (Samba's own selftest setting): the folder is thrown away anyway.
    'ldb:nosync = true',
    // The tests use ldap:// (strong auth off above); without TLS samba skips making a
    // self-signed certificate at every start (~1.3 s), and 636 stays closed.
    'tls enabled = no',
    `log file = ${dir}/log/samba.log`,
    `pid directory = ${dir}/run`,
    `ncalrpc dir = ${dir}/run/ncalrpc`,
    `winbindd socket directory = ${dir}/run/winbindd`,
  ].map((line) => `\t${line}`));
  for (const sub of ['log', 'run']) mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(conf, lines.join('\n'));
  return conf;
}

/**
 * Remove the templates and DC folders of processes that are gone: a vitest
 * worker that is killed runs no exit handler, and each folder is ~35 MB.
 */
function sweepLeftovers(): void {
  for (const name of readdirSync(tmpdir())) {
    const owner = /^roster-samba-(?:template|dc)-(\d+)-/.exec(name)?.[1];
    if (owner && !alive(Number(owner))) rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process's turn at the lock: a promise chain, so two starts in one worker queue too. */
let inProcess: Promise<void> = Promise.resolve();

/**
 * Take the host-wide lock: create the file exclusively with our pid. A lock
 * whose owner is gone (a worker killed mid-test) is moved aside atomically
 * and deleted; if another waiter took it over in between, it is put back.
 */
export async function lockHost(timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(SAMBA_LOCK_FILE, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(SAMBA_LOCK_FILE, 'utf8') === String(process.pid)) unlinkSync(SAMBA_LOCK_FILE);
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileOr(SAMBA_LOCK_FILE, ''));
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      const aside = `${SAMBA_LOCK_FILE}.stale-${process.pid}`;
      try {
        renameSync(SAMBA_LOCK_FILE, aside);
        if (Number(readFileOr(aside, '')) !== owner) linkSync(aside, SAMBA_LOCK_FILE);
        unlinkSync(aside);
      } catch {
        // Someone else recovered it first; try again.
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`the Samba AD DC lock ${SAMBA_LOCK_FILE} is held by pid ${owner || '?'} for over ${timeoutMs} ms (one DC per host: port 389)`);
    }
    await sleep(200);
  }
}

function readFileOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function bindWorks(): Promise<boolean> {
  const client = new Client({ url: SAMBA_URL, connectTimeout: 1000, timeout: 2000 });
  try {
    await client.bind(SAMBA_ADMIN_DN, SAMBA_ADMIN_PASSWORD);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * Start a fresh DC (a copy of the provisioned template) and wait until a bind
 * as Administrator works. Throws, failing the test, with one line saying what
 * is missing when this machine cannot run it.
 */
export async function startSambaAd(options: { lockTimeoutMs?: number } = {}): Promise<SambaAd> {
  const unavailable = sambaUnavailable();
  if (unavailable) throw new Error(unavailable);
  const turn = inProcess;
  let release!: () => void;
  inProcess = new Promise<void>((resolve) => (release = resolve));
  await turn;
  let unlock: (() => void) | undefined;
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  try {
    // Provisioning opens no port, so it runs before waiting for the DC another process may be running.
    const provisioning = Date.now();
    const source = provisionedTemplate();
    const provisionMs = Date.now() - provisioning;
    unlock = await lockHost(options.lockTimeoutMs ?? 180_000);
    const started = Date.now();
    sweepLeftovers();
    dir = mkdtempSync(path.join(tmpdir(), `roster-samba-dc-${process.pid}-`));
    cpSync(source, dir, { recursive: true });
    const conf = configure(dir, source);
    // We hold the lock, so a listener is not ours: a Samba left from a run outside the lock, or
    // the system slapd (Debian starts it on install where services may start).
    if (await portOpen(389)) throw new Error(`127.0.0.1:389 is already taken (the system slapd or samba-ad-dc service? stop it); the Samba AD DC for the tests needs it`);
    // stdin a pipe: `samba -i` exits when it closes, so the DC dies with its test process.
    child = spawn('/usr/sbin/samba', ['-i', '-M', 'single', '-s', conf], { stdio: ['pipe', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    for (let i = 0; i < 300 && child.exitCode === null && child.signalCode === null; i++) {
      if (await bindWorks()) break;
      await sleep(100);
    }
    if (child.exitCode !== null || child.signalCode !== null || !(await bindWorks())) {
      throw new Error(`samba did not start (LDAP bind on ${SAMBA_URL} never worked): ${log.trim().split('\n').slice(-3).join(' | ')}`);
    }
    const startMs = Date.now() - started;
    const ownedChild = child;
    const ownedDir = dir;
    const ownedUnlock = unlock;
    let stopped: Promise<void> | undefined;
    return {
      url: SAMBA_URL,
      baseDn: SAMBA_BASE_DN,
      adminDn: SAMBA_ADMIN_DN,
      adminPassword: SAMBA_ADMIN_PASSWORD,
      dir: ownedDir,
      pid: ownedChild.pid!,
      provisionMs,
      startMs,
      async adminClient() {
        const client = new Client({ url: SAMBA_URL, timeout: 30_000 });
        await client.bind(SAMBA_ADMIN_DN, SAMBA_ADMIN_PASSWORD);
        return client;
      },
      sambaTool: (args) => run('samba-tool', [...args, '-s', conf]),
      stop() {
        // SIGKILL: the folder is thrown away, so a clean shutdown (~2 s on SIGTERM) buys nothing.
        stopped ??= (async () => {
          if (ownedChild.exitCode === null && ownedChild.signalCode === null) ownedChild.kill('SIGKILL');
          await exited;
          rmSync(ownedDir, { recursive: true, force: true });
          ownedUnlock();
          release();
        })();
        return stopped;
      },
    };
  } catch (error) {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    unlock?.();
    release();
    throw error;
  }
}
