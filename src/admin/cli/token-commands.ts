/** `roster token create|list|revoke`: SCIM bearer tokens, shown once at creation. */
import { Command } from 'commander';
import { ops } from '../operations/index.js';
import { CONNECTION_REF, jsonOption, show, type CliRuntime, type Opts } from './context.js';
import { table } from './output.js';

export function tokenCommands(rt: CliRuntime): Command {
  const token = new Command('token').description('manage SCIM bearer tokens').addHelpText('after', `\n${CONNECTION_REF}`);
  token
    .command('create <connection>')
    .description('create a SCIM bearer token for a connection; it is shown once, only its hash is kept')
    .requiredOption('--name <name>', 'what the token is for (e.g. "Okta SCIM")')
    .option('--expires <when>', 'expiry: a duration (90d, 12h, 2w) or a date (2027-01-31); default: never')
    .addOption(jsonOption())
    .action(async (ref: string, opts: Opts) => {
      const t = await rt.run(ops.tokenCreate, { connection: ref, name: opts.name, expires: opts.expires });
      show(rt, opts, t, (v) =>
        [
          `created SCIM token "${v.name}" (${v.id}) for ${v.connection}${v.expiresAt ? `, expires ${v.expiresAt}` : ''}`,
          '',
          `  ${v.token}`,
          '',
          'Copy it now: Roster keeps only a hash and cannot show it again.',
        ].join('\n'),
      );
    });
  token
    .command('list <connection>')
    .description('list a connection\'s SCIM tokens with when they were last used')
    .addOption(jsonOption())
    .action(async (ref: string, opts: Opts) => {
      const rows = await rt.run(ops.tokenList, { connection: ref });
      show(rt, opts, rows, (r) =>
        table(r, [
          ['NAME', (t) => t.name],
          ['PREFIX', (t) => `${t.prefix}…`],
          ['STATUS', (t) => t.status],
          ['CREATED', (t) => t.createdAt],
          ['LAST USED', (t) => t.lastUsedAt ?? 'never'],
          ['EXPIRES', (t) => t.expiresAt ?? 'never'],
          ['ID', (t) => t.id],
        ]),
      );
    });
  token
    .command('revoke <id>')
    .description('revoke a SCIM token; it is refused from the next request on')
    .addOption(jsonOption())
    .action(async (id: string, opts: Opts) => {
      const t = await rt.run(ops.tokenRevoke, { id });
      show(rt, opts, t, (v) => `revoked SCIM token "${v.name}" (${v.id}) of ${v.connection} at ${v.revokedAt}`);
    });
  return token;
}
