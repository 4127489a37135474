/**
 * A DATABASE_URL that nothing answers on is one clear line and a non-zero
 * exit, for every way in: `roster migrate`, `roster serve` and any command.
 * No stack trace, and never the URL's password.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorLines, runCli, spawnCli } from './support.js';
import { POSTGRES_SERVER_URL } from '../../support/store.js';

const PASSWORD = 'hunter2-never-shown';
// Port 1 on the loopback: nothing listens there, so the connection is refused at once.
const CLOSED_PORT_URL = `postgres://roster:${PASSWORD}@127.0.0.1:1/roster`;
const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: CLOSED_PORT_URL, ROSTER_SECRET_KEY: randomBytes(32).toString('base64'), LOG_FORMAT: 'json' };
const ONE_LINE = /^roster: cannot reach the database at postgres:\/\/roster:\[redacted\]@127\.0\.0\.1:1\/roster \(ECONNREFUSED\)$/;

describe('an unreachable DATABASE_URL', () => {
  it('makes roster migrate and other commands say so in one line and exit 1', async () => {
    for (const argv of [['migrate'], ['tenant', 'list'], ['user', 'list', '--tenant', 'acme']]) {
      const result = await runCli(argv, env);
      expect([result.code, errorLines(result.stderr)], argv.join(' ')).toEqual([1, [expect.stringMatching(ONE_LINE)]]);
      expect(result.stderr + result.stdout).not.toContain(PASSWORD);
    }
  });

  it('makes roster serve, as a process, exit non-zero with the same line and no stack trace', async () => {
    const result = await spawnCli(['serve', '--port', '0'], env);
    expect(result.code).toBe(1);
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(ONE_LINE)]);
    expect(result.stderr).not.toMatch(/\n\s+at |TypeError/);
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it('names a database that does not exist, without a stack trace', async () => {
    const url = new URL(POSTGRES_SERVER_URL);
    url.pathname = `/roster_missing_${randomBytes(4).toString('hex')}`;
    const result = await runCli(['migrate'], { ...env, DATABASE_URL: url.toString() });
    expect(result.code).toBe(1);
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(/^roster: cannot open the database at postgres:\/\/.*: database ".*" does not exist \(3D000\)$/)]);
  });
});
