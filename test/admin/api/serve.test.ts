/**
 * Over real HTTP, through `startServer` as `roster serve` runs it: the
 * ROSTER_ADMIN_TOKEN from the environment bootstraps a key, which then reads
 * the API, and a CLI command on the same data reaches the running server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/core/config/index.js';
import { silentLogger } from '../../../src/core/logging/index.js';
import { startServer, type RunningServer } from '../../../src/server/index.js';
import { cliEnvironment, runCli, type CliEnvironment } from '../cli/support.js';

const ADMIN_TOKEN = 'a-bootstrap-token-of-at-least-32-characters';
let cli: CliEnvironment;
let server: RunningServer;

beforeAll(async () => {
  cli = await cliEnvironment();
  const env = { ...cli.env, ROSTER_ADMIN_TOKEN: ADMIN_TOKEN };
  server = await startServer(loadConfig(env), silentLogger(), { port: 0, actor: { type: 'cli', id: 'tester' } });
});
afterAll(async () => {
  await server?.close();
  await cli.cleanup();
});

const get = (path: string, key: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

describe('the admin API on a running server', () => {
  it('takes the bootstrap token from the environment and then the keys the CLI creates', async () => {
    expect((await runCli(['tenant', 'create', 'acme'], cli.env)).code).toBe(0);
    const created = await runCli(['api-key', 'create', '--name', 'ops', '--scope', 'admin', '--tenant', 'acme', '--json'], cli.env);
    expect(created.code, created.stderr).toBe(0);
    const { key, id } = JSON.parse(created.stdout) as { key: string; id: string };

    const bootstrap = await get('/api/v1/events?tenant=acme', ADMIN_TOKEN);
    expect(bootstrap.status).toBe(200);
    const events = (await bootstrap.json()) as { events: Array<{ action: string }>; next: number };
    expect(events.events.map((e) => e.action)).toEqual(['tenant.created', 'api_key.created']);

    const own = await get(`/api/v1/events?after=${events.next}`, key);
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ events: [], next: events.next, more: false, pending: false });

    expect((await runCli(['api-key', 'revoke', id], cli.env)).code).toBe(0);
    const refused = await get('/api/v1/events', key);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await refused.json()).toEqual({ error: { code: 'unauthorized', message: 'the API key has been revoked' } });
  });

  it('is ready with every migration applied', async () => {
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });
});
