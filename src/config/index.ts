/**
 * Roster's configuration comes from the environment (twelve-factor): the same
 * image runs a laptop demo on PGlite and a replica set on Postgres.
 */
import path from 'node:path';
import { ValidationError } from '../errors/index.js';

export interface RosterConfig {
  /** Postgres server URL; absent = embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** Folder of the embedded database, its lock and (if generated) its secret key. */
  dataDir: string;
  /** Raw `ROSTER_SECRET_KEY` (32 bytes, base64 or hex); parsed by src/secrets. */
  secretKey: string | undefined;
  logLevel: string;
  /** `json` (production, pipes) or `pretty` (a terminal). */
  logFormat: 'json' | 'pretty';
  port: number;
  host: string;
  /** `ROSTER_ADMIN_TOKEN`: bootstrap admin access to /api/v1 (every tenant); unset = API keys only. */
  adminToken: string | undefined;
}

/** A bootstrap token guards every tenant: refuse one short enough to guess. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

export function parsePort(value: string, source: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) {
    throw new ValidationError(`${source} must be a port number (0-65535), got "${value}"`);
  }
  return port;
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
  const pretty = env.LOG_FORMAT ? env.LOG_FORMAT === 'pretty' : env.NODE_ENV !== 'production' && !!process.stderr.isTTY;
  return {
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    dataDir: path.resolve(env.ROSTER_DATA_DIR?.trim() || './data'),
    secretKey: env.ROSTER_SECRET_KEY?.trim() || undefined,
    logLevel,
    logFormat: pretty ? 'pretty' : 'json',
    port: env.PORT ? parsePort(env.PORT, 'PORT') : 8080,
    host: env.HOST?.trim() || '127.0.0.1',
    adminToken,
  };
}
