/**
 * `roster user list` pages (a cursor, `--all`, and JSON that says whether
 * more remain), and what IdP data can put on a terminal: control characters
 * in userNames and display names are shown escaped in human output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, errorLines, runCli, seedUsers, type CliEnvironment } from './support.js';

let cli: CliEnvironment;
const run = (...argv: string[]) => runCli(argv, cli.env);

/** What a hostile or broken IdP can send: a title-setting OSC, a colour, a carriage return, C1 CSI, a bidi override. */
const HOSTILE = {
  userName: 'eve\u001b]0;owned\u0007@acme.test',
  displayName: 'Eve\u001b[31m\r\nADMIN  yes\u009b2J\u202eesrever',
};
/** Control characters a terminal acts on: C0 except the newline between lines, DEL, C1, and bidi controls. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

interface Page {
  users: Array<{ userName: string; displayName: string }>;
  more: boolean;
  nextCursor: string | null;
}

beforeAll(async () => {
  cli = await cliEnvironment();
  await seedUsers(cli.env, 'acme', 5);
  await seedUsers(cli.env, 'hostile', 1, () => HOSTILE);
}, 120_000);
afterAll(() => cli.cleanup());

describe('user list pages', () => {
  it('says in JSON whether more remain, and continues from nextCursor to the end', async () => {
    const seen: string[] = [];
    let cursor: string[] = [];
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(3);
      const r = await run('user', 'list', '--tenant', 'acme', '--limit', '2', ...cursor, '--json');
      expect(r.code, r.stderr).toBe(0);
      const page = JSON.parse(r.stdout) as Page;
      seen.push(...page.users.map((u) => u.userName));
      if (!page.more) {
        expect(page.nextCursor).toBeNull();
        break;
      }
      expect(page.users).toHaveLength(2);
      cursor = ['--cursor', page.nextCursor!];
    }
    expect(seen).toEqual(['user0@example.test', 'user1@example.test', 'user2@example.test', 'user3@example.test', 'user4@example.test']);
  });

  it('lists every user with --all, page by page, and says none remain', async () => {
    const all = await run('user', 'list', '--tenant', 'acme', '--all', '--limit', '2', '--json');
    expect(all.code, all.stderr).toBe(0);
    const page = JSON.parse(all.stdout) as Page;
    expect(page.users.map((u) => u.userName)).toEqual(['user0@example.test', 'user1@example.test', 'user2@example.test', 'user3@example.test', 'user4@example.test']);
    expect([page.more, page.nextCursor]).toEqual([false, null]);
  });

  it('tells a person reading the table how to see the rest', async () => {
    const r = await run('user', 'list', '--tenant', 'acme', '--limit', '4');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    const cursor = /^\(more users follow: add --cursor (\S+), or list them all with --all\)$/.exec(lines.at(-1)!)?.[1];
    expect(cursor).toBeDefined();
    const rest = await run('user', 'list', '--tenant', 'acme', '--cursor', cursor!);
    expect(rest.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(' ')[0])).toEqual(['user4@example.test']);
  });

  it('refuses a cursor it did not give in one line with exit 1, and a cursor with an offset', async () => {
    const r = await run('user', 'list', '--tenant', 'acme', '--cursor', 'bm90LWEtY3Vyc29y');
    expect([r.code, errorLines(r.stderr)]).toEqual([1, ['roster: cursor is not one a user listing gave (pass the nextCursor of the previous page as it is)']]);
    const both = await run('user', 'list', '--tenant', 'acme', '--cursor', 'x', '--offset', '1');
    expect([both.code, errorLines(both.stderr)]).toEqual([2, [expect.stringMatching(/^roster: option '--cursor <cursor>' cannot be used with option '--offset <n>'/)]]);
  });
});

describe('IdP data on a terminal', () => {
  it('escapes control characters in listings and details, and keeps JSON exact', async () => {
    const listed = await run('user', 'list', '--tenant', 'hostile');
    expect(listed.stdout).not.toMatch(RAW_CONTROL);
    expect(listed.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(listed.stdout).toContain('eve\\x1b]0;owned\\x07@acme.test');
    expect(listed.stdout).toContain('Eve\\x1b[31m\\r\\nADMIN  yes\\x9b2J\\u202eesrever');

    const shown = await run('user', 'show', `hostile/${HOSTILE.userName}`);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toMatch(RAW_CONTROL);
    expect(shown.stdout).toContain('displayName: Eve\\x1b[31m\\r\\nADMIN');

    const json = JSON.parse((await run('user', 'list', '--tenant', 'hostile', '--json')).stdout) as Page;
    expect(json.users[0]).toMatchObject(HOSTILE);
  });

  it('escapes them in messages and in one-line errors', async () => {
    await run('role', 'create', 'admin', '--tenant', 'hostile');
    const granted = await run('grant', `hostile/${HOSTILE.userName}`, 'admin');
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stdout).toBe('granted admin to eve\\x1b]0;owned\\x07@acme.test\n');

    const missing = await run('user', 'show', 'hostile/mallory\u001b[2J\n@acme.test');
    expect(missing.code).toBe(1);
    expect(missing.stderr).not.toMatch(RAW_CONTROL);
    expect(errorLines(missing.stderr)).toEqual(['roster: user "hostile/mallory\\x1b[2J\\n@acme.test" not found']);
  });
});
