/**
 * `roster demo`: Roster on the embedded database with a demo tenant whose
 * Entra, Okta, Google, Keycloak, Zitadel and JumpCloud connections pull from
 * sample directories served on loopback by the fake IdP servers the tests use,
 * and an LDAP connection from a throwaway slapd where OpenLDAP is installed
 * (test/fakes/demo/ldap.ts).
 *
 * The fakes are TypeScript under test/ (not compiled into dist/), and the
 * Graph/Azure SDKs trust the fake Entra's CA only when the process starts
 * with NODE_EXTRA_CA_CERTS. So this command only launches: it makes the CA
 * with the tests' helper, then runs test/fakes/demo/main.ts through tsx in a
 * child process with that environment, passing stdio and signals through.
 * The demo has its own data folder, `<ROSTER_DATA_DIR>/demo`, so it never
 * mixes with a real one.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, RosterError } from '../../core/errors/index.js';

/** The repository root: src/admin/cli/ (tsx) and dist/admin/cli/ (built) are both two levels down. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RUNNER = path.join(ROOT, 'test/fakes/demo/main.ts');
const MAKE_TLS = path.join(ROOT, 'test/fakes/demo/make-tls.ts');

/** What the runner sends over the IPC channel when it cannot start (shown as the command's one error line). */
export interface DemoFailure {
  type: 'demo-error';
  message: string;
}

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`"${value}" is not a whole number from ${min} to ${max}`);
    return Number(value);
  };
}

/** tsx's loader as a file URL, or undefined in a production install (no dev dependencies). */
function tsxLoader(): string | undefined {
  if (!existsSync(RUNNER) || !existsSync(MAKE_TLS)) return undefined;
  try {
    return pathToFileURL(createRequire(path.join(ROOT, 'package.json')).resolve('tsx')).href;
  } catch {
    return undefined;
  }
}

/** The demo's environment: its own data folder, loopback, always the embedded database. */
export function demoEnvironment(env: NodeJS.ProcessEnv, tls: { dir: string; caPath: string }): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, ...rest } = env;
  const base = path.resolve(env.ROSTER_DATA_DIR?.trim() || './data');
  return {
    ...rest,
    ROSTER_DATA_DIR: path.join(base, 'demo'),
    HOST: '127.0.0.1',
    // The fake IdPs listen on loopback, which the outbound URL policy refuses unless trusted.
    ROSTER_TRUSTED_HOSTS: '127.0.0.1',
    NODE_EXTRA_CA_CERTS: tls.caPath,
    ROSTER_TEST_TLS_DIR: tls.dir,
  };
}

async function runDemo(options: { port?: number; users?: number }): Promise<void> {
  const loader = tsxLoader();
  if (!loader) {
    throw new ConfigError('the demo needs a source checkout with its dev dependencies (git clone, then npm ci): it runs the fake IdP servers from test/');
  }
  let tls: { dir: string; caPath: string };
  try {
    tls = JSON.parse(execFileSync(process.execPath, ['--import', loader, MAKE_TLS], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as typeof tls;
  } catch (err) {
    throw new ConfigError('the demo could not make its test certificate authority (is the openssl command installed?)', { cause: err });
  }
  const args = ['--import', loader, RUNNER];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.users !== undefined) args.push('--users', String(options.users));

  let failure: string | undefined;
  const code = await new Promise<number>((resolve, reject) => {
    // The IPC channel also tells the child when this process is gone, so it never outlives it.
    const child = spawn(process.execPath, args, { env: demoEnvironment(process.env, tls), stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null) child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('message', (m: Partial<DemoFailure>) => {
      if (m?.type === 'demo-error' && typeof m.message === 'string') failure = m.message;
    });
    child.on('error', reject);
    child.on('exit', (exitCode, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(exitCode ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  }).finally(() => rmSync(tls.dir, { recursive: true, force: true }));
  if (code !== 0) throw new RosterError('internal', 500, failure ?? `the demo stopped with exit code ${code}`);
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('try Roster: a demo tenant synced from sample Entra, Okta, Google, Keycloak, Zitadel, JumpCloud and (where slapd is installed) OpenLDAP directories, served until Ctrl-C')
    .option('--port <n>', 'port of the Roster server (0 = any free port; default PORT or 8080)', wholeNumber(0, 65535))
    .option('--users <n>', 'users in each sample directory (default 300)', wholeNumber(1, 20_000))
    .addHelpText(
      'after',
      '\nThe demo keeps its database in <ROSTER_DATA_DIR>/demo (default ./data/demo) and reuses it on the next run.\n' +
        'It needs a source checkout with dev dependencies (npm ci). The OpenLDAP sample needs slapd (apt-get install slapd ldap-utils).',
    )
    .action((opts: { port?: number; users?: number }) => runDemo(opts));
}
