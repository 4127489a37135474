/**
 * What `roster demo` prints on stdout: short reports and the next steps. The
 * lines the test reads are marked; keep their shape.
 */
import path from 'node:path';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import type { DemoIdp } from './directories.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `demo/okta  succeeded  300 users, 30 groups  (full, 0.8s, 12 API requests)` is read by the test. */
export function syncReportText(r: SyncReport): string {
  const c = r.counts;
  const changes = [
    c.usersCreated && `${c.usersCreated} created`,
    c.usersUpdated && `${c.usersUpdated} updated`,
    c.usersDeactivated && `${c.usersDeactivated} deactivated`,
    c.usersReactivated && `${c.usersReactivated} reactivated`,
    c.usersDeleted && `${c.usersDeleted} deleted`,
  ].filter(Boolean);
  const groupChanges = [
    c.groupsCreated && `${c.groupsCreated} created`,
    c.groupsUpdated && `${c.groupsUpdated} updated`,
    c.groupsDeleted && `${c.groupsDeleted} deleted`,
  ].filter(Boolean);
  const members = [c.membershipsAdded && `+${c.membershipsAdded}`, c.membershipsRemoved && `-${c.membershipsRemoved}`].filter(Boolean);
  const lines = [
    `  ${r.connection.padEnd(15)} ${r.status.padEnd(10)} ${plural(r.usersSynced, 'user')}, ${plural(r.groupsSynced, 'group')}  ` +
      `(${r.mode}, ${(r.durationMs / 1000).toFixed(1)}s, ${plural(r.apiRequests, 'API request')})`,
    `      users ${changes.join(', ') || 'unchanged'}; groups ${groupChanges.join(', ') || 'unchanged'}; ` +
      `memberships ${members.join(' ') || 'unchanged'}; ${plural(c.rowsWritten, 'row')} written`,
  ];
  if (r.error) lines.push(`      error: ${r.error}`);
  if (r.approveCommand) lines.push(`      held: run \`${r.approveCommand}\` to apply it`);
  for (const w of r.warnings) lines.push(`      warning: ${w}`);
  return lines.join('\n');
}

/** The data folder as the newcomer would type it from here. */
function shownDir(dataDir: string): string {
  const rel = path.relative(process.cwd(), dataDir);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : dataDir;
}

/** `leftOut`: why a sample is missing (no slapd), shown as one `note` line the test reads. */
export function startText(o: { dataDir: string; reused: boolean; idps: DemoIdp[]; users: number; leftOut?: string | undefined }): string {
  return [
    'Roster demo',
    `  database     ${shownDir(o.dataDir)} (embedded PGlite; ${o.reused ? 'reused from the last demo' : 'new'}; delete the folder to start over)`,
    `  sample IdPs  ${o.users} users each, some of them inactive, served on loopback:`,
    ...o.idps.map((i) => `               ${i.kind.padEnd(10)}${i.url}`),
    ...(o.leftOut ? [`  note         ${o.leftOut}`] : []),
    '',
    'First sync of each connection (tenant "demo"):',
  ].join('\n');
}

/** `mapped`: each sample's group mapped to the role, and the group nested in it where the sample nests one. */
export function servingText(o: { url: string; dataDir: string; token: string; role: string; mapped: Array<Pick<DemoIdp, 'kind' | 'mappedGroup' | 'nestedGroup'>> }): string {
  const env = `ROSTER_DATA_DIR=${shownDir(o.dataDir)}`;
  return [
    '',
    `Roles: members of these groups have the role "${o.role}" (nested groups' members too):`,
    ...o.mapped.map((m) => `  ${m.kind.padEnd(10)} "${m.mappedGroup}"${m.nestedGroup ? ` (nests "${m.nestedGroup}")` : ''}`),
    '',
    'SCIM push: connection demo/scim',
    `  base URL     ${o.url}/scim/v2`,
    `  token        ${o.token}`,
    '               (shown once; each run of the demo makes a new one and revokes the last)',
    '',
    'Try, in another terminal (the CLI goes through this server):',
    `  ${env} npx roster sync demo/entra`,
    `  ${env} npx roster sync demo/keycloak --full`,
    `  ${env} npx roster user list --tenant demo`,
    `  curl -H "Authorization: Bearer ${o.token}" ${o.url}/scim/v2/Users`,
    '',
    `Roster demo is serving on ${o.url} (Ctrl-C to stop)`,
  ].join('\n');
}
