/** Helpers to drive the Keycloak provider against the fake (no test framework imports: the benchmark and `roster demo` can use them). */
import winston from 'winston';
import type { DirectoryEvent, DirectoryRun, ProviderContext } from '../../../src/pull/providers/types.js';
import type { FakeKeycloak } from './server.js';

export interface ContextOptions {
  settings?: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  concurrency?: number;
  logger?: winston.Logger;
}

/** A ProviderContext for the fake's realm, signed in as its service-account client. */
export function fakeKeycloakContext(fake: FakeKeycloak, options: ContextOptions = {}): ProviderContext {
  return {
    settings: { baseUrl: fake.url, realm: fake.realm.name, clientId: fake.client.clientId, retryDelayMs: 5, ...options.settings },
    secrets: options.secrets ?? { clientSecret: fake.client.secret },
    logger: options.logger ?? winston.createLogger({ silent: true }),
    stats: { apiRequests: 0, throttled: 0 },
    concurrency: options.concurrency ?? 4,
  };
}

/** A logger that keeps what it is told, for asserting what a run says of itself. */
export function recordingLogger(): { logger: winston.Logger; lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const logger = winston.createLogger({
    level: 'debug',
    transports: [new winston.transports.Console({ silent: true })],
  });
  logger.on('data', (info: { level: string; message: string }) => lines.push({ level: info.level, message: String(info.message) }));
  return { logger, lines };
}

/** Reads a run to its end, or to its error. */
export async function drain(run: DirectoryRun): Promise<{ events: DirectoryEvent[]; error: unknown; cursor: unknown }> {
  const events: DirectoryEvent[] = [];
  let error: unknown = null;
  try {
    for await (const page of run.pages) events.push(...page);
  } catch (e) {
    error = e;
  }
  let cursor: unknown = undefined;
  if (!error) cursor = JSON.parse(JSON.stringify(run.nextCursor() ?? null)) as unknown;
  return { events, error, cursor };
}
