/**
 * The Microsoft identity platform part of the fake: OpenID discovery and the
 * OAuth 2.0 client credentials grant, as @azure/identity's ClientSecretCredential
 * (MSAL) calls them with instance discovery off (see ../shared/IDP-NOTES.md):
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration
 *   POST /{tenant}/oauth2/v2.0/token  grant_type=client_credentials&client_id&client_secret&scope
 * Errors follow https://learn.microsoft.com/entra/identity-platform/reference-error-codes:
 * `{ error, error_description: "AADSTSnnnn: ...", error_codes: [nnnn], trace_id, correlation_id }`.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface IdentityConfig {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds: number;
}

export interface IdentityResponse {
  status: number;
  body: unknown;
}

export class FakeIdentity {
  private readonly tokens = new Map<string, number>(); // access token → expiry (ms)
  tokensIssued = 0;

  constructor(readonly config: IdentityConfig, private readonly origin: () => string) {}

  openidConfiguration(tenant: string): IdentityResponse {
    if (tenant !== this.config.tenantId) return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    const base = `${this.origin()}/${tenant}`;
    return {
      status: 200,
      body: {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${this.origin()}/${tenant}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        tenant_region_scope: 'EU',
        cloud_instance_name: 'fake.local',
      },
    };
  }

  token(tenant: string, form: URLSearchParams): IdentityResponse {
    const { tenantId, clientId, clientSecret } = this.config;
    if (tenant !== tenantId) return aadError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') {
      return aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
    if (form.get('client_id') !== clientId) {
      return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory '${tenant}'.`);
    }
    if (form.get('client_secret') !== clientSecret) {
      return aadError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
    // Scope must be <this Graph host>/.default: that is what proves the client derived it from graphBaseUrl.
    const scopes = (form.get('scope') ?? '').split(' ');
    const wanted = `${this.origin()}/.default`;
    if (!scopes.includes(wanted)) {
      return aadError(400, 'invalid_resource', 500011, `The resource principal named ${scopes.join(' ')} was not found in the tenant named ${tenant}.`);
    }
    const accessToken = `fake.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, Date.now() + this.config.tokenLifetimeSeconds * 1000);
    this.tokensIssued++;
    const life = this.config.tokenLifetimeSeconds;
    return { status: 200, body: { token_type: 'Bearer', expires_in: life, ext_expires_in: life, access_token: accessToken } };
  }

  /** True when the Authorization header carries a token this fake issued and that has not expired. */
  accepts(authorization: string | undefined): boolean {
    const m = /^Bearer (\S+)$/.exec(authorization ?? '');
    const expiry = m ? this.tokens.get(m[1]!) : undefined;
    return expiry !== undefined && expiry > Date.now();
  }

  /** Invalidates every issued token (Graph then answers 401 InvalidAuthenticationToken). */
  revokeTokens(): void {
    this.tokens.clear();
  }
}

function aadError(status: number, error: string, code: number, text: string): IdentityResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace('Z', 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}
