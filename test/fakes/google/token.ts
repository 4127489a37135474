/**
 * The fake OAuth 2.0 token endpoint for service accounts with domain-wide
 * delegation: the JWT bearer grant (RFC 7523) as Google implements it.
 * https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests
 *
 * The client posts `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
 * and an RS256-signed `assertion` whose claims are iss (the service account's
 * client_email), scope (space-separated), aud (Google's token URL), iat, exp
 * (at most one hour later) and sub (the impersonated admin). Errors follow
 * what Google answers, as seen by clients in the field:
 * - bad signature, unknown key, bad aud/exp: 400 `invalid_grant`;
 * - sub not a user of the domain: 400 `invalid_grant` "Invalid email or User ID";
 * - a scope the admin did not delegate to the client id (Admin console > API
 *   controls > Domain-wide delegation): 401 `unauthorized_client`.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';

export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const SCOPE_USER_READONLY = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
export const SCOPE_GROUP_READONLY = 'https://www.googleapis.com/auth/admin.directory.group.readonly';

/** The JSON key Google lets an admin download for a service account. */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

interface Registered {
  key: ServiceAccountKey;
  publicKey: KeyObject;
  /** Scopes delegated to this client id for the domain; changeable by tests. */
  delegatedScopes: Set<string>;
}

export interface IssuedToken {
  clientEmail: string;
  subject: string;
  scopes: Set<string>;
  expiresAt: number;
}

export type TokenResult = { status: number; body: Record<string, unknown> };

let counter = 0;

export class FakeTokenIssuer {
  private readonly accounts = new Map<string, Registered>();
  private readonly tokens = new Map<string, IssuedToken>();
  /** Users allowed as `sub` (the fake accepts any live user of the directory through this check). */
  constructor(private readonly isKnownSubject: (email: string) => boolean) {}

  /** Creates a service account (a fresh RSA key pair) with the given scopes delegated. */
  createServiceAccount(options: { delegatedScopes?: string[]; tokenUri?: string } = {}): ServiceAccountKey {
    counter += 1;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key: ServiceAccountKey = {
      type: 'service_account',
      project_id: 'roster-test',
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: `roster-sync-${counter}@roster-test.iam.gserviceaccount.com`,
      client_id: String(100000000000000000000n + BigInt(counter)),
      token_uri: options.tokenUri ?? GOOGLE_TOKEN_AUDIENCE,
    };
    const delegated = options.delegatedScopes ?? [SCOPE_USER_READONLY, SCOPE_GROUP_READONLY];
    this.accounts.set(key.client_email, { key, publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), delegatedScopes: new Set(delegated) });
    return key;
  }

  /** Changes what the admin delegated to a client (the Admin console's domain-wide delegation list). */
  setDelegatedScopes(clientEmail: string, scopes: string[]): void {
    const account = this.accounts.get(clientEmail);
    if (!account) throw new Error(`no service account ${clientEmail}`);
    account.delegatedScopes = new Set(scopes);
  }

  /** Forgets every access token: the next API call answers 401 (an expired or revoked token). */
  revokeAll(): void {
    this.tokens.clear();
  }

  lookup(accessToken: string): IssuedToken | undefined {
    const token = this.tokens.get(accessToken);
    return token && token.expiresAt > Date.now() ? token : undefined;
  }

  /** Handles a POST to the token endpoint with its form fields. */
  exchange(form: URLSearchParams): TokenResult {
    if (form.get('grant_type') !== JWT_BEARER_GRANT) {
      return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type: ' + (form.get('grant_type') ?? ''));
    }
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return oauthError(400, 'invalid_request', 'Invalid JWT: malformed assertion');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    let header: { alg?: string };
    let claims: { iss?: string; sub?: string; scope?: string; aud?: string; iat?: number; exp?: number };
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return oauthError(400, 'invalid_request', 'Invalid JWT: not JSON');
    }
    const account = claims.iss ? this.accounts.get(claims.iss) : undefined;
    if (header.alg !== 'RS256' || !account) return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    if (!verify('RSA-SHA256', signed, account.publicKey, Buffer.from(signaturePart, 'base64url'))) {
      return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    if (claims.aud !== GOOGLE_TOKEN_AUDIENCE) return oauthError(400, 'invalid_grant', 'Invalid JWT: aud must be ' + GOOGLE_TOKEN_AUDIENCE);
    const now = Math.floor(Date.now() / 1000);
    if (!claims.iat || !claims.exp || claims.exp - claims.iat > 3600 || claims.exp < now || claims.iat > now + 300) {
      return oauthError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    }
    if (!claims.sub || !this.isKnownSubject(claims.sub)) return oauthError(400, 'invalid_grant', 'Invalid email or User ID');
    const scopes = (claims.scope ?? '').split(' ').filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !account.delegatedScopes.has(s))) {
      return oauthError(
        401,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      );
    }
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { clientEmail: account.key.client_email, subject: claims.sub, scopes: new Set(scopes), expiresAt: Date.now() + 3599_000 });
    return { status: 200, body: { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' } };
  }
}

function oauthError(status: number, error: string, description: string): TokenResult {
  return { status, body: { error, error_description: description } };
}
