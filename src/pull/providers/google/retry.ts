/**
 * Retries for Google calls, given to gaxios as `retryConfig`.
 *
 * gaxios on its own retries GET on 408/429/5xx three times, but ignores
 * `Retry-After` and does not retry Google's quota errors, which come as 403
 * with reason `rateLimitExceeded` / `userRateLimitExceeded` / `quotaExceeded`.
 * Google asks for exponential backoff on those:
 * https://developers.google.com/admin-sdk/directory/v1/limits#backoff
 * A 403 with any other reason (`forbidden`, `insufficientPermissions`) is a
 * real refusal and is not retried.
 *
 * A throttle is retried for as long as the run's throttle budget allows
 * (../throttle.ts), waiting what Retry-After asks or the exponential backoff;
 * `maxRetries` bounds the other retries (5xx, 408, no response).
 */
import type { gaxios } from 'google-auth-library';
import { sleep, type ThrottleBudget } from '../throttle.js';
import type { ProviderContext } from '../types.js';

export interface RetryPolicy {
  /** Retries of a 5xx, a 408 or a request that got no answer. */
  maxRetries: number;
  /** How long the run may spend waiting out throttles. */
  budget: ThrottleBudget;
  /** First backoff; doubles each retry (plus up to 50% jitter), capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

const THROTTLE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

function reasonOf(data: unknown): string | undefined {
  const error = (data as { error?: { errors?: Array<{ reason?: string }> } } | undefined)?.error;
  return typeof error === 'object' ? error?.errors?.[0]?.reason : undefined;
}

export function isThrottle(status: number | undefined, data: unknown): boolean {
  if (status === 429) return true;
  const reason = status === 403 ? reasonOf(data) : undefined;
  return reason !== undefined && THROTTLE_REASONS.has(reason);
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}


/** Aborted by the caller, not by gaxios' own per-request `timeout` (which a retry may recover from). */
function cancelled(signal: AbortSignal | null | undefined): boolean {
  return signal?.aborted === true && (signal.reason as { name?: string } | undefined)?.name !== 'TimeoutError';
}

/** The backoff of retry `attempt` (1 = the first): doubling from the base, up to 50% jitter, capped. */
function backoffMs(policy: RetryPolicy, attempt: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.min(exponential * (1 + Math.random() * 0.5), policy.maxDelayMs);
}

export function retryConfig(policy: RetryPolicy, context: ProviderContext): gaxios.RetryConfig {
  // The wait a throttle was granted out of the budget, for retryBackoff (gaxios asks the two apart).
  const granted = new WeakMap<object, number>();
  // Throttled tries so far, per request: they do not count against maxRetries.
  const throttles = new WeakMap<object, number>();
  return {
    // gaxios counts every retry against this; throttles are bounded by the budget instead (shouldRetry).
    retry: Number.MAX_SAFE_INTEGER,
    // Connection refused/reset and timeouts: retried twice, like gaxios' default.
    noResponseRetries: 2,
    shouldRetry(err) {
      const config = err.config.retryConfig ?? {};
      const throttled = throttles.get(config) ?? 0;
      const attempt = (config.currentRetryAttempt ?? 0) - throttled;
      if (cancelled(err.config.signal)) return false;
      // gaxios fills httpMethodsToRetry (GET... for API calls, POST for the token request).
      if (!config.httpMethodsToRetry?.includes((err.config.method ?? 'GET').toUpperCase())) return false;
      const status = err.response?.status;
      if (status !== undefined && isThrottle(status, err.response?.data)) {
        context.stats.throttled += 1;
        const asked = retryAfterMs(err.response?.headers?.get('retry-after'));
        const delay = Math.max(asked ?? 0, backoffMs(policy, throttled + 1));
        if (!policy.budget.take(delay)) {
          context.logger.warn('google: still throttled past the run\'s throttle budget; giving up', { status, budgetMs: policy.budget.totalMs });
          return false;
        }
        throttles.set(config, throttled + 1);
        granted.set(config, delay);
        return true;
      }
      if (attempt >= policy.maxRetries) return false;
      if (status === undefined) return attempt < (config.noResponseRetries ?? 2);
      return status === 408 || status >= 500;
    },
    async retryBackoff(err) {
      const config = err.config.retryConfig ?? {};
      const throttle = granted.get(config);
      granted.delete(config);
      // gaxios has already counted this retry: attempt 1 is the first retry.
      const attempt = Math.max(1, (config.currentRetryAttempt ?? 1) - (throttles.get(config) ?? 0));
      const delay = throttle ?? (retryAfterMs(err.response?.headers?.get('retry-after')) ?? backoffMs(policy, attempt));
      context.logger.debug('google: retrying', { status: err.response?.status, attempt, delayMs: Math.round(delay) });
      // After a timeout gaxios' signal is spent (it gives the retry a fresh one): wait on the connection's.
      await sleep(delay, cancelled(err.config.signal) ? (err.config.signal ?? undefined) : context.signal);
    },
  };
}
