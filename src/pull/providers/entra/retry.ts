/**
 * Retries of Graph requests, in place of the SDK's RetryHandler (which gives
 * up on a throttled request after three retries, does not retry a 500 or a
 * dropped connection, and bounds a call and its waits by one timeout).
 *
 * - 429 (https://learn.microsoft.com/graph/throttling): wait what Retry-After
 *   asks, for as long as the run's throttle budget allows (../throttle.ts);
 *   then the 429 is the answer and the read fails `rate-limited`.
 * - 500, 502, 503, 504 and a connection dropped before an answer:
 *   `serverErrorRetries` more tries, Retry-After or exponential backoff from
 *   `retryDelayMs` apart. Graph reads are GETs: safe to repeat.
 * - Each attempt has its own timeout (`requestTimeoutMs`), so a long
 *   throttle wait never counts against the request that follows it.
 */
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import type { Logger } from '../../../core/logging/index.js';
import { sleep, throttleFloorMs, type ThrottleBudget } from '../throttle.js';

const SERVER_ERRORS = new Set([500, 502, 503, 504]);

export interface RetryPolicy {
  budget: ThrottleBudget;
  serverErrorRetries: number;
  retryDelayMs: number;
  requestTimeoutMs: number;
  signal?: AbortSignal | undefined;
  logger: Logger;
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3), in ms. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** fetch rejects with a TypeError when the connection is reset or closed before an answer; a timeout or abort is not that. */
const isDropped = (err: unknown) => err instanceof TypeError && /fetch failed|terminated|socket/i.test(err.message);


export class GraphRetryHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly policy: RetryPolicy) {}

  async execute(context: Context): Promise<void> {
    const { budget, signal, logger } = this.policy;
    let throttled = 0;
    let failed = 0;
    for (;;) {
      const timeout = AbortSignal.timeout(this.policy.requestTimeoutMs);
      context.options = { ...context.options, signal: signal ? AbortSignal.any([timeout, signal]) : timeout };
      let status: number | undefined;
      try {
        await this.next!.execute(context);
        status = context.response?.status;
      } catch (err) {
        if (!isDropped(err) || failed >= this.policy.serverErrorRetries || signal?.aborted) throw err;
      }
      const asked = retryAfterMs(context.response?.headers.get('retry-after') ?? null);
      let delayMs: number;
      if (status === 429) {
        delayMs = Math.max(asked ?? 0, throttleFloorMs(this.policy.retryDelayMs, throttled));
        if (!budget.take(delayMs)) {
          logger.warn('Graph kept throttling past the run\'s throttle budget; giving up', { delayMs, budgetMs: budget.totalMs });
          return;
        }
        throttled++;
      } else if (status === undefined || SERVER_ERRORS.has(status)) {
        if (failed >= this.policy.serverErrorRetries) return;
        delayMs = asked ?? this.policy.retryDelayMs * 2 ** failed;
        failed++;
        logger.warn('Graph request failed; retrying', { status: status ?? 'connection dropped', attempt: failed, delayMs });
      } else {
        return;
      }
      // The unread answer is let go before the next try.
      await context.response?.body?.cancel().catch(() => {});
      context.response = undefined as unknown as Response;
      await sleep(delayMs, signal);
    }
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
