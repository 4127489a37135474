/**
 * The command tree. Ops scripts depend on these shapes: keep names, options
 * and `--json` output stable. Each action turns options into an operation's
 * input and prints its result; the operation does the work.
 */
import { Command, Option } from 'commander';
import { ops, type ConnectionView, type MappingView, type UserPage } from '../operations/index.js';
import { CONNECTION_KINDS, isProviderKind, PROVIDER_KINDS } from '../../pull/providers/index.js';
import { apiKeyCommands, reportCommand } from './admin-commands.js';
import { CONNECTION_REF, USER_REF, jsonOption, parseBooleanOption, parseIntOption, show, textOption, type CliRuntime, type Opts } from './context.js';
import { webhookCommands } from './webhook-commands.js';
import { demoCommand } from './demo.js';
import { details, table } from './output.js';
import { blameSettingsFile, readSettingsFile } from './settings-file.js';
import { registerSyncCommands } from './sync-commands.js';
import { registerLogCommands } from './log-commands.js';
import { registerAttributeCommands } from './attribute-commands.js';
import { tokenCommands } from './token-commands.js';

function tenantCommands(rt: CliRuntime): Command {
  const tenant = new Command('tenant').description('manage tenants');
  tenant
    .command('create <slug>')
    .description('create a tenant')
    .option('--name <name>', 'display name (default: the slug)')
    .addOption(jsonOption())
    .action(async (slug: string, opts: Opts) => {
      const t = await rt.run(ops.tenantCreate, { slug, name: opts.name });
      show(rt, opts, t, (v) => `created tenant ${v.slug} (${v.id})`);
    });
  tenant
    .command('list')
    .description('list tenants')
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const rows = await rt.run(ops.tenantList, {});
      show(rt, opts, rows, (r) => table(r, [['SLUG', (t) => t.slug], ['NAME', (t) => t.name], ['ID', (t) => t.id]]));
    });
  return tenant;
}

function connectionLine(c: ConnectionView & { users?: number; groups?: number }): string {
  return details({
    id: c.id,
    connection: `${c.tenant}/${c.name}`,
    kind: c.kind,
    enabled: c.enabled,
    schedule: c.schedule ?? '(manual only)',
    fullSchedule: c.fullSchedule ?? (!isProviderKind(c.kind) ? '(none: pushed to)' : '(none: opted out)'),
    syncOnLogin: !isProviderKind(c.kind) ? `from the store (${c.kind})` : c.loginSync.enabled ? `live, ${c.loginSync.timeoutMs} ms budget` : 'off (from the store)',
    deletionThreshold: c.deletionThreshold.percent !== null ? `${c.deletionThreshold.percent}%` : (c.deletionThreshold.count ?? '(default)'),
    scimPush: c.scimPush,
    scimRateLimit: c.scimRateLimit.perMinute === 0 ? 'off' : `${c.scimRateLimit.perMinute}/min, burst ${c.scimRateLimit.burst}`,
    settings: c.settings,
    ...(c.users !== undefined ? { users: c.users, groups: c.groups } : {}),
  });
}

function connectionCommands(rt: CliRuntime): Command {
  const connection = new Command('connection').description('manage IdP connections').addHelpText('after', `\n${CONNECTION_REF}`);
  connection
    .command('create')
    .description('create a connection; secret settings are stored encrypted')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .requiredOption('--name <name>', 'connection name, unique in the tenant')
    .addOption(new Option('--kind <kind>', 'identity provider').choices(CONNECTION_KINDS).makeOptionMandatory())
    .option('--settings <file>', 'JSON file with the kind\'s settings (credentials included)')
    .option('--schedule <cron>', 'cron expression of the scheduled (delta) sync, in UTC (e.g. "*/15 * * * *")')
    .option('--full-schedule <cron>', `cron expression of the periodic full sync (default for ${PROVIDER_KINDS.join(', ')}: daily, between 02:00 and 05:00 UTC)`)
    .option('--no-full-schedule', 'no periodic full sync (opts out of the daily default)')
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const file = textOption(opts, 'settings');
      const settings = file ? readSettingsFile(file) : undefined;
      const fullSchedule = opts.fullSchedule === false ? null : opts.fullSchedule;
      const input = { tenant: opts.tenant, name: opts.name, kind: opts.kind, settings, schedule: opts.schedule, fullSchedule };
      const c = await rt.run(ops.connectionCreate, input).catch((err) => Promise.reject(blameSettingsFile(err, file)));
      show(rt, opts, c, (v) => `created connection ${v.tenant}/${v.name} (${v.id})`);
    });
  connection
    .command('list')
    .description('list connections')
    .option('--tenant <slug>', 'only this tenant\'s connections')
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const rows = await rt.run(ops.connectionList, { tenant: opts.tenant });
      show(rt, opts, rows, (r) =>
        table(r, [
          ['CONNECTION', (c) => `${c.tenant}/${c.name}`],
          ['KIND', (c) => c.kind],
          ['ENABLED', (c) => (c.enabled ? 'yes' : 'no')],
          ['SCHEDULE', (c) => c.schedule],
          ['FULL SCHEDULE', (c) => c.fullSchedule],
          ['ID', (c) => c.id],
        ]),
      );
    });
  connection
    .command('show <connection>')
    .description('show a connection (secrets masked)')
    .addOption(jsonOption())
    .action(async (ref: string, opts: Opts) => {
      const c = await rt.run(ops.connectionShow, { connection: ref });
      show(rt, opts, c, connectionLine);
    });
  connection
    .command('update <connection>')
    .description('change settings, schedule, enabled state or deletion threshold')
    .option('--settings <file>', 'JSON file replacing the settings; secrets left out keep their stored values')
    .option('--schedule <cron>', 'cron expression of the scheduled sync')
    .option('--no-schedule', 'remove the schedule (manual syncs only)')
    .option('--full-schedule <cron>', 'cron expression of the periodic full sync')
    .option('--no-full-schedule', 'no periodic full sync (the safety net for what deltas cannot see)')
    .option('--sync-groups-on-login <true|false>', 'sync-on-login fetches the user and groups live from the IdP', parseBooleanOption)
    .option('--login-sync-timeout <ms>', 'time budget of the live fetch at login (default 2000)', parseIntOption)
    .option('--enable', 'enable the connection')
    .option('--disable', 'disable the connection')
    .option('--deletion-threshold <n|n%>', 'hold plans deactivating/deleting more than N users or N% of them')
    .option('--scim-push', 'accept SCIM pushes on this connection (always on for kind scim)')
    .option('--no-scim-push', 'stop accepting SCIM pushes (pull connections)')
    .option('--scim-rate-limit <perMinute>', 'SCIM requests per minute per token (0 = no limit; default 60)', parseIntOption)
    .option('--scim-burst <n>', 'SCIM requests allowed in a burst per token (default 20)', parseIntOption)
    .option('--scim-push-window <duration>', 'health: stalled after this long without a SCIM push (90m, 24h, 2d; "default" = 24h)')
    .addOption(jsonOption())
    .action(async function (this: Command, ref: string, opts: Opts) {
      if (opts.enable && opts.disable) this.error('--enable and --disable cannot be used together', { exitCode: 2 });
      const file = textOption(opts, 'settings');
      const input: Record<string, unknown> = { connection: ref };
      if (file) input.settings = readSettingsFile(file);
      if (opts.schedule !== undefined) input.schedule = opts.schedule === false ? null : opts.schedule;
      if (opts.fullSchedule !== undefined) input.fullSchedule = opts.fullSchedule === false ? null : opts.fullSchedule;
      if (opts.syncGroupsOnLogin !== undefined) input.syncGroupsOnLogin = opts.syncGroupsOnLogin;
      if (opts.loginSyncTimeout !== undefined) input.loginSyncTimeoutMs = opts.loginSyncTimeout;
      if (opts.enable) input.enabled = true;
      if (opts.disable) input.enabled = false;
      if (opts.deletionThreshold !== undefined) input.deletionThreshold = opts.deletionThreshold;
      if (opts.scimPush !== undefined) input.scimPush = opts.scimPush;
      if (opts.scimRateLimit !== undefined) input.scimRatePerMinute = opts.scimRateLimit;
      if (opts.scimBurst !== undefined) input.scimBurst = opts.scimBurst;
      if (opts.scimPushWindow !== undefined) input.scimPushWindow = opts.scimPushWindow === 'default' ? null : opts.scimPushWindow;
      const c = await rt.run(ops.connectionUpdate, input).catch((err) => Promise.reject(blameSettingsFile(err, file)));
      show(rt, opts, c, (v) => `updated connection ${v.tenant}/${v.name}\n${connectionLine(v)}`);
    });
  connection
    .command('delete <connection>')
    .description('delete a connection; refuses while it has users or groups unless --force')
    .option('--force', 'also delete its users and groups (audited)')
    .addOption(jsonOption())
    .action(async (ref: string, opts: Opts) => {
      const r = await rt.run(ops.connectionDelete, { connection: ref, force: opts.force === true });
      show(rt, opts, r, (v) => `deleted connection ${ref} (${v.usersDeleted} users, ${v.groupsDeleted} groups removed)`);
    });
  return connection;
}

function roleCommands(rt: CliRuntime): Command {
  const role = new Command('role').description('manage roles');
  role
    .command('create <name>')
    .description('create a role')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .option('--description <text>', 'what the role allows')
    .addOption(jsonOption())
    .action(async (name: string, opts: Opts) => {
      const r = await rt.run(ops.roleCreate, { tenant: opts.tenant, name, description: opts.description });
      show(rt, opts, r, (v) => `created role ${v.name} (${v.id})`);
    });
  role
    .command('list')
    .description('list a tenant\'s roles')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const rows = await rt.run(ops.roleList, { tenant: opts.tenant });
      show(rt, opts, rows, (r) => table(r, [['NAME', (x) => x.name], ['DESCRIPTION', (x) => x.description], ['ID', (x) => x.id]]));
    });
  return role;
}

function mappingCommands(rt: CliRuntime): Command {
  const mapping = new Command('mapping').description('map IdP groups to roles');
  mapping
    .command('add')
    .description('give members of an IdP group a role')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .addOption(new Option('--group <displayName>', 'match the group by display name (case-insensitive)').conflicts('groupId'))
    .option('--group-id <externalId>', 'match the group by its IdP id (exact)')
    .requiredOption('--role <role>', 'role name or id')
    .addOption(new Option('--connection <connection>', 'only groups of this connection (id, name or tenant/name)').conflicts('tenantWide'))
    .option('--tenant-wide', 'groups of every connection of the tenant match, SCIM pushes included')
    .addOption(jsonOption())
    .action(async function (this: Command, opts: Opts) {
      if (opts.group === undefined && opts.groupId === undefined) this.error('give --group <displayName> or --group-id <externalId>', { exitCode: 2 });
      if (opts.connection === undefined && opts.tenantWide !== true) {
        this.error('give --connection <connection> (only its groups match) or --tenant-wide (groups of every connection match, SCIM pushes included)', { exitCode: 2 });
      }
      const input = { tenant: opts.tenant, group: opts.group, groupId: opts.groupId, role: opts.role, connection: opts.connection, tenantWide: opts.tenantWide === true ? true : undefined };
      const m = await rt.run(ops.mappingAdd, input);
      const scope = (v: MappingView) => (v.tenantWide ? 'every connection (tenant-wide)' : `connection ${v.connection}`);
      show(rt, opts, m, (v) => `added mapping ${v.id}: group ${v.matchBy === 'display_name' ? `"${v.group}"` : `id ${v.group}`} of ${scope(v)} → role ${v.role}`);
    });
  mapping
    .command('list')
    .description('list a tenant\'s group-to-role mappings')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .addOption(jsonOption())
    .action(async (opts: Opts) => {
      const rows = await rt.run(ops.mappingList, { tenant: opts.tenant });
      show(rt, opts, rows, (r) =>
        table(r, [
          ['ID', (m) => m.id],
          ['GROUP', (m) => (m.matchBy === 'display_name' ? m.group : `id:${m.group}`)],
          ['ROLE', (m) => m.role],
          ['CONNECTION', (m) => (m.tenantWide ? '(tenant-wide)' : (m.connection ?? m.connectionId ?? ''))],
        ]),
      );
    });
  mapping
    .command('remove <id>')
    .description('remove a mapping (roles it gave are recomputed)')
    .addOption(jsonOption())
    .action(async (id: string, opts: Opts) => {
      const r = await rt.run(ops.mappingRemove, { id });
      show(rt, opts, r, () => `removed mapping ${id}`);
    });
  return mapping;
}

/** One page, or with --all every page, followed by cursor (the result then has no more). */
async function listUsers(rt: CliRuntime, opts: Opts): Promise<UserPage> {
  const input = { tenant: opts.tenant, limit: opts.limit ?? (opts.all ? 1000 : undefined), offset: opts.offset, cursor: opts.cursor };
  const first = await rt.run(ops.userList, input);
  if (!opts.all) return first;
  const users = [...first.users];
  for (let page = first; page.more; ) {
    page = await rt.run(ops.userList, { ...input, offset: undefined, cursor: page.nextCursor });
    users.push(...page.users);
  }
  return { users, more: false, nextCursor: null };
}

function userCommands(rt: CliRuntime): Command {
  const user = new Command('user').description('look at synced users').addHelpText('after', `\n${USER_REF}`);
  user
    .command('list')
    .description('list a tenant\'s users in userName order, a page at a time (or every page with --all)')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .option('--limit <n>', 'page size (default 100, or 1000 with --all; max 1000)', parseIntOption)
    .option('--offset <n>', 'skip this many', parseIntOption)
    .addOption(new Option('--cursor <cursor>', 'continue after the page that gave this nextCursor').conflicts('offset'))
    .option('--all', 'every user: read page after page to the end')
    .addOption(jsonOption())
    .addHelpText('after', '\n--json prints { "users": [...], "more": true|false, "nextCursor": "..." }: while "more" is true,\n--cursor <nextCursor> lists the next page.')
    .action(async (opts: Opts) => {
      const page = await listUsers(rt, opts);
      show(rt, opts, page, (p) => {
        const rows = table(p.users, [['USERNAME', (u) => u.userName], ['NAME', (u) => u.displayName], ['ACTIVE', (u) => (u.active ? 'yes' : 'no')], ['ID', (u) => u.id]]);
        return p.more ? `${rows}\n(more users follow: add --cursor ${p.nextCursor}, or list them all with --all)` : rows;
      });
    });
  user
    .command('show <user>')
    .description('show a user with groups and roles (and where each role comes from)')
    .option('--tenant <slug>', 'tenant of a userName')
    .addOption(jsonOption())
    .action(async (ref: string, opts: Opts) => {
      const u = await rt.run(ops.userShow, { user: ref, tenant: opts.tenant });
      show(rt, opts, u, (v) =>
        details({
          ...v,
          groups: v.groups.map((g) => g.displayName).join(', ') || '-',
          roles: v.roles.map((r) => `${r.name} (${r.source})`).join(', ') || '-',
        }),
      );
    });
  return user;
}

function grantCommand(rt: CliRuntime, verb: 'grant' | 'revoke'): Command {
  return new Command(verb)
    .arguments('<user> <role>')
    .description(verb === 'grant' ? 'grant a role manually (sync never removes it)' : 'revoke a manually granted role')
    .option('--tenant <slug>', 'tenant of a userName')
    .addOption(jsonOption())
    .addHelpText('after', `\n${USER_REF}\n<role> is the role name or id.`)
    .action(async (userRef: string, roleRef: string, opts: Opts) => {
      const r = await rt.run(verb === 'grant' ? ops.roleGrant : ops.roleRevoke, { user: userRef, role: roleRef, tenant: opts.tenant });
      const done = verb === 'grant' ? 'granted' : 'revoked';
      show(rt, opts, r, (v) =>
        v.changed ? `${done} ${v.role.name} ${verb === 'grant' ? 'to' : 'from'} ${v.user.userName}` : `nothing to do: ${v.user.userName} ${verb === 'grant' ? 'already has' : 'has no manual grant of'} ${v.role.name}`,
      );
    });
}

export function buildProgram(rt: CliRuntime): Command {
  const program = new Command('roster')
    .description('Roster: keep your application\'s users, groups and roles in step with your identity provider');
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(() => rt.migrate());
  program
    .command('serve')
    .description('run the HTTP server (PORT and HOST from the environment, default 8080 on 127.0.0.1)')
    .option('--port <n>', 'port to listen on (0 = any free port)', parseIntOption)
    .action((opts: { port?: number }) => rt.serve(opts.port));
  program.addCommand(tenantCommands(rt));
  program.addCommand(connectionCommands(rt));
  program.addCommand(roleCommands(rt));
  program.addCommand(mappingCommands(rt));
  program.addCommand(userCommands(rt));
  program.addCommand(grantCommand(rt, 'grant'));
  program.addCommand(grantCommand(rt, 'revoke'));
  program.addCommand(tokenCommands(rt));
  registerSyncCommands(program, rt);
  registerLogCommands(program, rt);
  registerAttributeCommands(program, rt);
  program.addCommand(apiKeyCommands(rt));
  program.addCommand(reportCommand(rt));
  program.addCommand(webhookCommands(rt));
  program.addCommand(demoCommand());
  return program;
}
