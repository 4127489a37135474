/**
 * Opening a connection's provider: decrypt its secrets, build the context a
 * provider runs in, open it through the registry. The sync, the connection
 * test and the login hook all open providers this way.
 */
import type { Logger } from '../../core/logging/index.js';
import { createProvider, type DirectoryProvider, type ProviderContext, type ProviderStats } from './index.js';
import type { SecretKeyring } from '../../core/secrets/index.js';

/** What opening needs of a connection row. */
export interface OpenableConnection {
  id: string;
  kind: string;
  settings: unknown;
  /** The encrypted secrets blob, or null when the connection has none. */
  secrets: string | null;
}

/** Requests at once to one IdP for a connection whose settings do not say (`concurrency`). */
const DEFAULT_PROVIDER_CONCURRENCY = 4;

/** The connection's secrets, decrypted; bound to the connection id, so a blob copied to another row does not decrypt. */
export function decryptConnectionSecrets(keyring: SecretKeyring, connection: Pick<OpenableConnection, 'id' | 'secrets'>): Record<string, unknown> {
  return connection.secrets ? (keyring.decrypt(connection.secrets, `connection:${connection.id}`) as Record<string, unknown>) : {};
}

export interface ProviderContextOptions {
  logger: Logger;
  /** Counters the run's report reads; fresh ones when the caller does not read them. */
  stats?: ProviderStats;
  /** Overrides the connection's own `concurrency` (the login hook runs many users side by side). */
  concurrency?: number;
}

export function providerContext(connection: Pick<OpenableConnection, 'settings'>, secrets: Record<string, unknown>, options: ProviderContextOptions): ProviderContext {
  const settings = (connection.settings ?? {}) as Record<string, unknown>;
  const concurrency = options.concurrency ?? (typeof settings.concurrency === 'number' ? settings.concurrency : DEFAULT_PROVIDER_CONCURRENCY);
  return { settings, secrets, logger: options.logger, stats: options.stats ?? { apiRequests: 0, throttled: 0 }, concurrency };
}

/** The provider of a pull connection, its secrets decrypted with `keyring`. */
export function openProvider(connection: OpenableConnection, keyring: SecretKeyring, options: ProviderContextOptions): Promise<DirectoryProvider> {
  return createProvider(connection.kind, providerContext(connection, decryptConnectionSecrets(keyring, connection), options));
}
