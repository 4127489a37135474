/**
 * The outbound URL policy at connect time, against a local HTTP server: a
 * refusal happens before any connection is attempted. The suite runs with
 * ROSTER_TRUSTED_HOSTS=127.0.0.1 (vitest.config.ts); these tests set and
 * restore the variable. The policy's pure rules are url-policy.unit.test.ts.
 */
import { createServer, type Server } from 'node:http';
import { lookup } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { outboundRequest, resolvedUrlRefusal } from '../../../src/core/net/outbound.js';
import { addressRefusal, parseTrustedHosts, TRUSTED_HOSTS_ENV, urlRefusal } from '../../../src/core/net/url-policy.js';

const NONE = parseTrustedHosts('');
const addressKind = (address: string) => /is an? (.*) address/.exec(addressRefusal(address, address, NONE) ?? '')?.[1];

describe('at connect time', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  const saved = process.env[TRUSTED_HOSTS_ENV];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('x'.repeat(200_000));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => {
    process.env[TRUSTED_HOSTS_ENV] = saved;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('refuses a name that resolves to a refused address before connecting, with one message whatever the port', async () => {
    process.env[TRUSTED_HOSTS_ENV] = '';
    // This machine's own name passes the URL check (it is not an IP or localhost) and resolves to
    // this machine or its private network: what a rebinding DNS name would do.
    const name = hostname();
    const [resolved] = await lookup(name, { all: true });
    expect(addressRefusal(name, resolved!.address, NONE), `${name} resolves to ${resolved!.address}`).toBeDefined();
    expect(urlRefusal(`https://${name}:${port}/`)).toBeUndefined();
    const before = hits;
    const messages = new Set<string>();
    for (const p of [port, 1, 22]) {
      const error = await outboundRequest(`https://${name}:${p}/`).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      messages.add((error as Error).message);
    }
    expect(hits).toBe(before);
    expect([...messages]).toEqual([`refused by the outbound URL policy: ${name} resolves to ${/^u/.test(addressKind(resolved!.address)!) ? 'an' : 'a'} ${addressKind(resolved!.address)} address; list the host in ROSTER_TRUSTED_HOSTS to allow it`]);
  });

  it('refuses an IP literal with the same message for an open port and a closed one, before connecting', async () => {
    process.env[TRUSTED_HOSTS_ENV] = '';
    const before = hits;
    const open = await outboundRequest(`http://127.0.0.1:${port}/`).catch((e: Error) => e.message);
    const closed = await outboundRequest('http://127.0.0.1:1/').catch((e: Error) => e.message);
    expect(open).toBe(closed);
    expect(open).toContain('refused by the outbound URL policy');
    expect(hits).toBe(before);
    expect(await resolvedUrlRefusal(`https://127.0.0.1:${port}/`)).toBe(await resolvedUrlRefusal('https://127.0.0.1:1/'));
  });

  it('connects to a trusted host over http, and reads at most the bounded body', async () => {
    process.env[TRUSTED_HOSTS_ENV] = '127.0.0.1';
    const res = await outboundRequest(`http://127.0.0.1:${port}/`, { maxResponseBytes: 65_536 });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(65_536);
    expect(res.truncated).toBe(true);
  });
});
