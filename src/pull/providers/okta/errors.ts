/**
 * Turns what the Okta SDK throws into one ProviderError per way a call fails.
 * The SDK throws OktaApiError (a JSON error body: status, errorCode,
 * errorSummary), HttpError (a non-JSON body), node-fetch's FetchError
 * (network, timeout) and plain Errors from its 429 retry budget. Anything
 * else is a programming error and is rethrown untouched.
 * Error codes: https://developer.okta.com/docs/reference/error-codes/
 */
import { ProviderError } from '../types.js';
import { OAUTH_SCOPES } from './settings.js';

interface SdkErrorShape {
  name?: unknown;
  status?: unknown;
  errorCode?: unknown;
  errorSummary?: unknown;
  url?: unknown;
  type?: unknown;
  message?: unknown;
}

/**
 * A refused OAuth token request. The SDK (8.1.0, src/oauth.js) never checks
 * the token endpoint's status (it calls `Http.errorFilter` on the module
 * object, which is undefined) and would go on with "Bearer undefined", so the
 * request executor raises this itself, with Okta's error_description.
 */
export function tokenError(status: number, body: { error?: unknown; error_description?: unknown } | null, scopes: readonly string[] = OAUTH_SCOPES): ProviderError {
  const detail = String(body?.error_description ?? body?.error ?? `HTTP ${status}`);
  if (body?.error === 'invalid_scope') {
    return new ProviderError('permission', `the Okta service app is not granted the scope${scopes.length > 1 ? 's' : ''} ${scopes.join(' and ')}: ${detail}`, { status });
  }
  if (status === 429) return new ProviderError('rate-limited', `Okta token endpoint rate limit: ${detail}`, { status });
  return new ProviderError('auth', `Okta rejected the OAuth service app's client assertion (check clientId, keyId and the private key): ${detail}`, { status });
}

export function toProviderError(err: unknown, what: string): unknown {
  if (err instanceof ProviderError) return err;
  if (typeof err !== 'object' || err === null) return err;
  const e = err as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.status === 'number' && (name === 'OktaApiError' || name === 'HttpError')) {
    const status = e.status;
    const code = typeof e.errorCode === 'string' ? e.errorCode : '';
    const summary = typeof e.errorSummary === 'string' ? e.errorSummary : '';
    const opts = { cause: err, status };
    if (status === 401) {
      const m = code === 'E0000011' ? 'API token is invalid or revoked' : `Okta refused the credentials (${code || status}): ${summary}`;
      return new ProviderError('auth', `${what}: ${m}`, opts);
    }
    if (status === 403) return new ProviderError('permission', `${what}: permission denied (${code || 403}): ${summary}`, opts);
    if (status === 404) return new ProviderError('not-found', `${what}: not found (${code || 404})`, opts);
    if (status === 429) return new ProviderError('rate-limited', `${what}: Okta rate limit still exceeded after retries (${code || 429})`, opts);
    return new ProviderError('bad-response', `${what}: Okta answered HTTP ${status}${code ? ` ${code}` : ''}${summary ? `: ${summary}` : ''}`, opts);
  }
  if (name === 'FetchError') {
    const timedOut = e.type === 'request-timeout' || e.type === 'body-timeout';
    return new ProviderError('network', `${what}: ${timedOut ? 'Okta did not answer in time' : `cannot reach Okta: ${message}`}`, { cause: err });
  }
  // Raised by DefaultRequestExecutor when waiting out a 429 would pass requestTimeout.
  if (/requestTimeout/.test(message) && /429|time exceeded/.test(message)) {
    return new ProviderError('rate-limited', `${what}: ${message}`, { cause: err });
  }
  if (name === 'AbortError') return new ProviderError('network', `${what}: aborted`, { cause: err });
  return err;
}
