/**
 * Outbound connections under the URL policy (./url-policy.ts), enforced on
 * the address a socket is about to connect to: the agents resolve names
 * through a lookup that refuses any address the policy refuses, and refuse
 * an IP literal (which skips DNS) before connecting. A request is refused
 * before any packet leaves, with a message that does not depend on the port,
 * so a tenant cannot use Roster to probe its network.
 *
 * Each provider hands these agents to its SDK's HTTP stack (inside its own
 * folder); the webhook sender and the Graph client's transport use
 * outboundRequest/outboundFetch, which go through the same agents.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { addressRefusal, OutboundRefusedError, trustedHosts, urlRefusal, type EndpointProtocol } from './url-policy.js';

/** Resolves like dns.lookup, then fails with OutboundRefusedError if any address it found is refused. */
export const policyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 4);
    let refusal: string | undefined;
    try {
      const trusted = trustedHosts();
      refusal = addresses.map((a) => addressRefusal(hostname, a.address, trusted)).find((r) => r !== undefined);
    } catch (policyError) {
      // A malformed ROSTER_TRUSTED_HOSTS (loadConfig refuses one at start): fail this connection, not the process.
      return callback(policyError as NodeJS.ErrnoException, '', 4);
    }
    if (refusal) return callback(new OutboundRefusedError(refusal) as NodeJS.ErrnoException, '', 4);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};

/** An IP literal never reaches `lookup`: it is checked here, before the socket is made. */
function refuseLiteral(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): boolean {
  const host = options.host ?? options.hostname ?? '';
  const refusal = isIP(host.replace(/^\[|\]$/g, '')) ? addressRefusal(host, host) : undefined;
  if (!refusal) return false;
  const error = new OutboundRefusedError(refusal);
  process.nextTick(() => callback?.(error, undefined as unknown as Duplex));
  return true;
}

class PolicyHttpAgent extends http.Agent {
  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void) {
    return refuseLiteral(options, callback) ? undefined : super.createConnection(options, callback);
  }
}

class PolicyHttpsAgent extends https.Agent {
  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void) {
    return refuseLiteral(options, callback) ? undefined : super.createConnection(options, callback);
  }
}

const agentOptions = { keepAlive: true, lookup: policyLookup };
export const outboundAgents = { http: new PolicyHttpAgent(agentOptions), https: new PolicyHttpsAgent(agentOptions) };

/**
 * The agent for a URL. node-fetch (the Okta SDK's and gaxios's transport)
 * also takes this function as its `agent` and calls it with the parsed URL
 * of every request, redirects included.
 */
export function outboundAgent(url: string | { protocol?: string | null }): http.Agent {
  const protocol = typeof url === 'string' ? new URL(url).protocol : url.protocol;
  return protocol === 'http:' ? outboundAgents.http : outboundAgents.https;
}

/**
 * The policy on a URL including what its name resolves to now: for
 * `connection test`, which reports a refusal as a check instead of an
 * error from deep in an SDK. A name that does not resolve is not refused
 * here (the test's request then fails on its own).
 */
export async function resolvedUrlRefusal(url: string, protocol: EndpointProtocol = 'http'): Promise<string | undefined> {
  const refusal = urlRefusal(url, undefined, protocol);
  if (refusal) return refusal;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return undefined;
  let addresses: LookupAddress[];
  try {
    addresses = await dnsLookupAsync(host, { all: true });
  } catch {
    return undefined;
  }
  return addresses.map((a) => addressRefusal(host, a.address)).find((r) => r !== undefined);
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body was longer than `maxResponseBytes`: reading stopped and the connection was dropped. */
  truncated: boolean;
}

export interface OutboundRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  /** Read at most this much of the response body, then abort (default: all of it). */
  maxResponseBytes?: number;
}

/** One HTTP request through the policy agents. Redirects are not followed (a 3xx is returned as is). */
export function outboundRequest(url: string | URL, init: OutboundRequestInit = {}): Promise<OutboundResponse> {
  const target = new URL(url);
  const refusal = urlRefusal(target);
  if (refusal) return Promise.reject(new OutboundRefusedError(`refused by the outbound URL policy: the URL ${refusal}`));
  const send = target.protocol === 'http:' ? http.request : https.request;
  const limit = init.maxResponseBytes ?? Infinity;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: init.method ?? 'GET', headers: init.headers, agent: outboundAgent(target.href), signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (truncated: boolean) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated });
      res.on('data', (chunk: Buffer) => {
        const room = limit - size;
        if (chunk.length >= room && Number.isFinite(limit)) {
          chunks.push(chunk.subarray(0, room));
          size = limit;
          // Enough: a receiver must not make Roster hold (or wait for) an endless answer.
          res.destroy();
          req.destroy();
          done(true);
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => done(false));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** outboundRequest as a WHATWG fetch, for SDKs that take one (the Graph client's transport). */
export async function outboundFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = input instanceof Request ? input.url : String(input);
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  new Headers(init.headers).forEach((value, key) => headers.set(key, value));
  const body = init.body === undefined || init.body === null ? undefined : Buffer.from(await new Response(init.body).arrayBuffer());
  let res: OutboundResponse;
  try {
    res = await outboundRequest(url, {
      method: init.method ?? (input instanceof Request ? input.method : 'GET'),
      headers: Object.fromEntries(headers),
      body,
      signal: init.signal ?? undefined,
    });
  } catch (err) {
    // As fetch does: a connection that failed or dropped is a TypeError('fetch failed') with the
    // cause, so retry logic written for fetch tells it from an abort or a policy refusal.
    if (err instanceof OutboundRefusedError || (err as Error).name === 'AbortError') throw err;
    throw new TypeError('fetch failed', { cause: err });
  }
  const responseHeaders = new Headers();
  for (const [key, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(key, v);
  }
  return new Response(NULL_BODY_STATUSES.has(res.status) ? null : new Uint8Array(res.body), { status: res.status, headers: responseHeaders });
}
