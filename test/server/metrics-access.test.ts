/**
 * Who may read /metrics: anyone by default (as before), only holders of
 * ROSTER_METRICS_TOKEN when it is set, and only on ROSTER_METRICS_PORT (not
 * the main port) when that is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/index.js';
import { silentLogger } from '../../src/core/logging/index.js';
import { buildServer, startServer, type RunningServer } from '../../src/server/index.js';
import { cliEnvironment, type CliEnvironment } from '../admin/cli/support.js';
import { operationContext } from '../admin/operations/support.js';
import { createTestStore, type TestStore } from '../support/store.js';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789abcdef';

describe('ROSTER_METRICS_TOKEN', () => {
  let store: TestStore;
  let app: ReturnType<typeof buildServer>;
  beforeAll(async () => {
    store = await createTestStore();
    app = buildServer(operationContext(store), { metricsToken: METRICS_TOKEN });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });
  const scrape = (authorization?: string) => app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });

  it('answers 401 without the token or with another, naming the Bearer scheme', async () => {
    for (const res of [await scrape(), await scrape('Bearer not-the-token'), await scrape(`Basic ${METRICS_TOKEN}`)]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.json()).toMatchObject({ error: { code: 'unauthorized' } });
      expect(res.body).not.toContain('roster_');
    }
  });

  it('serves the metrics to the token', async () => {
    const res = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('roster_process_');
  });

  it('refuses a token too short to be a secret', () => {
    expect(() => loadConfig({ ROSTER_METRICS_TOKEN: 'short' })).toThrow(/ROSTER_METRICS_TOKEN/);
  });
});

describe('ROSTER_METRICS_PORT', () => {
  let cli: CliEnvironment;
  let server: RunningServer;
  beforeAll(async () => {
    cli = await cliEnvironment();
    const env = { ...cli.env, ROSTER_METRICS_PORT: '0', ROSTER_METRICS_TOKEN: METRICS_TOKEN, ROSTER_SCHEDULER: 'off' };
    server = await startServer(loadConfig(env), silentLogger(), { port: 0, actor: { type: 'cli', id: 'tester' } });
  });
  afterAll(async () => {
    await server?.close();
    await cli.cleanup();
  });

  it('serves /metrics on its own port only, still behind the token', async () => {
    expect(server.metricsUrl).toBeDefined();
    expect(server.metricsUrl).not.toBe(server.url);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(404);
    expect((await fetch(`${server.metricsUrl}/metrics`)).status).toBe(401);
    const res = await fetch(`${server.metricsUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('roster_process_');
    // Nothing else lives on the metrics port.
    expect((await fetch(`${server.metricsUrl}/healthz`)).status).toBe(404);
  });
});

describe('ROSTER_METRICS_PORT equal to the main port', () => {
  it('is refused at start with a message naming it', async () => {
    const config = loadConfig({ ROSTER_METRICS_PORT: '18080', ROSTER_DATA_DIR: '/nonexistent-roster-test' });
    await expect(startServer(config, silentLogger(), { port: 18080, actor: { type: 'cli', id: 'tester' } })).rejects.toThrow(/ROSTER_METRICS_PORT \(18080\) must differ/);
  });
});
