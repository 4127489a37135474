/**
 * The two plain-HTTP calls: the JWT profile grant (`POST /oauth/v2/token`,
 * RFC 7523) and the admin events API (`POST /admin/v1/events/_search`, a v1
 * REST gateway path: Zitadel serves its v1 services as gRPC and REST only, so
 * the connect transport cannot reach them). Both go through the outbound URL
 * policy (src/core/net/outbound.ts).
 */
import { createPrivateKey, createSign } from 'node:crypto';
import { outboundRequest } from '../../../core/net/outbound.js';
import { restCode, RestError } from './errors.js';
import type { ServiceAccountKey } from './settings.js';

export interface RestAnswer<T> {
  body: T;
  /** The Date header (Zitadel's clock), ms; null when absent. */
  date: number | null;
}

export async function postRest<T>(url: string, init: { body: string; contentType: string; token?: string; signal?: AbortSignal }): Promise<RestAnswer<T>> {
  const headers: Record<string, string> = { 'content-type': init.contentType, accept: 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await outboundRequest(url, { method: 'POST', headers, body: init.body, signal: init.signal, maxResponseBytes: 64 * 1024 * 1024 });
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    if (res.status < 400) throw new RestError(res.status, 'unknown', `not JSON from ${new URL(url).pathname}`, null);
  }
  const date = Date.parse(String(res.headers.date ?? ''));
  const retryAfter = typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null;
  if (res.status >= 400) {
    // Connect-style `{ code, message }` (API) or OAuth's `{ error, error_description }` (token endpoint).
    throw new RestError(res.status, restCode(res.status, parsed), String(parsed.message ?? parsed.error_description ?? `HTTP ${res.status}`), retryAfter);
  }
  return { body: parsed as T, date: Number.isFinite(date) ? date : null };
}

/** Scope that makes the token valid for Zitadel's own APIs (https://zitadel.com/docs/apis/introduction#authentication). */
export const API_SCOPE = 'openid urn:zitadel:iam:org:project:id:zitadel:aud';

/**
 * The JWT profile assertion (https://zitadel.com/docs/guides/integrate/service-users/private-key-jwt):
 * RS256 with the key's id as `kid`; iss = sub = the machine user's id; aud = the instance's issuer (baseUrl).
 */
export function assertion(key: ServiceAccountKey, audience: string, nowMs = Date.now()): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(nowMs / 1000);
  const signingInput = `${b64({ alg: 'RS256', kid: key.keyId, typ: 'JWT' })}.${b64({ iss: key.userId, sub: key.userId, aud: audience, iat, exp: iat + 300 })}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(createPrivateKey(key.key)).toString('base64url');
  return `${signingInput}.${signature}`;
}
