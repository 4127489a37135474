/**
 * The `roster` command line. `main` takes its argv, environment and output
 * streams and returns an exit code (bin/roster.js exits with it), so tests
 * run it in process. Exit codes: 0 ok, 1 the request failed (not found,
 * invalid input, conflict, configuration), 2 usage error, 70 internal error.
 */
import { realpathSync } from 'node:fs';
import { userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { loadConfig, type RosterConfig } from '../../core/config/index.js';
import type { Actor } from '../../core/lifecycle/index.js';
import { createLogger, type Logger } from '../../core/logging/index.js';
import { startServer } from '../../server/index.js';
import { buildProgram } from './commands.js';
import { EXIT, cliFailure } from './errors.js';
import type { CliRuntime } from './context.js';
import { escapeControl } from './output.js';
import { progressLine } from './progress.js';
import { assertNoServer, openLocalStore, openSession, type Session } from './session.js';

export interface Output {
  write(text: string): unknown;
}

export interface MainOptions {
  /** Arguments after the program name. */
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  stdout?: Output;
  stderr?: Output;
}

export { EXIT } from './errors.js';

function cliActor(env: NodeJS.ProcessEnv): Actor {
  let name = env.USER ?? env.USERNAME;
  try {
    name ??= userInfo().username;
  } catch {
    // No passwd entry (some containers): the actor stays anonymous.
  }
  return { type: 'cli', id: name };
}

/** Apply output and exit handling to every command: commander does not inherit them through addCommand. */
function configureTree(command: Command, stdout: Output, stderr: Output): void {
  command.exitOverride().configureOutput({
    writeOut: (s) => stdout.write(s),
    writeErr: (s) => stderr.write(s),
    outputError: (s, write) => write(`roster: ${escapeControl(s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' '))} (see --help)\n`),
  });
  for (const sub of command.commands) configureTree(sub, stdout, stderr);
}

export async function main(options: MainOptions | string[] = {}): Promise<number> {
  const opts: MainOptions = Array.isArray(options) ? { argv: options } : options;
  const env = opts.env ?? process.env;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  let config: RosterConfig | undefined;
  let logger: Logger | undefined;
  let session: Session | undefined;

  const setup = (defaultLevel: string) => {
    config ??= loadConfig(env);
    logger ??= createLogger({ level: env.LOG_LEVEL ? config.logLevel : defaultLevel, format: config.logFormat });
    return { config, logger };
  };

  const runtime: CliRuntime = {
    async run(op, input, options) {
      const { config, logger } = setup('warn');
      session ??= await openSession(config, logger, cliActor(env));
      const line = options?.progressLabel ? progressLine(stderr, escapeControl(options.progressLabel)) : undefined;
      try {
        return await session.execute(op, input, line && ((counts) => line.update(counts)));
      } finally {
        line?.done();
      }
    },
    print(text) {
      stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    async migrate() {
      const { config } = setup('warn');
      assertNoServer(config);
      const local = await openLocalStore(config, { migrate: true });
      const where = local.store.location;
      await local.close();
      runtime.print(`migrations applied (${where})`);
    },
    async serve(port) {
      const { config, logger } = setup('info');
      assertNoServer(config);
      const server = await startServer(config, logger, { port: port ?? config.port, actor: cliActor(env) });
      await server.closed;
    },
  };

  const program = buildProgram(runtime);
  configureTree(program, stdout, stderr);
  try {
    await program.parseAsync(opts.argv ?? [], { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    const failure = cliFailure(err);
    if (failure.errorId) {
      logger ??= createLogger({ level: env.LOG_LEVEL?.toLowerCase() === 'debug' ? 'debug' : 'warn', format: 'pretty' });
      logger.debug(`internal error (id ${failure.errorId})`, { error: err });
    }
    if (failure.line) stderr.write(failure.line);
    return failure.exitCode;
  } finally {
    await session?.close().catch(() => {});
  }
}

/** Resolves once everything written to `stream` so far has reached the pipe, file or terminal (or cannot). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

/** Gives a stray handle (a socket, a timer) this long to let go once the output is out, then exits anyway. */
const LINGER_MS = 2_000;

/**
 * Run as the `roster` process (bin/roster.js and `tsx src/admin/cli/main.ts` both
 * end here). Output to a pipe is written asynchronously: `process.exit` right
 * after `main` would drop whatever the reader had not taken yet (all but the
 * first 64 KiB of a large `--json`). So the exit code is only set once stdout
 * and stderr have drained, and the process ends by itself.
 */
export async function runAsProcess(argv: string[]): Promise<void> {
  // A reader that went away (`roster user list | head`) is not an error of the command;
  // output that could not be written otherwise fails a command that succeeded.
  let unwritten = false;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') unwritten = true;
    });
  }
  const result = await main({ argv });
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  const code = result === EXIT.ok && unwritten ? EXIT.failed : result;
  process.exitCode = code;
  setTimeout(() => process.exit(code), LINGER_MS).unref();
}

function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  await runAsProcess(process.argv.slice(2));
}
