/**
 * The provisioning log on the command line: `roster run show <run-id>
 * [--changes]`, `roster run reject <run-id>`, `roster user history <user>`
 * and `roster audit search --tenant <slug>`. A table for people, the whole
 * answer with --json (every page of it, unless --limit caps it).
 */
import { Command } from 'commander';
import { ops } from '../operations/index.js';
import type { LogItem } from '../operations/log-items.js';
import type { RunChangesPage } from '../operations/provisioning-log.js';
import { jsonOption, parseIntOption, show, USER_REF, type CliRuntime, type Opts } from './context.js';
import { details, table } from './output.js';

/** Entries a command reads per request; --limit caps the total. */
const PAGE = 500;

/** Read page after page until the end or `cap` entries. */
async function allPages<P extends { nextCursor: string | null }, T>(read: (cursor: string | undefined, limit: number) => Promise<P>, items: (p: P) => T[], cap: number | undefined): Promise<{ first: P; items: T[]; nextCursor: string | null }> {
  const want = cap ?? Number.POSITIVE_INFINITY;
  let page = await read(undefined, Math.min(PAGE, want));
  const first = page;
  const out = [...items(page)];
  while (page.nextCursor && out.length < want) {
    page = await read(page.nextCursor, Math.min(PAGE, want - out.length));
    out.push(...items(page));
  }
  return { first, items: out, nextCursor: page.nextCursor };
}

const who = (i: LogItem) => {
  const name = i.entity.userName ?? i.entity.externalId ?? i.entity.id ?? '-';
  return i.entity.group ? `${name} in ${i.entity.group.displayName ?? i.entity.group.id}` : name;
};

const changed = (i: LogItem) => {
  if (i.before && i.after) return Object.keys(i.after).map((k) => `${k}: ${JSON.stringify(i.before![k])} → ${JSON.stringify(i.after![k])}`).join(', ');
  return '';
};

export function logTable(items: LogItem[], empty = '(no changes)'): string {
  return table(
    items,
    [
      ['AT', (i) => i.at],
      ['OUTCOME', (i) => i.outcome],
      ['ACTION', (i) => i.action],
      ['WHO', who],
      ['SOURCE', (i) => [i.source.type, i.source.requestId ?? i.source.actorId].filter(Boolean).join(' ')],
      ['WHY / WHAT', (i) => [i.reason, changed(i)].filter(Boolean).join('; ')],
    ],
    empty,
  );
}

function runSummary(p: RunChangesPage): string {
  const counts = Object.entries((p.run.counts ?? {}) as Record<string, number>).filter(([, n]) => n > 0);
  const skipped = p.skipped as { byReason: Record<string, number> } | null;
  return details({
    run: p.run.id,
    connection: p.run.connection,
    status: p.run.status,
    mode: p.run.mode,
    trigger: p.run.trigger,
    started: p.run.startedAt,
    finished: p.run.finishedAt,
    changes: counts.length ? counts.map(([k, n]) => `${k} ${n}`).join(', ') : 'none',
    ...(p.run.held ? { held: Object.entries(p.run.held as Record<string, number>).map(([k, n]) => `${k} ${n}`).join(', ') } : {}),
    ...(skipped ? { skipped: Object.entries(skipped.byReason).map(([k, n]) => `${n} ${k}`).join(', ') } : {}),
    ...(p.run.error ? { message: p.run.error } : {}),
  });
}

function runCommands(rt: CliRuntime): Command {
  const run = new Command('run').description('look at a sync run\'s changes, and reject a held one');
  run
    .command('show <run-id>')
    .description('show a run; with --changes, every change it made, held, failed or skipped')
    .option('--changes', 'list the run\'s changes (a held run: the changes waiting for approval)')
    .option('--kind <kind>', 'only user, group, membership or role changes')
    .option('--outcome <outcome>', 'only this outcome (created, updated, deactivated, held, failed, ...)')
    .option('--user <user>', 'only changes of this user (id or userName)')
    .option('--limit <n>', 'at most this many changes (default: all)', parseIntOption)
    .addOption(jsonOption())
    .action(async (runId: string, opts: Opts) => {
      const filters = { kind: opts.kind, outcome: opts.outcome, user: opts.user };
      if (!opts.changes) {
        const page = await rt.run(ops.runChanges, { run: runId, limit: 1, ...filters });
        const { changes: _changes, nextCursor: _next, ...summary } = page;
        show(rt, opts, summary, (p) => runSummary({ ...p, changes: [], nextCursor: null }));
        return;
      }
      const read = (cursor: string | undefined, limit: number) => rt.run(ops.runChanges, { run: runId, limit, ...filters, ...(cursor ? { cursor } : {}) });
      const all = await allPages(read, (p) => p.changes, opts.limit as number | undefined);
      show(rt, opts, { ...all.first, changes: all.items, nextCursor: all.nextCursor }, (p) => `${runSummary(p)}\n\n${logTable(p.changes)}`);
    });
  run
    .command('reject <run-id>')
    .description('reject a held run: its plan is never applied, and the next run plans afresh')
    .addOption(jsonOption())
    .action(async (runId: string, opts: Opts) => {
      const r = await rt.run(ops.runReject, { run: runId });
      show(rt, opts, r, (v) => `rejected held run ${v.runId} of ${v.connection}: nothing of its plan was applied`);
    });
  return run;
}

function historyCommand(rt: CliRuntime): Command {
  return new Command('history')
    .argument('<user>')
    .description('everything that happened to a user (syncs, SCIM writes, logins, admins), newest first')
    .option('--tenant <slug>', 'tenant of a userName')
    .option('--limit <n>', 'at most this many entries (default: all)', parseIntOption)
    .addOption(jsonOption())
    .addHelpText('after', `\n${USER_REF}`)
    .action(async (ref: string, opts: Opts) => {
      const read = (cursor: string | undefined, limit: number) => rt.run(ops.userHistory, { user: ref, tenant: opts.tenant, limit, ...(cursor ? { cursor } : {}) });
      const all = await allPages(read, (p) => p.history, opts.limit as number | undefined);
      show(rt, opts, { ...all.first, history: all.items, nextCursor: all.nextCursor }, (p) => `${p.user.tenant}/${p.user.userName} (${p.user.active ? 'active' : 'inactive'}, ${p.user.id})\n\n${logTable(p.history, '(no history)')}`);
    });
}

function auditCommands(rt: CliRuntime): Command {
  const audit = new Command('audit').description('search the audit log');
  audit
    .command('search')
    .description('a tenant\'s audit events, newest first')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .option('--action <action>', 'an action (user.deactivated) or a prefix (user.*)')
    .option('--user <user>', 'a user\'s id or userName')
    .option('--actor <actor>', 'an actor id (token:…, an API key\'s name) or type (sync, scim, login, cli)')
    .option('--from <time>', 'from this ISO time (2026-01-31T00:00:00Z)')
    .option('--to <time>', 'up to this ISO time')
    .option('--limit <n>', 'at most this many events (default 100)', parseIntOption)
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const input = { tenant: opts.tenant, action: opts.action, user: opts.user, actor: opts.actor, from: opts.from, to: opts.to };
      const read = (cursor: string | undefined, limit: number) => rt.run(ops.auditSearch, { ...input, limit, ...(cursor ? { cursor } : {}) });
      const all = await allPages(read, (p) => p.events, (opts.limit as number | undefined) ?? 100);
      show(rt, opts, { events: all.items, nextCursor: all.nextCursor }, (p) => logTable(p.events, '(no events)'));
    });
  return audit;
}

/** Adds `run` and `audit` to the program and `history` to its `user` command. */
export function registerLogCommands(program: Command, rt: CliRuntime): void {
  program.addCommand(runCommands(rt));
  program.addCommand(auditCommands(rt));
  const user = program.commands.find((c) => c.name() === 'user');
  if (!user) throw new Error('the user command must be registered before the log commands');
  user.addCommand(historyCommand(rt));
}
