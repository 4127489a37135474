/**
 * `roster connection preview-attributes <connection>`: what attribute
 * expressions (a file's, unsaved, or the connection's own) give for a few
 * users read live from the IdP. Nothing is saved.
 */
import { Command, Option } from 'commander';
import { ops } from '../operations/index.js';
import { PREVIEW_USERS } from '../operations/attributes.js';
import { CONNECTION_REF, jsonOption, show, type CliRuntime, type Opts } from './context.js';
import { table } from './output.js';
import { readSettingsFile } from './settings-file.js';

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function previewCommand(rt: CliRuntime): Command {
  return new Command('preview-attributes')
    .argument('<connection>')
    .description(`evaluate attribute expressions over a few users read live from the IdP; nothing is saved. ${CONNECTION_REF}`)
    .addOption(new Option('--expressions-file <file>', 'a JSON file holding { fields?, custom? } (default: the connection\'s own expressions)'))
    .addOption(new Option('--users <n>', `how many users (1 to ${PREVIEW_USERS.max}, default ${PREVIEW_USERS.default})`).argParser((v) => Number(v)))
    .addOption(jsonOption())
    .action(async (ref: string, opts: Opts & { expressionsFile?: string; users?: number }) => {
      const expressions = opts.expressionsFile ? readSettingsFile(opts.expressionsFile) : undefined;
      const r = await rt.run(ops.connectionAttributePreview, { connection: ref, ...(expressions ? { expressions } : {}), ...(opts.users === undefined ? {} : { users: opts.users }) });
      show(rt, opts, r, (v) => {
        const names = [...new Set(v.users.flatMap((u) => Object.keys(u.custom ?? {})))];
        return table(v.users, [
          ['USERNAME', (u) => u.userName],
          ['EMAIL', (u) => u.fields.email],
          ['DISPLAY NAME', (u) => u.fields.displayName],
          ...names.map((n): [string, (u: (typeof v.users)[number]) => unknown] => [n, (u) => cell(u.custom?.[n])]),
          ['ERRORS', (u) => u.errors.map((e) => `${e.field}: ${e.message}`).join('; ')],
        ]);
      });
    });
}

/** Adds `preview-attributes` to the `connection` command. */
export function registerAttributeCommands(program: Command, rt: CliRuntime): void {
  const connection = program.commands.find((c) => c.name() === 'connection');
  if (!connection) throw new Error('the connection command must be registered before the attribute commands');
  connection.addCommand(previewCommand(rt));
}
