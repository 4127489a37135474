/**
 * `roster api-key create|list|revoke` (keys shown once, only their hash kept)
 * and `roster report [<connection>]` (users and groups synced, last sync,
 * status, health, recent runs).
 */
import { Command, InvalidArgumentError } from 'commander';
import { ops } from '../operations/index.js';
import type { ConnectionReport } from '../reports/index.js';
import { isProviderKind } from '../../pull/providers/index.js';
import { CONNECTION_REF, jsonOption, show, type CliRuntime, type Opts } from './context.js';
import { details, table } from './output.js';

export function apiKeyCommands(rt: CliRuntime): Command {
  const apiKey = new Command('api-key').description('manage API keys for the admin API (/api/v1)');
  apiKey
    .command('create')
    .description('create an API key; it is shown once, only its hash is kept')
    .requiredOption('--name <name>', 'who or what uses it (e.g. "console", "login service")')
    .requiredOption('--scope <scope>', 'admin (the admin API) or login-sync (the login hook)')
    .option('--tenant <slug>', 'restrict the key to one tenant (default: every tenant)')
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const k = await rt.run(ops.apiKeyCreate, { name: opts.name, scope: opts.scope, tenant: opts.tenant });
      show(rt, opts, k, (v) =>
        [
          `created API key "${v.name}" (${v.id}), scope ${v.scope}, ${v.tenant ? `tenant ${v.tenant} only` : 'every tenant'}`,
          '',
          `  ${v.key}`,
          '',
          'Copy it now: Roster keeps only a hash and cannot show it again.',
        ].join('\n'),
      );
    });
  apiKey
    .command('list')
    .description('list API keys with when they were last used')
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const rows = await rt.run(ops.apiKeyList, {});
      show(rt, opts, rows, (r) =>
        table(r, [
          ['NAME', (k) => k.name],
          ['PREFIX', (k) => `${k.prefix}…`],
          ['SCOPE', (k) => k.scope],
          ['TENANT', (k) => k.tenant ?? '(all)'],
          ['STATUS', (k) => k.status],
          ['CREATED', (k) => k.createdAt],
          ['LAST USED', (k) => k.lastUsedAt ?? 'never'],
          ['REVOKED', (k) => k.revokedAt],
          ['ID', (k) => k.id],
        ]),
      );
    });
  apiKey
    .command('revoke <id>')
    .description('revoke an API key; it is refused from the next request on')
    .addOption(jsonOption())
    .action(async (id: string, opts: Opts) => {
      const k = await rt.run(ops.apiKeyRevoke, { id });
      show(rt, opts, k, (v) => `revoked API key "${v.name}" (${v.id}) at ${v.revokedAt}`);
    });
  return apiKey;
}

function parseRuns(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 100) throw new InvalidArgumentError(`"${value}" is not a number of runs from 0 to 100`);
  return Number(value);
}

const seconds = (ms: number | null) => (ms === null ? 'running' : `${(ms / 1000).toFixed(1)}s`);

function humanReport(r: ConnectionReport): string {
  const head = details({
    connection: r.connection,
    kind: r.kind,
    health: `${r.health} (${r.healthReason})`,
    status: r.status,
    usersSynced: r.usersSynced,
    groupsSynced: r.groupsSynced,
    lastSync: r.lastSyncAt ?? 'never',
    lastSuccess: r.lastSuccessAt ?? 'never',
    ...(r.scimPushWindowSeconds !== null ? { lastScimPush: r.lastPushAt ?? 'never' } : {}),
  });
  const runs = table(
    r.recentRuns,
    [
      ['STARTED', (x) => x.startedAt],
      ['STATUS', (x) => x.status],
      ['MODE', (x) => x.mode],
      ['TRIGGER', (x) => x.trigger],
      ['USERS', (x) => x.usersSynced],
      ['GROUPS', (x) => x.groupsSynced],
      ['CHANGES', (x) => Object.entries(x.counts).filter(([k, n]) => n > 0 && k !== 'rowsWritten').map(([k, n]) => `${k} ${n}`).join(', ')],
      ['DURATION', (x) => seconds(x.durationMs)],
      ['ERROR', (x) => x.error],
    ],
    '(no runs yet)',
  );
  return `${head}\n\nrecent runs:\n${runs}`;
}

export function reportCommand(rt: CliRuntime): Command {
  return new Command('report')
    .argument('[connection]')
    .description('sync report and health: of one connection, or a line per connection')
    .option('--tenant <slug>', 'without <connection>: only this tenant\'s connections')
    .option('--runs <n>', 'how many recent runs to include (default 10 for one connection, 3 each for all)', parseRuns)
    .addOption(jsonOption())
    .addHelpText('after', `\n${CONNECTION_REF}`)
    .action(async (ref: string | undefined, opts: Opts) => {
      if (ref) {
        const r = await rt.run(ops.reportShow, { connection: ref, runs: opts.runs });
        show(rt, opts, r, humanReport);
        return;
      }
      const rows = await rt.run(ops.reportList, { tenant: opts.tenant, runs: opts.runs });
      show(rt, opts, rows, (all) =>
        table(all, [
          ['CONNECTION', (c) => c.connection],
          ['KIND', (c) => c.kind],
          ['HEALTH', (c) => c.health],
          ['STATUS', (c) => c.status],
          ['USERS', (c) => c.usersSynced],
          ['GROUPS', (c) => c.groupsSynced],
          ['LAST SYNC', (c) => c.lastSyncAt ?? (!isProviderKind(c.kind) ? `push ${c.lastPushAt ?? 'never'}` : 'never')],
          ['LAST SUCCESS', (c) => c.lastSuccessAt],
          ['WHY', (c) => c.healthReason],
        ]),
      );
    });
}
