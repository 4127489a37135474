/**
 * What the Keycloak admin client throws, as one ProviderError per way a call
 * fails. The client throws its NetworkError for any non-2xx answer (with the
 * Response and the parsed body: `{"error": …}`, `{"errorMessage": …}`, or
 * `{"error": "unknown_error", "error_description": …}` on a 5xx), a
 * TypeError('fetch failed') when the connection fails, and a TimeoutError
 * when its `timeout` fires. Anything else is a programming error and is
 * rethrown untouched.
 */
import { ProviderError } from '../types.js';

export interface HttpFailureLike {
  status: number;
  body: Record<string, unknown> | null;
  headers: { get(name: string): string | null };
}

/** The HTTP answer inside the client's NetworkError, or null for any other error. */
export function httpFailureOf(err: unknown): HttpFailureLike | null {
  if (typeof err !== 'object' || err === null || (err as Error).name === 'ProviderError') return null;
  const response = (err as { response?: unknown }).response;
  if (typeof response !== 'object' || response === null || typeof (response as Response).status !== 'number') return null;
  const data = (err as { responseData?: unknown }).responseData;
  return {
    status: (response as Response).status,
    body: typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : null,
    headers: (response as Response).headers,
  };
}

/** A connection that failed or dropped before an answer: worth another try (unless the outbound URL policy refused it). */
export function isDropped(err: unknown): boolean {
  if (!(err instanceof TypeError && /fetch failed/i.test(err.message))) return false;
  return (err.cause as { name?: unknown } | undefined)?.name !== 'OutboundRefusedError';
}

const isTimeout = (err: unknown) => (err as { name?: unknown })?.name === 'TimeoutError';

function detailOf(body: Record<string, unknown> | null, status: number): string {
  const parts = [body?.error, body?.errorMessage, body?.error_description].filter((v): v is string => typeof v === 'string' && v !== '');
  return parts.length ? [...new Set(parts)].join(': ') : `HTTP ${status}`;
}

/**
 * A refused token request. Keycloak answers 401 `invalid_client` /
 * `unauthorized_client` for a wrong or unknown client and secret, 400
 * `unauthorized_client` when the client has no service account, and 404
 * when the realm does not exist.
 */
export function tokenError(err: unknown, realm: string, clientId: string): unknown {
  const http = httpFailureOf(err);
  if (!http) return apiError(err, 'requesting a Keycloak token');
  const detail = detailOf(http.body, http.status);
  const opts = { cause: err, status: http.status };
  if (http.status === 404) return new ProviderError('not-found', `Keycloak has no realm "${realm}" (${detail})`, opts);
  if (http.status === 429) return new ProviderError('rate-limited', `Keycloak token endpoint rate limit: ${detail}`, opts);
  if (http.status >= 500) return new ProviderError('bad-response', `Keycloak token endpoint answered HTTP ${http.status}: ${detail}`, opts);
  if (/service account/i.test(detail)) {
    return new ProviderError('auth', `client "${clientId}" has no service account (enable "Service accounts roles" on it): ${detail}`, opts);
  }
  return new ProviderError('auth', `Keycloak rejected the client credentials of "${clientId}" (check clientId and clientSecret): ${detail}`, opts);
}

export function apiError(err: unknown, what: string): unknown {
  if (err instanceof ProviderError) return err;
  const http = httpFailureOf(err);
  if (http) {
    const detail = detailOf(http.body, http.status);
    const opts = { cause: err, status: http.status };
    if (http.status === 401) return new ProviderError('auth', `${what}: Keycloak refused the access token: ${detail}`, opts);
    if (http.status === 403) return new ProviderError('permission', `${what}: permission denied: ${detail}`, opts);
    if (http.status === 404) return new ProviderError('not-found', `${what}: not found: ${detail}`, opts);
    if (http.status === 429) return new ProviderError('rate-limited', `${what}: Keycloak kept throttling past the run's throttle budget: ${detail}`, opts);
    return new ProviderError('bad-response', `${what}: Keycloak answered HTTP ${http.status}: ${detail}`, opts);
  }
  if (isTimeout(err)) return new ProviderError('network', `${what}: Keycloak did not answer in time`, { cause: err });
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    const cause = (err as { cause?: { message?: unknown } }).cause;
    return new ProviderError('network', `${what}: cannot reach Keycloak: ${typeof cause?.message === 'string' ? cause.message : 'connection failed'}`, { cause: err });
  }
  if ((err as { name?: unknown })?.name === 'AbortError') return new ProviderError('network', `${what}: aborted`, { cause: err });
  return err;
}
