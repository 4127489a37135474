/** `roster webhook create|list|delete`: signed event deliveries to the host application. */
import { Command } from 'commander';
import { ops } from '../operations/index.js';
import { jsonOption, show, type CliRuntime, type Opts } from './context.js';
import { details, table } from './output.js';

export function webhookCommands(rt: CliRuntime): Command {
  const webhook = new Command('webhook').description('signed webhooks: lifecycle events POSTed to your application');
  webhook
    .command('create')
    .description('create a webhook; its signing secret is shown once')
    .requiredOption('--tenant <slug>', 'whose events it receives')
    .requiredOption('--url <url>', 'https endpoint (plain http only to a host in ROSTER_TRUSTED_HOSTS)')
    .option('--description <text>', 'what it is for')
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const w = await rt.run(ops.webhookCreate, { tenant: opts.tenant, url: opts.url, description: opts.description });
      show(rt, opts, w, (v) =>
        [
          `created webhook ${v.id} for tenant ${v.tenant}: ${v.url}`,
          '',
          `  signing secret: ${v.secret}`,
          '',
          'Copy it now: it is not shown again. Each POST carries X-Roster-Signature: sha256=<HMAC-SHA256 of the body with this secret>.',
        ].join('\n'),
      );
    });
  webhook
    .command('list')
    .description('list webhooks with their delivery state')
    .option('--tenant <slug>', 'only this tenant')
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const rows = await rt.run(ops.webhookList, { tenant: opts.tenant });
      show(rt, opts, rows, (r) =>
        table(r, [
          ['ID', (w) => w.id],
          ['TENANT', (w) => w.tenant],
          ['URL', (w) => w.url],
          ['DELIVERED THROUGH', (w) => String(w.deliveredThrough)],
          ['FAILURES', (w) => String(w.consecutiveFailures)],
          ['LAST ERROR', (w) => w.lastError ?? ''],
        ]),
      );
    });
  webhook
    .command('delete <id>')
    .description('delete a webhook')
    .addOption(jsonOption())
    .action(async (id: string, opts: Opts) => {
      const r = await rt.run(ops.webhookDelete, { id });
      show(rt, opts, r, (v) => details({ deleted: v.id }));
    });
  return webhook;
}
