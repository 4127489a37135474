/**
 * Builds the Okta SDK client, isolated from the machine it runs on, with a
 * request executor that counts, paces and retries every HTTP request.
 *
 * Isolation: the SDK's ConfigLoader merges ~/.okta/okta.yaml, ./okta.yaml
 * and OKTA_CLIENT_* environment variables under the config it is given
 * (src/config-loader.js in @okta/okta-sdk-nodejs). Every field it reads is
 * therefore passed explicitly (empty when unused), so none of those sources
 * can switch the org, the token or the authorization mode.
 *
 * The SDK's default cache middleware serves stale users (a second getUser
 * returned ACTIVE after the server said SUSPENDED): `cacheMiddleware: null`.
 *
 * Every request, the OAuth token request included, goes out through the
 * outbound URL policy's agents (src/net/outbound.ts): the org URL is checked
 * on the address it resolves to when each connection is made.
 */
import okta from '@okta/okta-sdk-nodejs';
import { outboundAgent } from '../../net/outbound.js';
import type { ProviderContext } from '../types.js';
import { ProviderError } from '../types.js';
import { RateGate, sleep } from './rate-gate.js';
import { tokenError } from './errors.js';
import { OAUTH_SCOPES, type OktaSettings } from './settings.js';

const { Client, DefaultRequestExecutor } = okta;
export type OktaClient = InstanceType<typeof Client>;

interface FetchRequest {
  url: string;
  method?: string;
  headers?: Record<string, unknown>;
  /** node-fetch's agent, or a function of the parsed URL returning one. */
  agent?: unknown;
}
interface FetchResponse {
  status: number;
  url: string;
  headers: { get(name: string): string | null };
  clone(): { text(): Promise<string> };
}

const RETRYABLE = new Set([500, 502, 503, 504]);
const ATTEMPT = 'x-roster-attempt';

/**
 * DefaultRequestExecutor retries 429 itself (waiting Reset − Date + 1 s) and
 * calls `fetch` again for each retry, so overriding `fetch` sees every HTTP
 * request: that is where they are counted, paced and, for 5xx, retried.
 */
class RosterRequestExecutor extends DefaultRequestExecutor {
  /** The Date header of the latest response: Okta's clock, for delta watermarks. */
  lastServerDate: number | null = null;

  constructor(
    private readonly context: ProviderContext,
    private readonly settings: OktaSettings,
    private readonly gate: RateGate,
  ) {
    super({ maxRetries: settings.maxRetries, requestTimeout: settings.requestTimeoutMs });
    // 'response' fires for every raw response, 429s included, before the retry logic runs.
    this.on('response', (res: FetchResponse) => {
      this.gate.observe(res.url, res.headers);
      const date = Date.parse(res.headers.get('date') ?? '');
      if (Number.isFinite(date)) this.lastServerDate = date;
    });
    this.on('backoff', (_req: unknown, _res: unknown, _id: unknown, delayMs: number) => {
      context.stats.throttled++;
      context.logger.warn('Okta answered 429; waiting for the rate-limit reset', { delayMs });
    });
  }

  override async fetch(request: FetchRequest): Promise<never> {
    if (this.context.signal?.aborted) throw new ProviderError('network', 'Okta sync aborted', { cause: this.context.signal.reason });
    await this.gate.acquire(request.url);
    this.context.stats.apiRequests++;
    let res: FetchResponse;
    try {
      // Set on every attempt (the SDK's 429 retries call fetch again): no other agent, such as an
      // HTTPS_PROXY one the SDK would pick, may bypass the policy.
      request.agent = outboundAgent;
      res = (await super.fetch(request as never)) as unknown as FetchResponse;
    } catch (e) {
      this.gate.release(request.url);
      throw e;
    }
    const method = (request.method ?? 'get').toLowerCase();
    const attempt = Number(request.headers?.[ATTEMPT] ?? 0);
    if (RETRYABLE.has(res.status) && method === 'get' && attempt < this.settings.serverErrorRetries) {
      const delay = this.settings.retryDelayMs * 2 ** attempt;
      this.context.logger.warn('Okta answered a server error; retrying', { status: res.status, attempt: attempt + 1, delayMs: delay });
      await sleep(delay, this.context.signal);
      return this.fetch({ ...request, headers: { ...request.headers, [ATTEMPT]: attempt + 1 } });
    }
    if (res.status >= 400 && request.url.endsWith('/oauth2/v1/token')) {
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(await res.clone().text()) as Record<string, unknown>;
      } catch {
        /* not JSON: reported by status */
      }
      throw tokenError(res.status, body);
    }
    return res as never;
  }
}

export interface BuiltClient {
  client: OktaClient;
  /** Okta's time as of the latest response (whole seconds, so never ahead), or null before any. */
  serverDate(): number | null;
}

export function buildClient(context: ProviderContext, settings: OktaSettings): BuiltClient {
  const gate = new RateGate(
    settings.rateLimitReserve,
    (bucket, ms) => {
      context.stats.throttled++;
      context.logger.info('Okta rate-limit budget nearly spent; waiting for the reset', { bucket, waitMs: ms });
    },
    context.signal,
  );
  const executor = new RosterRequestExecutor(context, settings, gate);
  const { auth } = settings;
  const client = new Client({
    orgUrl: settings.orgUrl,
    authorizationMode: auth.mode === 'ssws' ? 'SSWS' : 'PrivateKey',
    token: auth.mode === 'ssws' ? auth.token : '',
    clientId: auth.mode === 'oauth' ? auth.clientId : '',
    scopes: auth.mode === 'oauth' ? [...OAUTH_SCOPES] : [],
    privateKey: auth.mode === 'oauth' ? (auth.privateKey as string) : '',
    keyId: auth.mode === 'oauth' ? auth.keyId : '',
    cacheMiddleware: null,
    requestExecutor: executor,
  });
  return { client, serverDate: () => executor.lastServerDate };
}
