/**
 * Roster's configuration comes from the environment (twelve-factor): the same
 * image runs a laptop demo on PGlite and a replica set on Postgres.
 */
import path from 'node:path';
import { ValidationError } from '../errors/index.js';
import { parseTrustedHosts, TRUSTED_HOSTS_ENV } from '../net/url-policy.js';

export interface RosterConfig {
  /** Postgres server URL; absent = embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** Postgres connections per process (`DATABASE_POOL_SIZE`). */
  databasePoolSize: number;
  /** Folder of the embedded database, its lock and (if generated) its secret key. */
  dataDir: string;
  /** Raw `ROSTER_SECRET_KEY` (32 bytes, base64 or hex); parsed by src/core/secrets. */
  secretKey: string | undefined;
  logLevel: string;
  /** `json` (production, pipes) or `pretty` (a terminal). */
  logFormat: 'json' | 'pretty';
  port: number;
  host: string;
  /** Run scheduled syncs in this `roster serve` (`ROSTER_SCHEDULER=off` for a replica that only serves). */
  schedulerEnabled: boolean;
  /** Scheduled syncs of different connections running at once in one replica (`ROSTER_SYNC_CONCURRENCY`). */
  syncConcurrency: number;
  /**
   * `ROSTER_SYNC_LEASE_SECONDS` (default 60): the sync lease's TTL, renewed by a heartbeat while a
   * sync runs, so a replica that died blocks its connection's syncs for at most this long.
   */
  syncLeaseSeconds: number;
  /** `ROSTER_ADMIN_TOKEN`: bootstrap admin access to /api/v1 (every tenant); unset = API keys only. */
  adminToken: string | undefined;
  /** `ROSTER_METRICS_TOKEN`: /metrics wants this bearer token; unset = open to whoever reaches it. */
  metricsToken: string | undefined;
  /** `ROSTER_METRICS_PORT`: serve /metrics on this port (same HOST) instead of the main one. */
  metricsPort: number | undefined;
  /** `ROSTER_PUBLIC_URL`: the URL clients reach Roster at, for links in answers (SCIM `meta.location`). */
  publicUrl: string | undefined;
}

/** A bootstrap token guards every tenant: refuse one short enough to guess. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
/** The metrics token guards a read-only view: still long enough not to be guessed. */
export const MIN_METRICS_TOKEN_LENGTH = 24;

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

export function parsePort(value: string, source: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) {
    throw new ValidationError(`${source} must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

/**
 * Default 20: a SCIM write holds its connection through COMMIT, which waits
 * for the WAL flush; more connections let more commits share one flush.
 */
export const DEFAULT_DATABASE_POOL_SIZE = 20;

function parsePoolSize(value: string | undefined): number {
  return parseWhole(value, 'DATABASE_POOL_SIZE', DEFAULT_DATABASE_POOL_SIZE, 1, 500);
}

function parseWhole(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new ValidationError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/**
 * `https://roster.example.com` (a path prefix is kept, a trailing slash is
 * not): links in answers are built on it instead of the request's Host
 * header, which a client chooses.
 */
function parsePublicUrl(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError(`ROSTER_PUBLIC_URL must be an absolute http(s) URL, got "${value}"`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) {
    throw new ValidationError(`ROSTER_PUBLIC_URL must be an http(s) URL without query, fragment or credentials, got "${value}"`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function parseSwitch(value: string | undefined, name: string): boolean {
  const v = (value ?? 'on').trim().toLowerCase();
  if (['on', 'true', '1', 'yes', ''].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new ValidationError(`${name} must be on or off, got "${value}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RosterConfig {
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ValidationError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const adminToken = env.ROSTER_ADMIN_TOKEN?.trim() || undefined;
  if (adminToken !== undefined && adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new ValidationError(`ROSTER_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (e.g. openssl rand -base64 32)`);
  }
  const metricsToken = env.ROSTER_METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && metricsToken.length < MIN_METRICS_TOKEN_LENGTH) {
    throw new ValidationError(`ROSTER_METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} characters (e.g. openssl rand -base64 32)`);
  }
  // Read again where it is used (src/core/net); checked here so a typo stops the start, not a request.
  try {
    parseTrustedHosts(env[TRUSTED_HOSTS_ENV]);
  } catch (err) {
    throw new ValidationError((err as Error).message);
  }
  const pretty = env.LOG_FORMAT ? env.LOG_FORMAT === 'pretty' : env.NODE_ENV !== 'production' && !!process.stderr.isTTY;
  return {
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    databasePoolSize: parsePoolSize(env.DATABASE_POOL_SIZE),
    dataDir: path.resolve(env.ROSTER_DATA_DIR?.trim() || './data'),
    secretKey: env.ROSTER_SECRET_KEY?.trim() || undefined,
    logLevel,
    logFormat: pretty ? 'pretty' : 'json',
    port: env.PORT ? parsePort(env.PORT, 'PORT') : 8080,
    host: env.HOST?.trim() || '127.0.0.1',
    schedulerEnabled: parseSwitch(env.ROSTER_SCHEDULER, 'ROSTER_SCHEDULER'),
    syncConcurrency: parseWhole(env.ROSTER_SYNC_CONCURRENCY, 'ROSTER_SYNC_CONCURRENCY', 4, 1, 64),
    syncLeaseSeconds: parseWhole(env.ROSTER_SYNC_LEASE_SECONDS, 'ROSTER_SYNC_LEASE_SECONDS', 60, 2, 3600),
    adminToken,
    metricsToken,
    metricsPort: env.ROSTER_METRICS_PORT?.trim() ? parsePort(env.ROSTER_METRICS_PORT.trim(), 'ROSTER_METRICS_PORT') : undefined,
    publicUrl: parsePublicUrl(env.ROSTER_PUBLIC_URL),
  };
}
