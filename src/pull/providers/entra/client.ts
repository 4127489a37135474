/**
 * The Graph connection of one Entra provider: ClientSecretCredential + Graph
 * client, request counting, and the mapping of every failure to ProviderError.
 * The SDKs are imported only inside src/pull/providers/entra/.
 *
 * Both SDKs send through the outbound URL policy (src/core/net/outbound.ts), which
 * checks the address each connection resolves to: the credential's pipeline
 * gets the policy's agent on every request, and the Graph client's last
 * middleware sends with the policy's fetch instead of the global one.
 */
import { ClientSecretCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  GraphError,
  TelemetryHandler,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { Logger } from '../../../core/logging/index.js';
import { ThrottleBudget } from '../throttle.js';
import { outboundAgent, outboundFetch } from '../../../core/net/outbound.js';
import { ProviderError, type ProviderStats } from '../types.js';
import { GraphRetryHandler } from './retry.js';
import { PUBLIC_AUTHORITY, type EntraSettings } from './settings.js';

export interface GraphPage {
  value?: Array<Record<string, unknown>>;
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/**
 * Sits below the retry handler, so it sees every attempt: each one is an API
 * request, and each 429 is a throttle the retry handler will wait out
 * (https://learn.microsoft.com/graph/throttling).
 */
class CountingHandler implements Middleware {
  private next: Middleware | undefined;
  constructor(private readonly stats: ProviderStats, private readonly logger: Logger) {}

  async execute(context: Context): Promise<void> {
    this.stats.apiRequests++;
    await this.next!.execute(context);
    const response = context.response;
    if (response?.status === 429) {
      this.stats.throttled++;
      this.logger.warn('Graph throttled a request', { status: 429, retryAfter: response.headers.get('retry-after') });
    }
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/** The chain's last link, in place of HTTPMessageHandler (the global fetch, which takes no agent). */
class PolicyHttpMessageHandler implements Middleware {
  async execute(context: Context): Promise<void> {
    context.response = await outboundFetch(context.request, context.options as RequestInit | undefined);
  }
}

export interface GraphConnection {
  credential: ClientSecretCredential;
  scope: string;
  /** GET a Graph path (relative to /v1.0) or an absolute nextLink/deltaLink from this Graph host. */
  get(pathOrLink: string, what: string): Promise<GraphPage & Record<string, unknown>>;
}

export function connectGraph(
  settings: EntraSettings,
  deps: { stats: ProviderStats; logger: Logger; signal?: AbortSignal; budget?: ThrottleBudget },
): GraphConnection {
  const { stats, logger } = deps;
  const credential = new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret, {
    authorityHost: settings.authorityHost,
    // A sovereign or private authority is not in Microsoft's instance list: discovery would
    // ask the public cloud and time out (IDP-NOTES).
    disableInstanceDiscovery: settings.authorityHost !== PUBLIC_AUTHORITY,
    // Token and discovery requests are API requests too.
    additionalPolicies: [{
      position: 'perRetry',
      policy: {
        name: 'rosterCountRequests',
        sendRequest: (request, next) => {
          stats.apiRequests++;
          request.agent = outboundAgent(request.url);
          return next(request);
        },
      },
    }],
  });
  const scope = `${settings.graphBaseUrl}/.default`;
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [scope] });
  // Default chain minus the redirect handler (Graph reads do not redirect; a redirect must not carry
  // the token elsewhere), our retry handler in place of the SDK's (retry.ts), the counter below it.
  const retry = new GraphRetryHandler({
    budget: deps.budget ?? new ThrottleBudget(settings.throttleBudgetMs),
    serverErrorRetries: settings.serverErrorRetries,
    retryDelayMs: settings.retryDelayMs,
    requestTimeoutMs: settings.requestTimeoutMs,
    signal: deps.signal,
    logger,
  });
  const chain: Middleware[] = [
    new AuthenticationHandler(authProvider),
    retry,
    new CountingHandler(stats, logger),
    new TelemetryHandler(),
    new PolicyHttpMessageHandler(),
  ];
  const client = Client.initWithMiddleware({
    middleware: chain,
    baseUrl: settings.graphBaseUrl,
    // The token is attached only to Graph hosts and these (host names, no port): IDP-NOTES.
    customHosts: new Set([new URL(settings.graphBaseUrl).hostname]),
    defaultVersion: 'v1.0',
  });

  return {
    credential,
    scope,
    async get(pathOrLink, what) {
      if (/^https?:\/\//.test(pathOrLink) && !pathOrLink.startsWith(`${settings.graphBaseUrl}/`)) {
        throw new ProviderError('bad-response', `Graph returned a link to another host while reading ${what}`);
      }
      // Each attempt gets its own timeout from the retry handler.
      try {
        return (await client.api(pathOrLink).get()) as GraphPage & Record<string, unknown>;
      } catch (err) {
        throw toProviderError(err, what);
      }
    },
  };
}

const AUTH_ERRORS = new Set(['AuthenticationError', 'CredentialUnavailableError', 'AuthenticationRequiredError']);

/** One ProviderError per way a Graph call fails; the Graph error stays as `cause`. */
export function toProviderError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as Partial<GraphError> & { name?: string; message?: string };
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : e.name ?? 'Error';
  const detail = `${code}: ${e.message ?? 'no message'}`;
  const fail = (kind: ProviderError['kind'], message: string) => new ProviderError(kind, message, { cause: err, status });
  if (status === undefined) {
    // Not an HTTP answer: token acquisition (the AADSTS text is in the message) or the transport.
    if (AUTH_ERRORS.has(code)) return fail('auth', `Entra sign-in failed while reading ${what}: ${e.message ?? code}`);
    if (code === 'AbortError' || code === 'TimeoutError') return fail('network', `Graph request for ${what} timed out or was cancelled`);
    return fail('network', `Graph request for ${what} failed: ${detail}`);
  }
  if (status === 429) return fail('rate-limited', `Graph kept throttling ${what} past the run's throttle budget (429)`);
  if (status === 401) return fail('auth', `Graph rejected the access token for ${what}: ${detail}`);
  if (status === 403) return fail('permission', `Graph denied ${what}: ${detail}`);
  if (status === 404) return fail('not-found', `Graph found no ${what}: ${detail}`);
  // https://learn.microsoft.com/graph/delta-query-overview: an expired or unknown state token
  // answers 400 syncStateNotFound (identity resources) or 410 Gone: start over with a full round.
  if (status === 410 || /syncStateNotFound|resyncRequired/i.test(code)) return fail('cursor-expired', `Graph no longer knows the delta token for ${what}`);
  if (status === 500 || status === 502 || status === 503 || status === 504) return fail('network', `Graph was unavailable for ${what} after retries (${status})`);
  return fail('bad-response', `Graph answered ${status} for ${what}: ${detail}`);
}
