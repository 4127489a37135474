/**
 * The fake's OAuth 2.0 token endpoint for Okta service apps
 * (client_credentials with a private_key_jwt client assertion):
 * https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/
 *
 * The assertion's signature is really verified against the registered public
 * key, so a wrong key fails as it does against Okta. The SDK also sends a
 * DPoP proof on every token request; an app that does not require DPoP (the
 * default) simply gets a Bearer token, which is what the fake does.
 */
import { createPublicKey, randomBytes, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface FakeOAuthClient {
  clientId: string;
  /** The registered public key: a KeyObject, a PEM, or a public JWK. */
  publicKey: KeyObject | string | JsonWebKey;
  /** When set, the assertion's `kid` header must match. */
  keyId?: string;
  /** Scopes granted to the app (okta.users.read, okta.groups.read...). */
  scopes: string[];
}

export interface AccessToken {
  clientId: string;
  scopes: Set<string>;
  expiresAt: number;
}

export type TokenResponse = { status: number; body: Record<string, unknown> };

const b64json = (part: string): Record<string, unknown> | null => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
};

const fail = (status: number, error: string, description: string): TokenResponse => ({
  status,
  body: { error, error_description: description },
});

export class FakeTokenEndpoint {
  readonly tokens = new Map<string, AccessToken>();
  private readonly seenJti = new Set<string>();
  tokensIssued = 0;
  dpopProofsSeen = 0;

  constructor(
    readonly clients: FakeOAuthClient[],
    private readonly now: () => number,
  ) {}

  /** POST /oauth2/v1/token with a form body. `audience` is the endpoint's own absolute URL. */
  handle(form: URLSearchParams, audience: string, dpopHeader: string | undefined): TokenResponse {
    if (dpopHeader) this.dpopProofsSeen++;
    if (form.get('grant_type') !== 'client_credentials') return fail(400, 'unsupported_grant_type', 'The grant type is not supported.');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return fail(401, 'invalid_client', 'A client assertion is required.');
    }
    const parts = (form.get('client_assertion') ?? '').split('.');
    const [h, p, s] = parts;
    const header = h ? b64json(h) : null;
    const claims = p ? b64json(p) : null;
    if (parts.length !== 3 || !header || !claims || !s) return fail(401, 'invalid_client', 'The client assertion is not a JWT.');
    const client = this.clients.find((c) => c.clientId === claims.iss);
    if (!client || claims.sub !== client.clientId) return fail(401, 'invalid_client', 'The client_id is not known.');
    if (client.keyId !== undefined && header.kid !== client.keyId) return fail(401, 'invalid_client', 'The client assertion kid does not match a registered key.');
    const key = client.publicKey;
    const publicKey = typeof key === 'object' && 'type' in key && typeof (key as KeyObject).export === 'function'
      ? (key as KeyObject)
      : typeof key === 'string'
        ? createPublicKey(key)
        : createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    const data = Buffer.from(`${h}.${p}`);
    const sig = Buffer.from(s, 'base64url');
    const ok =
      header.alg === 'RS256'
        ? verify('sha256', data, publicKey, sig)
        : header.alg === 'ES256'
          ? verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)
          : false;
    if (!ok) return fail(401, 'invalid_client', 'The client assertion signature is invalid.');
    if (claims.aud !== audience) return fail(401, 'invalid_client', `The audience of the client assertion must be ${audience}.`);
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.now()) return fail(401, 'invalid_client', 'The client assertion has expired.');
    if (typeof claims.jti === 'string') {
      if (this.seenJti.has(claims.jti)) return fail(401, 'invalid_client', 'The client assertion token has already been used.');
      this.seenJti.add(claims.jti);
    }
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const denied = requested.filter((sc) => !client.scopes.includes(sc));
    if (requested.length === 0 || denied.length > 0) {
      return fail(400, 'invalid_scope', `The following scopes are not allowed: ${denied.join(', ') || '(none requested)'}`);
    }
    const accessToken = randomBytes(24).toString('base64url');
    this.tokens.set(accessToken, { clientId: client.clientId, scopes: new Set(requested), expiresAt: this.now() + 3_600_000 });
    this.tokensIssued++;
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3600, access_token: accessToken, scope: requested.join(' ') } };
  }

  lookup(token: string): AccessToken | null {
    const t = this.tokens.get(token);
    return t && t.expiresAt > this.now() ? t : null;
  }

  /** Makes every issued token invalid (the next API call answers 401; the SDK fetches a new one). */
  revokeAll(): void {
    this.tokens.clear();
  }
}
