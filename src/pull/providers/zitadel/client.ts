/**
 * The Zitadel API as the provider uses it: @zitadel/client's service clients
 * over @connectrpc/connect-node's connect transport (HTTP/1.1, JSON), with
 * one interceptor that signs every request (a personal access token, or an
 * access token from the JWT profile grant, fetched again before it expires
 * and when Zitadel says it no longer is valid), counts it and reads Zitadel's
 * clock from its Date header.
 *
 * Retries live in `call`: a throttle (resource_exhausted, or 503 with
 * Retry-After) is waited out within the run's throttle budget (../throttle.ts);
 * a 5xx or a dropped connection is retried `serverErrorRetries` times (every
 * call made here is a read, safe to repeat).
 *
 * The transport (connect-node 2.1) and @zitadel/client's clients (their own
 * nested @connectrpc/connect 2.3) meet only at the Transport interface, which
 * both versions share; checked against the fake in test/pull/providers/zitadel*.test.ts.
 */
import { createConnectTransport } from '@connectrpc/connect-node';
import type { Interceptor } from '@connectrpc/connect';
import { createClientFor } from '@zitadel/client';
import { createUserServiceClient } from '@zitadel/client/v2';
import { AuthorizationService } from '@zitadel/proto/zitadel/authorization/v2beta/authorization_service_pb.js';
import { ProjectService } from '@zitadel/proto/zitadel/project/v2beta/project_service_pb.js';
import { outboundAgent } from '../../../core/net/outbound.js';
import { sleep, ThrottleBudget, throttleFloorMs } from '../throttle.js';
import type { ProviderContext } from '../types.js';
import { describe, isNetworkFailure, toProviderError } from './errors.js';
import { API_SCOPE, assertion, postRest } from './rest.js';
import type { ZitadelSettings } from './settings.js';

export interface EventsRequest {
  from: string;
  asc: true;
  limit: number;
  aggregateTypes: string[];
}
export interface ZitadelEvent {
  aggregate?: { id?: string; type?: { type?: string } };
  sequence?: string;
  creationDate?: string;
  payload?: Record<string, unknown>;
  type?: { type?: string };
}

export function buildApi(context: ProviderContext, settings: ZitadelSettings, budget = ThrottleBudget.fromSettings(context.settings)) {
  let serverDate: number | null = null;
  let cached: { token: string; until: number } | null = null;
  const noteDate = (value: string | null | undefined) => {
    const ms = Date.parse(value ?? '');
    if (Number.isFinite(ms)) serverDate = ms;
  };

  /** The bearer token: the PAT, or an access token of the JWT profile grant, reused until a minute before it expires. */
  let pending: Promise<string> | null = null;
  async function token(): Promise<string> {
    if (settings.auth.mode === 'pat') return settings.auth.token;
    if (cached && cached.until > Date.now()) return cached.token;
    // Concurrent member listings share one grant.
    pending ??= grant().finally(() => (pending = null));
    return pending;
  }

  async function grant(): Promise<string> {
    if (settings.auth.mode !== 'jwt-profile') throw new Error('no key to sign a JWT profile assertion with');
    context.stats.apiRequests++;
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      scope: API_SCOPE,
      assertion: assertion(settings.auth.key, settings.baseUrl),
    });
    const answer = await postRest<{ access_token?: string; expires_in?: number }>(`${settings.baseUrl}/oauth/v2/token`, {
      body: form.toString(), contentType: 'application/x-www-form-urlencoded', signal: context.signal,
    });
    if (!answer.body.access_token) throw new Error('Zitadel token endpoint answered without access_token');
    const lifetimeMs = (answer.body.expires_in ?? 3600) * 1000;
    cached = { token: answer.body.access_token, until: Date.now() + Math.max(lifetimeMs / 2, lifetimeMs - 60_000) };
    return cached.token;
  }

  const sign: Interceptor = (next) => async (req) => {
    req.header.set('authorization', `Bearer ${await token()}`);
    if (settings.organizationId) req.header.set('x-zitadel-orgid', settings.organizationId);
    context.stats.apiRequests++;
    const res = await next(req);
    noteDate(res.header.get('date'));
    return res;
  };

  const transport = createConnectTransport({
    baseUrl: settings.baseUrl,
    httpVersion: '1.1',
    // Zitadel's v2 services answer JSON on HTTP/1.1; the binary format needs HTTP/2 behind most proxies.
    useBinaryFormat: false,
    interceptors: [sign],
    defaultTimeoutMs: settings.requestTimeoutMs,
    nodeOptions: { agent: outboundAgent(settings.baseUrl) },
  });

  /**
   * One read with the retries the module comment describes; throws a ProviderError (or a bug).
   * `fn` gets the call options to pass on (the run's abort signal ends a request under way).
   */
  async function call<T>(what: string, fn: (options: { signal?: AbortSignal }) => Promise<T>): Promise<T> {
    let serverRetries = 0;
    let throttles = 0;
    let reauthed = false;
    for (;;) {
      if (context.signal?.aborted) throw toProviderError(context.signal.reason, what);
      try {
        return await fn(context.signal ? { signal: context.signal } : {});
      } catch (e) {
        const d = describe(e);
        const dropped = isNetworkFailure(e);
        if (d?.code === 'unauthenticated' && settings.auth.mode === 'jwt-profile' && cached && !reauthed) {
          // The access token expired or was revoked early: one new grant, then the answer stands.
          cached = null;
          reauthed = true;
          continue;
        }
        const throttled = d && !dropped && (d.code === 'resource_exhausted' || d.status === 429 || (d.code === 'unavailable' && d.retryAfter !== null));
        if (throttled) {
          context.stats.throttled++;
          const askedS = Number(d.retryAfter);
          const waitMs = Math.max(Number.isFinite(askedS) ? askedS * 1000 : 0, throttleFloorMs(settings.retryDelayMs, throttles++));
          if (!budget.take(waitMs)) {
            context.logger.warn('Zitadel kept throttling past the run\'s throttle budget; giving up', { what, budgetMs: budget.totalMs });
            throw toProviderError(e, what);
          }
          context.logger.warn('Zitadel throttled a request; waiting', { what, waitMs });
          await sleep(waitMs, context.signal);
          continue;
        }
        const retryable = dropped || (d !== null && d.status >= 500 && d.code !== 'unimplemented');
        if (retryable && serverRetries < settings.serverErrorRetries) {
          const waitMs = settings.retryDelayMs * 2 ** serverRetries++;
          context.logger.warn('Zitadel request failed; retrying', { what, code: d?.code, attempt: serverRetries, waitMs });
          await sleep(waitMs, context.signal);
          continue;
        }
        throw toProviderError(e, what);
      }
    }
  }

  const users = createUserServiceClient(transport);
  const projects = createClientFor(ProjectService)(transport);
  const authorizations = createClientFor(AuthorizationService)(transport);

  /** The admin events API (v1, REST only): counted and signed like the connect calls. */
  async function events(body: EventsRequest): Promise<ZitadelEvent[]> {
    const bearer = await token();
    context.stats.apiRequests++;
    const answer = await postRest<{ events?: ZitadelEvent[] }>(`${settings.baseUrl}/admin/v1/events/_search`, {
      body: JSON.stringify(body), contentType: 'application/json', token: bearer, signal: context.signal,
    });
    if (answer.date !== null) serverDate = answer.date;
    return answer.body.events ?? [];
  }

  return { users, projects, authorizations, events, call, serverDate: () => serverDate };
}

export type ZitadelApi = ReturnType<typeof buildApi>;
