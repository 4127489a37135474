/**
 * loadConfig (src/core/config): what an empty environment gives, how each variable
 * is read, and that a bad value stops the start with a ValidationError naming
 * the variable and the value. The tokens' minimum lengths, ROSTER_TRUSTED_HOSTS
 * and a malformed ROSTER_PUBLIC_URL are tested where they are used
 * (test/admin/api/auth.test.ts, test/server/metrics-access.test.ts,
 * test/core/net/url-policy.unit.test.ts, test/push/scim/routes/public-url.test.ts).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_POOL_SIZE, loadConfig, parsePort } from '../../../src/core/config/index.js';
import { ValidationError } from '../../../src/core/errors/index.js';

describe('loadConfig defaults', () => {
  it('runs on embedded PGlite in ./data, on 127.0.0.1:8080, scheduling syncs', () => {
    expect(loadConfig({ NODE_ENV: 'production' })).toEqual({
      databaseUrl: undefined,
      databasePoolSize: DEFAULT_DATABASE_POOL_SIZE,
      dataDir: path.resolve('./data'),
      secretKey: undefined,
      logLevel: 'info',
      logFormat: 'json',
      port: 8080,
      host: '127.0.0.1',
      schedulerEnabled: true,
      syncConcurrency: 4,
      syncLeaseSeconds: 60,
      adminToken: undefined,
      metricsToken: undefined,
      metricsPort: undefined,
      publicUrl: undefined,
    });
  });

  it('treats blank values as unset', () => {
    const config = loadConfig({ DATABASE_URL: ' ', DATABASE_POOL_SIZE: '', ROSTER_DATA_DIR: ' ', HOST: '', ROSTER_METRICS_PORT: ' ', ROSTER_PUBLIC_URL: ' ', ROSTER_ADMIN_TOKEN: ' ' });
    expect(config).toMatchObject({ databaseUrl: undefined, databasePoolSize: DEFAULT_DATABASE_POOL_SIZE, dataDir: path.resolve('./data'), host: '127.0.0.1', metricsPort: undefined, publicUrl: undefined, adminToken: undefined });
  });
});

describe('loadConfig reads', () => {
  it('each variable, trimmed', () => {
    const config = loadConfig({
      DATABASE_URL: ' postgres://db/roster ',
      DATABASE_POOL_SIZE: ' 50 ',
      ROSTER_DATA_DIR: '/var/lib/roster',
      LOG_LEVEL: 'DEBUG',
      LOG_FORMAT: 'pretty',
      PORT: '9000',
      HOST: '0.0.0.0',
      ROSTER_SYNC_CONCURRENCY: '8',
      ROSTER_SYNC_LEASE_SECONDS: '120',
      ROSTER_METRICS_PORT: ' 9100 ',
    });
    expect(config).toMatchObject({ databaseUrl: 'postgres://db/roster', databasePoolSize: 50, dataDir: '/var/lib/roster', logLevel: 'debug', logFormat: 'pretty', port: 9000, host: '0.0.0.0', syncConcurrency: 8, syncLeaseSeconds: 120, metricsPort: 9100 });
  });

  it.each([
    ['off', false],
    ['FALSE', false],
    ['0', false],
    ['no', false],
    ['on', true],
    ['yes', true],
    ['1', true],
  ])('ROSTER_SCHEDULER=%s as %s', (value, enabled) => {
    expect(loadConfig({ ROSTER_SCHEDULER: value }).schedulerEnabled).toBe(enabled);
  });

  it('ROSTER_PUBLIC_URL without its trailing slash, keeping a path prefix', () => {
    expect(loadConfig({ ROSTER_PUBLIC_URL: 'https://roster.example.com/' }).publicUrl).toBe('https://roster.example.com');
    expect(loadConfig({ ROSTER_PUBLIC_URL: 'https://example.com/roster//' }).publicUrl).toBe('https://example.com/roster');
  });
});

describe('loadConfig refuses', () => {
  it.each([
    [{ PORT: 'http' }, 'PORT must be a port number (0-65535), got "http"'],
    [{ PORT: '65536' }, 'PORT must be a port number (0-65535), got "65536"'],
    [{ ROSTER_METRICS_PORT: '-1' }, 'ROSTER_METRICS_PORT must be a port number (0-65535), got "-1"'],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE must be a whole number from 1 to 500, got "0"'],
    [{ DATABASE_POOL_SIZE: '2.5' }, 'DATABASE_POOL_SIZE must be a whole number from 1 to 500, got "2.5"'],
    [{ ROSTER_SYNC_CONCURRENCY: '65' }, 'ROSTER_SYNC_CONCURRENCY must be a whole number from 1 to 64, got "65"'],
    [{ ROSTER_SYNC_LEASE_SECONDS: '1' }, 'ROSTER_SYNC_LEASE_SECONDS must be a whole number from 2 to 3600, got "1"'],
    [{ ROSTER_SCHEDULER: 'sometimes' }, 'ROSTER_SCHEDULER must be on or off, got "sometimes"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of error, warn, info, http, verbose, debug, silly, got "loud"'],
    [{ ROSTER_PUBLIC_URL: 'https://roster.example.com/?tenant=acme' }, 'ROSTER_PUBLIC_URL must be an http(s) URL without query, fragment or credentials, got "https://roster.example.com/?tenant=acme"'],
  ])('%o: %s', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ValidationError(message));
    expect(() => loadConfig(env)).toThrow(ValidationError);
  });
});

describe('parsePort', () => {
  it('reads 0 to 65535 and names the source of anything else', () => {
    expect(parsePort('0', '--port')).toBe(0);
    expect(parsePort('65535', '--port')).toBe(65535);
    expect(() => parsePort('8080 ', '--port')).toThrow('--port must be a port number (0-65535), got "8080 "');
  });
});
