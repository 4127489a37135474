/**
 * `roster serve`: migrate, take the embedded database (when there is no
 * DATABASE_URL), listen, publish the URL and command token in the lock file,
 * and give everything back on SIGINT/SIGTERM.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { RosterConfig } from '../core/config/index.js';
import { ValidationError } from '../core/errors/index.js';
import type { Actor } from '../core/lifecycle/index.js';
import type { Logger } from '../core/logging/index.js';
import { SecretKeyring } from '../core/secrets/index.js';
import { acquireEmbeddedLock, migrateStore, openStore, type EmbeddedLock, type Store } from '../core/store/index.js';
import { isProviderKind } from '../pull/providers/index.js';
import { ops, runOperation } from '../admin/operations/index.js';
import { SyncScheduler } from '../pull/schedule/index.js';
import { WebhookSender } from '../admin/webhooks/index.js';
import { EventAnnouncer } from '../admin/events/index.js';
import { buildServer } from './app.js';
import { registerMetricsRoute } from './metrics-route.js';

export interface RunningServer {
  url: string;
  /** Where /metrics is served when ROSTER_METRICS_PORT is set. */
  metricsUrl?: string | undefined;
  /** Resolves once the server has shut down (after a signal or `close()`). */
  closed: Promise<void>;
  close(): Promise<void>;
}

function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startServer(config: RosterConfig, logger: Logger, options: { port: number; actor: Actor }): Promise<RunningServer> {
  if (config.metricsPort !== undefined && config.metricsPort !== 0 && config.metricsPort === options.port) {
    throw new ValidationError(`ROSTER_METRICS_PORT (${config.metricsPort}) must differ from the server's port: unset it to serve /metrics on the main port`);
  }
  let lock: EmbeddedLock | undefined;
  let store: Store | undefined;
  try {
    if (!config.databaseUrl) lock = await acquireEmbeddedLock(config.dataDir, 'server');
    store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, maxConnections: config.databasePoolSize });
    await migrateStore(store, config.databaseUrl);
  } catch (err) {
    await store?.close().catch(() => {});
    lock?.release();
    throw err;
  }
  const keyring = new SecretKeyring({ secretKey: config.secretKey, backend: store.backend, dataDir: config.dataDir, logger });
  const context = { store, keyring, logger, actor: options.actor, syncLeaseMs: config.syncLeaseSeconds * 1000 };
  const app = buildServer(context, {
    commandToken: lock?.info.commandToken,
    adminToken: config.adminToken,
    metricsToken: config.metricsToken,
    metricsOnOwnPort: config.metricsPort !== undefined,
    publicUrl: config.publicUrl,
  });
  // Metrics on a port of their own (ROSTER_METRICS_PORT): a scraper's network need not reach the API.
  const metricsApp = config.metricsPort === undefined ? undefined : Fastify({ logger: false });
  if (metricsApp) registerMetricsRoute(metricsApp, { token: config.metricsToken });
  const scheduler = config.schedulerEnabled
    ? new SyncScheduler({
        db: store.db,
        logger,
        concurrency: config.syncConcurrency,
        isPullKind: isProviderKind,
        runSync: (connectionId, mode) =>
          runOperation({ ...context, actor: { type: 'system', id: 'scheduler' } }, ops.syncRun, { connection: connectionId, full: mode === 'full', trigger: 'schedule' }),
      })
    : undefined;
  let metricsUrl: string | undefined;
  try {
    await app.listen({ port: options.port, host: config.host });
    if (metricsApp) {
      await metricsApp.listen({ port: config.metricsPort, host: config.host });
      metricsUrl = `http://${reachableHost(config.host)}:${(metricsApp.server.address() as AddressInfo).port}`;
    }
  } catch (err) {
    await app.close().catch(() => {});
    await metricsApp?.close().catch(() => {});
    await store.close().catch(() => {});
    lock?.release();
    throw err;
  }
  const address = app.server.address() as AddressInfo;
  const url = `http://${reachableHost(config.host)}:${address.port}`;
  lock?.update({ url });
  logger.info(`roster listening on ${url} (database: ${store.location})`);
  if (metricsUrl) logger.info(`metrics served on ${metricsUrl}/metrics`);
  const announcer = new EventAnnouncer({ db: store.db, logger });
  announcer.start();
  const webhooks = new WebhookSender({ store, keyring, logger });
  await webhooks.start();
  if (scheduler) await scheduler.start();
  else logger.info('scheduled syncs are off in this replica (ROSTER_SCHEDULER=off)');

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      try {
        await scheduler?.stop();
        await webhooks.stop();
        await announcer.stop();
        await app.close();
        await metricsApp?.close();
        await store.close();
      } finally {
        lock?.release();
        logger.info('roster stopped');
        resolveClosed();
      }
    })();
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info(`${signal} received, shutting down`);
    void close();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A promise rejected with nobody to catch it is a bug, but not one worth every replica at once
  // (a database failover reaches them all): log it and keep serving.
  const onUnhandled = (reason: unknown) => logger.error('unhandled rejection (a bug; the server keeps running)', { error: reason });
  process.on('unhandledRejection', onUnhandled);
  void closed.then(() => process.off('unhandledRejection', onUnhandled));
  return { url, metricsUrl, closed, close };
}
