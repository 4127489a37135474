/**
 * The `roster demo` process, started by src/admin/cli/demo.ts through tsx with
 * NODE_EXTRA_CA_CERTS set (the fake Entra's CA), ROSTER_DATA_DIR set to the
 * demo folder and no DATABASE_URL. It starts the fake IdPs (Entra, Okta,
 * Google, Keycloak, Zitadel, JumpCloud; and slapd, where installed:
 * ./ldap.ts) and the Roster server, sets up tenant "demo" through the
 * server's command endpoint (the path every CLI command takes), runs a
 * first sync of each pull connection, prints the reports, the SCIM URL and
 * token, and serves until a signal, or until the launcher goes away (its IPC
 * channel closes).
 */
import { parseArgs } from 'node:util';
import { openSession, type Session } from '../../../src/admin/cli/session.js';
import type { DemoFailure } from '../../../src/admin/cli/demo.js';
import { loadConfig } from '../../../src/core/config/index.js';
import { isRosterError } from '../../../src/core/errors/index.js';
import { createLogger, redactText } from '../../../src/core/logging/index.js';
import { ops } from '../../../src/admin/operations/index.js';
import { startServer, type RunningServer } from '../../../src/server/index.js';
import { readEmbeddedLock } from '../../../src/core/store/index.js';
import { startDemoIdps, type DemoIdp } from './directories.js';
import { demoSlapdPath } from './ldap.js';
import { servingText, startText, syncReportText } from './output.js';

const TENANT = 'demo';
const ROLE = 'developer';
const TOKEN_NAME = 'roster demo';

const print = (text: string) => process.stdout.write(`${text}\n`);

/** Creates what is missing, re-points what exists at this run's fakes. Returns whether the tenant was already there. */
async function setUp(session: Session, idps: DemoIdp[]): Promise<boolean> {
  const reused = (await session.execute(ops.tenantList, {})).some((t) => t.slug === TENANT);
  if (!reused) await session.execute(ops.tenantCreate, { slug: TENANT, name: 'Roster demo' });
  const existing = new Set((await session.execute(ops.connectionList, { tenant: TENANT })).map((c) => c.name));
  for (const idp of idps) {
    if (existing.has(idp.kind)) await session.execute(ops.connectionUpdate, { connection: `${TENANT}/${idp.kind}`, settings: idp.settings });
    else await session.execute(ops.connectionCreate, { tenant: TENANT, name: idp.kind, kind: idp.kind, settings: idp.settings });
  }
  if (!existing.has('scim')) await session.execute(ops.connectionCreate, { tenant: TENANT, name: 'scim', kind: 'scim' });
  if (!(await session.execute(ops.roleList, { tenant: TENANT })).some((r) => r.name === ROLE)) {
    await session.execute(ops.roleCreate, { tenant: TENANT, name: ROLE, description: 'given by a mapped group of each sample directory' });
  }
  const mappings = await session.execute(ops.mappingList, { tenant: TENANT });
  for (const idp of idps) {
    const connection = `${TENANT}/${idp.kind}`;
    if (mappings.some((m) => m.role === ROLE && m.group === idp.mappedGroup && m.connection?.endsWith(idp.kind))) continue;
    await session.execute(ops.mappingAdd, { tenant: TENANT, group: idp.mappedGroup, role: ROLE, connection });
  }
  return reused;
}

/** A new SCIM token for demo/scim; the previous demo's tokens are revoked. */
async function freshToken(session: Session): Promise<string> {
  const tokens = await session.execute(ops.tokenList, { connection: `${TENANT}/scim` });
  for (const t of tokens.filter((t) => t.name === TOKEN_NAME && t.status === 'active')) await session.execute(ops.tokenRevoke, { id: t.id });
  const created = await session.execute(ops.tokenCreate, { connection: `${TENANT}/scim`, name: TOKEN_NAME });
  return created.token;
}

/** One line, no stack: what went wrong and, where there is one, what to do. */
function describe(err: unknown, port: number): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') return `port ${port} is in use; choose another with --port (0 = any free port)`;
  if (isRosterError(err) && err.expose) return redactText(err.message);
  return `the demo could not start (${redactText(e?.message ?? String(err))}); run with LOG_LEVEL=debug for details`;
}

/** Through the launcher, its one error line says it; run directly, this process does. */
async function tell(message: string): Promise<void> {
  const failure: DemoFailure = { type: 'demo-error', message };
  if (process.send) await new Promise<void>((resolve) => process.send!(failure, () => resolve()));
  else process.stderr.write(`roster demo: ${message}\n`);
}

async function demo(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, users: { type: 'string' } } });
  const env = process.env;
  const config = loadConfig(env);
  const logger = createLogger({ level: env.LOG_LEVEL ? config.logLevel : 'warn', format: config.logFormat });
  const port = values.port !== undefined ? Number(values.port) : config.port;
  const users = values.users !== undefined ? Number(values.users) : 300;
  const actor = { type: 'cli' as const, id: 'roster-demo' };

  let starting: Promise<[DemoIdp[], RunningServer, string | undefined]> | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // A signal during start-up waits for it, so the lock and the ports are given back.
    const [idps, server] = (await starting?.catch(() => undefined)) ?? [[], undefined];
    await server?.close().catch(() => {});
    await Promise.allSettled(idps.map((i) => i.close()));
    if (code === 0) print('Roster demo stopped.');
    process.exit(code);
  };
  // Ctrl-C in a terminal reaches both the launcher and this process; either way, stop once.
  const onSignal = () => void stop(0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('disconnect', onSignal);

  // Only demos use the demo folder: a server holding it is another demo.
  const holder = readEmbeddedLock(config.dataDir);
  if (holder?.role === 'server') {
    await tell(`a demo is already running on ${config.dataDir} (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}); use it, or stop it first`);
    process.exit(1);
  }

  try {
    starting = (async () => {
      const { idps, leftOut } = await startDemoIdps(users, demoSlapdPath(env));
      try {
        return [idps, await startServer(config, logger, { port, actor }), leftOut] as [DemoIdp[], RunningServer, string | undefined];
      } catch (err) {
        await Promise.allSettled(idps.map((i) => i.close()));
        throw err;
      }
    })();
    const [idps, server, leftOut] = await starting;
    if (stopping) return;
    const session = await openSession(config, logger, actor);
    const reused = await setUp(session, idps);
    print(startText({ dataDir: config.dataDir, reused, idps, users, leftOut }));
    for (const idp of idps) {
      if (stopping) return;
      // Full: a reused connection still holds cursors of the last demo's fakes.
      const report = await session.execute(ops.syncRun, { connection: `${TENANT}/${idp.kind}`, full: true });
      print(syncReportText(report));
    }
    const token = await freshToken(session);
    print(servingText({ url: server.url, dataDir: config.dataDir, token, role: ROLE, mapped: idps }));
  } catch (err) {
    if (stopping) return;
    logger.debug('roster demo failed', { error: err });
    const message = describe(err, port);
    await tell(message);
    await stop(1);
  }
}

// Before the demo could set itself up (e.g. an invalid LOG_LEVEL).
await demo().catch(async (err: unknown) => {
  await tell(describe(err, 0));
  process.exit(1);
});
