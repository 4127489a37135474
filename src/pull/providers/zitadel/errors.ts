/**
 * Turns what a Zitadel call throws into one ProviderError per way it fails.
 * The connect transport throws ConnectError (a connect code, and the response
 * headers as `metadata`); the events API and the token endpoint (plain HTTP,
 * ./rest.ts) throw RestError. A ConnectError is recognised by shape: it
 * comes from the transport's @connectrpc/connect (2.1), not from the 2.3 copy
 * nested in @zitadel/client, and @zitadel/client's types declare a
 * `ConnectError` export that its index.js does not have (checked on 1.3.1),
 * while @connectrpc/connect itself is no direct dependency of Roster.
 * Connect codes: https://connectrpc.com/docs/protocol/#error-codes
 */
import { ProviderError, type ProviderErrorKind } from '../types.js';

/** An HTTP answer of a non-connect endpoint (events API, token endpoint) that was not 2xx. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: string | null,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

interface ConnectErrorShape {
  name: 'ConnectError';
  code: number;
  rawMessage: string;
  metadata?: { get(name: string): string | null };
  cause?: unknown;
}

export const isConnectError = (e: unknown): e is ConnectErrorShape =>
  typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'ConnectError' && typeof (e as { code?: unknown }).code === 'number';

/** Connect codes by number (@connectrpc/connect `Code`), and their HTTP status for reports. */
const CODES: Record<number, { name: string; status: number }> = {
  1: { name: 'canceled', status: 499 }, 2: { name: 'unknown', status: 500 }, 3: { name: 'invalid_argument', status: 400 },
  4: { name: 'deadline_exceeded', status: 504 }, 5: { name: 'not_found', status: 404 }, 7: { name: 'permission_denied', status: 403 },
  8: { name: 'resource_exhausted', status: 429 }, 9: { name: 'failed_precondition', status: 400 }, 10: { name: 'aborted', status: 409 },
  12: { name: 'unimplemented', status: 501 }, 13: { name: 'internal', status: 500 }, 14: { name: 'unavailable', status: 503 },
  16: { name: 'unauthenticated', status: 401 },
};
const CODE_BY_NAME = new Map(Object.values(CODES).map((c) => [c.name, c]));

/** A socket-level failure (reset, refused, hang-up) under a ConnectError or a RestError's place. */
export function isNetworkFailure(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 4; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR|ERR_STREAM)/.test(code)) return true;
    if (/socket hang up|fetch failed/i.test(String((c as { message?: unknown }).message ?? ''))) return true;
  }
  return false;
}

/** What a failed call is: HTTP status, connect code name, message, Retry-After; null for anything unknown (a bug). */
export function describe(e: unknown): { status: number; code: string; message: string; retryAfter: string | null } | null {
  if (e instanceof RestError) return { status: e.status, code: e.code, message: e.message, retryAfter: e.retryAfter };
  if (isConnectError(e)) {
    // The connect client wraps what an interceptor throws (the token request's RestError) in a ConnectError.
    if (e.cause instanceof RestError || e.cause instanceof ProviderError) return describe(e.cause);
    const c = CODES[e.code] ?? { name: 'unknown', status: 500 };
    return { status: c.status, code: c.name, message: e.rawMessage, retryAfter: e.metadata?.get('retry-after') ?? null };
  }
  return null;
}

/**
 * The code of a REST answer: the v1 gateway's numeric gRPC code (`{"code": 7}`),
 * a connect code name (`{"code": "permission_denied"}`, as Zitadel's reference
 * shows it), an OAuth `error`, or failing all of them the code of the HTTP status.
 */
export function restCode(status: number, body: Record<string, unknown>): string {
  if (typeof body.code === 'number' && CODES[body.code]) return CODES[body.code]!.name;
  if (typeof body.code === 'string' && CODE_BY_NAME.has(body.code)) return body.code;
  if (typeof body.error === 'string') return body.error;
  const byStatus: Record<number, string> = { 400: 'invalid_argument', 401: 'unauthenticated', 403: 'permission_denied', 404: 'not_found', 429: 'resource_exhausted', 503: 'unavailable', 504: 'deadline_exceeded' };
  return byStatus[status] ?? (status >= 500 ? 'internal' : 'unknown');
}

/** The token endpoint's refusals of a JWT profile assertion (RFC 6749 §5.2): the key is wrong, unknown or revoked. */
const OAUTH_REFUSALS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_request', 'unsupported_grant_type']);

export function toProviderError(e: unknown, what: string): unknown {
  if (e instanceof ProviderError) return e;
  const d = describe(e);
  if (!d) {
    if (isNetworkFailure(e)) return new ProviderError('network', `${what}: cannot reach Zitadel: ${(e as Error).message}`, { cause: e });
    return e;
  }
  if (isNetworkFailure(e)) return new ProviderError('network', `${what}: cannot reach Zitadel: ${d.message}`, { cause: e });
  const kind: ProviderErrorKind =
    d.code === 'unauthenticated' || OAUTH_REFUSALS.has(d.code) ? 'auth'
      : d.code === 'invalid_scope' ? 'permission'
      : d.code === 'permission_denied' ? 'permission'
        : d.code === 'not_found' ? 'not-found'
          : d.code === 'resource_exhausted' ? 'rate-limited'
            : d.code === 'deadline_exceeded' || d.code === 'canceled' ? 'network'
              : 'bad-response';
  const text = kind === 'auth' ? `Zitadel refused the credentials: ${d.message}`
    : kind === 'permission' ? `permission denied: ${d.message}`
      : kind === 'rate-limited' ? `Zitadel rate limit still exceeded past the run's throttle budget: ${d.message}`
        : d.code === 'unimplemented' ? `this Zitadel does not serve the API (a v2 connect service needs Zitadel v4 or later): ${d.message}`
          : `Zitadel answered ${d.code} (HTTP ${d.status}): ${d.message}`;
  return new ProviderError(kind, `${what}: ${text}`, { cause: e, status: d.status });
}
