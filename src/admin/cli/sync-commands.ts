/**
 * `roster sync <connection>` and `roster connection test <connection>`.
 * A run that did not succeed (failed, partial, held) still prints its report,
 * then fails the command with one line saying why, so scripts and cron see it.
 */
import { Command } from 'commander';
import { RosterError, ValidationError } from '../../core/errors/index.js';
import { ops } from '../operations/index.js';
import type { ProvisionResult } from '../provision/index.js';
import type { SyncReport } from '../../pull/reconcile/report.js';
import { CONNECTION_REF, jsonOption, show, type CliRuntime, type Opts } from './context.js';
import { details, table } from './output.js';

/** The command finished but the sync did not do its job. */
class SyncNotApplied extends RosterError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}

function humanReport(r: SyncReport): string {
  const changed = Object.entries(r.counts).filter(([, n]) => n > 0);
  return details({
    run: r.runId,
    connection: r.connection,
    status: r.status,
    mode: r.mode,
    trigger: r.trigger,
    usersSynced: r.usersSynced,
    groupsSynced: r.groupsSynced,
    changes: changed.length ? changed.map(([k, n]) => `${k} ${n}`).join(', ') : 'none',
    ...(r.held ? { held: Object.entries(r.held).map(([k, n]) => `${k} ${n}`).join(', ') } : {}),
    apiRequests: r.apiRequests,
    duration: `${(r.durationMs / 1000).toFixed(1)}s`,
    ...(r.error ? { message: r.error } : {}),
    ...(r.approveCommand ? { approve: r.approveCommand } : {}),
    ...(r.warnings.length ? { warnings: r.warnings.join('; ') } : {}),
  });
}

/** Provision on demand, for people: the steps with their timings, then the outcome and the user. */
function humanProvision(r: ProvisionResult): string {
  const steps = table(r.steps, [
    ['STEP', (s) => s.step],
    ['STATUS', (s) => s.status],
    ['MS', (s) => s.ms.toFixed(1)],
    ['SUMMARY', (s) => s.summary],
  ]);
  const user = r.user
    ? `${r.user.userName} (${r.user.id}), ${r.user.active ? 'active' : 'inactive'}; groups: ${r.user.groups.join(', ') || 'none'}; roles: ${r.user.roles.map((x) => `${x.name} (${x.source})`).join(', ') || 'none'}`
    : 'none stored';
  return `${steps}\n\n${details({ outcome: r.dryRun ? `${r.outcome} (dry run: nothing applied)` : r.outcome, user })}`;
}

/** `roster sync <connection> --user <id>`: one user, now, step by step. */
async function provisionOne(rt: CliRuntime, ref: string, user: string, opts: Opts): Promise<void> {
  if (opts.full || opts.approve) throw new ValidationError('--user provisions one user: it cannot be combined with --full or --approve');
  const r = await rt.run(ops.syncProvision, { connection: ref, user, dryRun: opts.dryRun === true });
  show(rt, opts, r, humanProvision);
  const failed = r.steps.find((s) => s.status === 'failed');
  if (failed) throw new SyncNotApplied(`provision of ${user} on ${ref}: ${failed.step}: ${failed.summary}`);
}

function syncCommand(rt: CliRuntime): Command {
  return new Command('sync')
    .argument('<connection>')
    .description('pull a connection from its IdP: plan, guard and apply the changes, and print the report')
    .option('--full', 'read the whole directory instead of the changes since the last run')
    .option('--dry-run', 'plan and report only: apply nothing, leave the delta cursor where it is')
    .option('--approve <run>', 'apply the plan a held run is waiting with')
    .option('--user <user>', 'provision one user now (their userName, email or IdP id), printing each step; with --dry-run, only show what would change')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `\n${CONNECTION_REF}\nExit codes: 0 succeeded, 1 failed, partial or held (the report is printed first); with --user, 1 when a step failed (the IdP could not be asked or has no such user, or the user is held back).`,
    )
    .action(async (ref: string, opts: Opts) => {
      if (typeof opts.user === 'string') return provisionOne(rt, ref, opts.user, opts);
      const report = await rt.run(
        ops.syncRun,
        { connection: ref, full: opts.full, dryRun: opts.dryRun, approve: opts.approve },
        opts.json ? {} : { progressLabel: `syncing ${ref}` },
      );
      show(rt, opts, report, humanReport);
      if (report.status === 'succeeded') return;
      const why = report.status === 'held' ? `held for approval: run \`${report.approveCommand}\` or change the deletion threshold` : (report.error ?? report.status);
      throw new SyncNotApplied(`sync of ${report.connection} ${report.status === 'held' ? 'is' : report.status + ':'} ${why}`);
    });
}

function testCommand(rt: CliRuntime): Command {
  return new Command('test')
    .argument('<connection>')
    .description('check a pull connection\'s credentials and permissions, saying what is missing')
    .addOption(jsonOption())
    .action(async (ref: string, opts: Opts) => {
      const r = await rt.run(ops.connectionTest, { connection: ref });
      show(rt, opts, r, (v) =>
        table(v.checks, [
          ['CHECK', (c) => c.name],
          ['OK', (c) => (c.ok ? 'yes' : 'NO')],
          ['DETAIL', (c) => c.detail],
        ]),
      );
      const failed = r.checks.filter((c) => !c.ok);
      if (!r.ok || failed.length) {
        throw new SyncNotApplied(`connection ${r.connection} failed its test: ${failed.map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`).join('; ') || 'see the checks above'}`);
      }
    });
}

/** Adds `sync` to the program and `test` to its `connection` command. */
export function registerSyncCommands(program: Command, rt: CliRuntime): void {
  program.addCommand(syncCommand(rt));
  const connection = program.commands.find((c) => c.name() === 'connection');
  if (!connection) throw new Error('the connection command must be registered before the sync commands');
  connection.addCommand(testCommand(rt));
}
