/**
 * The small typed JumpCloud client: JumpCloud publishes no Node SDK, so this
 * is fetch (through the outbound URL policy's agents, src/core/net/outbound.ts)
 * with every answer validated by its zod shape (./wire.ts).
 *
 * Every request is counted; a 429 is waited out (Retry-After, seconds or an
 * HTTP date; JumpCloud publishes no numbers) for as long as the run's throttle
 * budget allows (../throttle.ts); a 5xx or a dropped connection is retried
 * `serverErrorRetries` times: every call here is a read, POSTs included
 * (`/search/systemusers` and Insights' `/events` only query).
 */
import type { z } from 'zod';
import { outboundFetch } from '../../../core/net/outbound.js';
import { OutboundRefusedError } from '../../../core/net/url-policy.js';
import { RETRYABLE_STATUSES, retryAfterMs, sleep, ThrottleBudget, throttleFloorMs } from '../throttle.js';
import type { ProviderContext } from '../types.js';
import { ProviderError } from '../types.js';
import { httpError } from './errors.js';
import type { JumpCloudSettings } from './settings.js';

export interface JumpCloudRequest {
  method?: 'GET' | 'POST';
  /** Absolute URL, query included. */
  url: string;
  body?: unknown;
  /** What the request is for, in words, for error messages ("listing JumpCloud users"). */
  what: string;
}

export interface JumpCloudResponse<T> {
  data: T;
  headers: Headers;
}

export class JumpCloudClient {
  /** JumpCloud's clock at the latest answer (the Date header), for watermarks. */
  lastServerDate: number | null = null;

  constructor(
    private readonly context: ProviderContext,
    readonly settings: JumpCloudSettings,
    private readonly budget: ThrottleBudget = ThrottleBudget.fromSettings(context.settings),
  ) {}

  /** `path` under the console API (`/api/systemusers`), with query parameters. */
  apiUrl(path: string, query: Record<string, string | number> = {}): string {
    const url = new URL(this.settings.baseUrl + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    return url.href;
  }

  insightsUrl(path: string): string {
    return this.settings.insightsUrl + path;
  }

  async request<S extends z.ZodType>(schema: S, request: JumpCloudRequest): Promise<JumpCloudResponse<z.infer<S>>> {
    let throttles = 0;
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(request, attempt);
      if (res === 'dropped') {
        await this.backoff(request, attempt, 'JumpCloud dropped the connection; retrying');
        continue;
      }
      const date = Date.parse(res.headers.get('date') ?? '');
      if (Number.isFinite(date)) this.lastServerDate = date;
      if (res.status === 429) {
        this.context.stats.throttled++;
        const waitMs = Math.max(retryAfterMs(res.headers.get('retry-after')), throttleFloorMs(this.settings.retryDelayMs || 1, throttles));
        if (!this.budget.take(waitMs)) {
          this.context.logger.warn('JumpCloud kept throttling past the run\'s throttle budget; giving up', { what: request.what, waitMs, budgetMs: this.budget.totalMs });
          throw await httpError(res, request.what);
        }
        this.context.logger.warn('JumpCloud answered 429; waiting as it asks', { what: request.what, waitMs });
        await res.body?.cancel();
        await sleep(waitMs, this.context.signal);
        throttles++;
        attempt--; // a throttle is not a failed attempt: the budget bounds it
        continue;
      }
      if (RETRYABLE_STATUSES.has(res.status) && attempt < this.settings.serverErrorRetries) {
        await res.body?.cancel();
        await this.backoff(request, attempt, 'JumpCloud answered a server error; retrying', res.status);
        continue;
      }
      if (res.status < 200 || res.status > 299) throw await httpError(res, request.what);
      return { data: await this.parse(schema, res, request.what), headers: res.headers };
    }
  }

  /** One attempt; 'dropped' when the connection failed and another attempt is allowed. */
  private async send(request: JumpCloudRequest, attempt: number): Promise<Response | 'dropped'> {
    const { signal } = this.context;
    if (signal?.aborted) throw new ProviderError('network', `${request.what}: aborted`, { cause: signal.reason });
    const headers: Record<string, string> = { accept: 'application/json', 'x-api-key': this.settings.apiKey };
    if (this.settings.orgId) headers['x-org-id'] = this.settings.orgId;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.settings.requestTimeoutMs);
    this.context.stats.apiRequests++;
    try {
      return await outboundFetch(request.url, {
        method: request.method ?? 'GET',
        headers,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (e) {
      if (e instanceof OutboundRefusedError) throw new ProviderError('network', `${request.what}: ${e.message}`, { cause: e });
      if (signal?.aborted) throw new ProviderError('network', `${request.what}: aborted`, { cause: e });
      if (timeout.aborted) throw new ProviderError('network', `${request.what}: JumpCloud did not answer within ${this.settings.requestTimeoutMs} ms`, { cause: e });
      if (e instanceof TypeError && attempt < this.settings.serverErrorRetries) return 'dropped';
      if (e instanceof TypeError) throw new ProviderError('network', `${request.what}: cannot reach JumpCloud: ${String((e.cause as Error | undefined)?.message ?? e.message)}`, { cause: e });
      throw e;
    }
  }

  private async backoff(request: JumpCloudRequest, attempt: number, message: string, status?: number): Promise<void> {
    const delayMs = this.settings.retryDelayMs * 2 ** attempt;
    this.context.logger.warn(message, { what: request.what, status, attempt: attempt + 1, delayMs });
    await sleep(delayMs, this.context.signal);
  }

  private async parse<S extends z.ZodType>(schema: S, res: Response, what: string): Promise<z.infer<S>> {
    let json: unknown;
    try {
      json = await res.json();
    } catch (e) {
      throw new ProviderError('bad-response', `${what}: JumpCloud answered HTTP ${res.status} with a body that is not JSON`, { cause: e, status: res.status });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProviderError('bad-response', `${what}: unexpected answer from JumpCloud (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`, { cause: parsed.error, status: res.status });
    }
    return parsed.data as z.infer<S>;
  }
}
