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
 * outbound URL policy's agents (src/core/net/outbound.ts): the org URL is checked
 * on the address it resolves to when each connection is made.
 */
import okta from '@okta/okta-sdk-nodejs';
import { outboundAgent } from '../../../core/net/outbound.js';
import type { ProviderContext } from '../types.js';
import { RETRYABLE_STATUSES, sleep, ThrottleBudget, throttleFloorMs } from '../throttle.js';
import { ProviderError } from '../types.js';
import { RateGate } from './rate-gate.js';
import { tokenError } from './errors.js';
import { OAUTH_SCOPES, type OktaSettings } from './settings.js';

const { Client, DefaultRequestExecutor } = okta;
export type OktaClient = InstanceType<typeof Client>;

interface FetchRequest {
  url: string;
  method?: string;
  headers?: Record<string, unknown>;
  /** Set by DefaultRequestExecutor on the first attempt; its requestTimeout runs from there. */
  startTime?: Date;
  /** node-fetch's agent, or a function of the parsed URL returning one. */
  agent?: unknown;
}
interface FetchResponse {
  status: number;
  url: string;
  headers: { get(name: string): string | null };
  clone(): { text(): Promise<string> };
}

const ATTEMPT = 'x-roster-attempt';
const THROTTLED = 'x-roster-throttled';

/** The connection dropped before an answer (reset, refused, closed): worth another try for a GET. */
const isDropped = (e: unknown) => (e as { name?: unknown; type?: unknown })?.name === 'FetchError' && (e as { type?: unknown }).type === 'system';

/**
 * What a 429 asks to wait: until X-Rate-Limit-Reset (epoch seconds), measured
 * from the response's Date (Okta's clock), plus a second because Date is
 * whole seconds (the SDK's own rule). A window that already reset asks nothing.
 */
function askedWaitMs(res: FetchResponse): number {
  const reset = Number(res.headers.get('x-rate-limit-reset'));
  const date = Date.parse(res.headers.get('date') ?? '');
  if (!Number.isFinite(reset) || reset <= 0) return 0;
  const until = reset * 1000 - (Number.isFinite(date) ? date : Date.now());
  return until > 0 ? until + 1000 : 0;
}

/**
 * Overriding `fetch` sees every HTTP request: that is where they are counted,
 * paced and, for 5xx and dropped connections, retried. A 429 is waited out in
 * `parseResponse` (which DefaultRequestExecutor calls with every response)
 * for as long as the run's throttle budget allows (../throttle.ts), instead
 * of the SDK's fixed count of retries.
 */
class RosterRequestExecutor extends DefaultRequestExecutor {
  /** The Date header of the latest response: Okta's clock, for delta watermarks. */
  lastServerDate: number | null = null;

  constructor(
    private readonly context: ProviderContext,
    private readonly settings: OktaSettings,
    private readonly gate: RateGate,
    private readonly scopes: readonly string[],
    private readonly budget: ThrottleBudget,
  ) {
    // The SDK's own 429 retries are off: parseResponse below waits them out within the budget.
    super({ maxRetries: 0, requestTimeout: settings.requestTimeoutMs });
    // 'response' fires for every raw response, 429s included, before the retry logic runs.
    this.on('response', (res: FetchResponse) => {
      this.gate.observe(res.url, res.headers);
      const date = Date.parse(res.headers.get('date') ?? '');
      if (Number.isFinite(date)) this.lastServerDate = date;
    });
  }

  override async parseResponse(request: FetchRequest, res: FetchResponse): Promise<FetchResponse> {
    if (res.status !== 429 || request.url.endsWith('/oauth2/v1/token')) return res;
    const attempt = Number(request.headers?.[THROTTLED] ?? 0);
    const delayMs = Math.max(askedWaitMs(res), throttleFloorMs(this.settings.retryDelayMs, attempt));
    this.context.stats.throttled++;
    if (!this.budget.take(delayMs)) {
      this.context.logger.warn('Okta kept throttling past the run\'s throttle budget; giving up', { delayMs, budgetMs: this.budget.totalMs });
      return res; // the SDK raises it: a rate-limited ProviderError
    }
    this.context.logger.warn('Okta answered 429; waiting for the rate-limit reset', { delayMs, attempt: attempt + 1 });
    await sleep(delayMs, this.context.signal);
    // A fresh request: its timeout runs from now, not from the first attempt before the wait.
    const { startTime: _first, ...again } = request;
    return this.fetch({ ...again, headers: { ...request.headers, [THROTTLED]: attempt + 1 } });
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
      if (!isDropped(e) || !this.mayRetry(request)) throw e;
      return this.retry(request, 'Okta dropped the connection; retrying', { reason: (e as { code?: unknown }).code });
    }
    if (RETRYABLE_STATUSES.has(res.status) && this.mayRetry(request)) {
      return this.retry(request, 'Okta answered a server error; retrying', { status: res.status });
    }
    if (res.status >= 400 && request.url.endsWith('/oauth2/v1/token')) {
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(await res.clone().text()) as Record<string, unknown>;
      } catch {
        /* not JSON: reported by status */
      }
      throw tokenError(res.status, body, this.scopes);
    }
    return res as never;
  }

  /** GETs only (reads are safe to repeat), `serverErrorRetries` times. */
  private mayRetry(request: FetchRequest): boolean {
    return (request.method ?? 'get').toLowerCase() === 'get' && Number(request.headers?.[ATTEMPT] ?? 0) < this.settings.serverErrorRetries;
  }

  private async retry(request: FetchRequest, message: string, detail: Record<string, unknown>): Promise<never> {
    const attempt = Number(request.headers?.[ATTEMPT] ?? 0);
    const delayMs = this.settings.retryDelayMs * 2 ** attempt;
    this.context.logger.warn(message, { ...detail, attempt: attempt + 1, delayMs });
    await sleep(delayMs, this.context.signal);
    const { startTime: _first, ...again } = request;
    return this.fetch({ ...again, headers: { ...request.headers, [ATTEMPT]: attempt + 1 } });
  }
}

export interface BuiltClient {
  client: OktaClient;
  /** Okta's time as of the latest response (whole seconds, so never ahead), or null before any. */
  serverDate(): number | null;
}

/**
 * `scopes`: what an OAuth service app asks for (the System Log has a client of its own: its scope may be withheld).
 * `budget`: the run's throttle budget, shared by every client a run builds, so that one run waits at most once the budget.
 */
export function buildClient(
  context: ProviderContext,
  settings: OktaSettings,
  scopes: readonly string[] = OAUTH_SCOPES,
  budget: ThrottleBudget = ThrottleBudget.fromSettings(context.settings),
): BuiltClient {
  const gate = new RateGate(
    settings.rateLimitReserve,
    (bucket, ms) => {
      context.stats.throttled++;
      context.logger.info('Okta rate-limit budget nearly spent; waiting for the reset', { bucket, waitMs: ms });
    },
    context.signal,
  );
  const executor = new RosterRequestExecutor(context, settings, gate, scopes, budget);
  const { auth } = settings;
  const client = new Client({
    orgUrl: settings.orgUrl,
    authorizationMode: auth.mode === 'ssws' ? 'SSWS' : 'PrivateKey',
    token: auth.mode === 'ssws' ? auth.token : '',
    clientId: auth.mode === 'oauth' ? auth.clientId : '',
    scopes: auth.mode === 'oauth' ? [...scopes] : [],
    privateKey: auth.mode === 'oauth' ? (auth.privateKey as string) : '',
    keyId: auth.mode === 'oauth' ? auth.keyId : '',
    cacheMiddleware: null,
    requestExecutor: executor,
  });
  return { client, serverDate: () => executor.lastServerDate };
}
