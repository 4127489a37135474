/**
 * The Admin SDK client a Google connection talks through: a service account
 * with domain-wide delegation (google-auth-library JWT, `subject` = an admin)
 * and the generated Directory API client (@googleapis/admin).
 * https://developers.google.com/admin-sdk/directory/v1/guides/delegation
 *
 * Every HTTP request, the token request and every retry included, goes through
 * one gaxios adapter on the JWT's transporter: it counts requests and routes
 * the token request to the configured `tokenUrl` (google-auth-library 10
 * always posts to https://oauth2.googleapis.com/token, whatever the key's
 * `token_uri` says; checked in node_modules/google-auth-library/build/src/gtoken/getToken.js).
 * The same adapter sends each request through the outbound URL policy's
 * agents (src/core/net/outbound.ts), which check the address every connection
 * resolves to; the API's reads through a lighter transport (./transport.ts).
 */
import { admin, type admin_directory_v1 } from '@googleapis/admin';
import { JWT, type gaxios } from 'google-auth-library';
import { outboundAgent } from '../../../core/net/outbound.js';
import type { ProviderContext } from '../types.js';
import { ProviderError } from '../types.js';
import { unusableSetting } from '../settings-fields.js';
import { DEFAULT_MAPPING, type GoogleAttributeMapping } from './map.js';
import { ThrottleBudget } from '../throttle.js';
import { isThrottle, retryConfig, type RetryPolicy } from './retry.js';
import { isPlainRead, sendRead } from './transport.js';

export const SCOPE_USER_READONLY = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
export const SCOPE_GROUP_READONLY = 'https://www.googleapis.com/auth/admin.directory.group.readonly';
export const GOOGLE_SCOPES = [SCOPE_USER_READONLY, SCOPE_GROUP_READONLY];
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface GoogleSettings {
  subject: string;
  clientEmail: string;
  clientId: string | null;
  privateKey: string;
  privateKeyId: string | undefined;
  /** `customer` (my_customer = the admin's own account) unless `domain` narrows the listing to one domain. */
  customer: string;
  domain: string | undefined;
  rootUrl: string;
  tokenUrl: string;
  mapping: GoogleAttributeMapping;
  retry: RetryPolicy;
  requestTimeoutMs: number;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/**
 * Reads the connection's settings and secret. `attributeMapping` and the
 * tuning knobs (`maxRetries`, `retryBaseDelayMs`, `maxRetryDelayMs`,
 * `requestTimeoutMs`) are optional; tests and the benchmark use the latter.
 */
export function readSettings(context: ProviderContext): GoogleSettings {
  const { settings, secrets } = context;
  let key = secrets.serviceAccountKey ?? settings.serviceAccountKey;
  if (typeof key === 'string') {
    try {
      key = JSON.parse(key) as unknown;
    } catch {
      throw unusableSetting('serviceAccountKey', 'serviceAccountKey is not the JSON key of a service account');
    }
  }
  const k = (key ?? {}) as Record<string, unknown>;
  const clientEmail = text(k.client_email);
  const privateKey = text(k.private_key);
  if (!clientEmail || !privateKey) throw unusableSetting('serviceAccountKey', 'serviceAccountKey must have client_email and private_key');
  const subject = text(settings.subject);
  if (!subject) throw unusableSetting('subject', 'subject (the admin the service account acts as) is required for domain-wide delegation');
  const mappingInput = (settings.attributeMapping ?? {}) as Partial<Record<keyof GoogleAttributeMapping, unknown>>;
  const mapping = { ...DEFAULT_MAPPING };
  for (const field of Object.keys(mapping) as Array<keyof GoogleAttributeMapping>) {
    const path = text(mappingInput[field]);
    if (path) mapping[field] = path;
  }
  return {
    subject,
    clientEmail,
    clientId: text(k.client_id) ?? null,
    privateKey,
    privateKeyId: text(k.private_key_id),
    customer: text(settings.customer) ?? 'my_customer',
    domain: text(settings.domain),
    rootUrl: text(settings.rootUrl) ?? 'https://admin.googleapis.com/',
    tokenUrl: text(settings.tokenUrl) ?? GOOGLE_TOKEN_URL,
    mapping,
    retry: {
      maxRetries: num(settings.maxRetries, 5),
      budget: ThrottleBudget.fromSettings(settings),
      baseDelayMs: num(settings.retryBaseDelayMs, 1000),
      maxDelayMs: num(settings.maxRetryDelayMs, 64_000),
    },
    requestTimeoutMs: num(settings.requestTimeoutMs, 60_000),
  };
}

export interface GoogleClient {
  directory: admin_directory_v1.Admin;
  jwt: JWT;
}

/** A JWT client for the service account acting as `subject`; all its HTTP goes through one counting, routing adapter. */
export function createJwt(settings: GoogleSettings, context: ProviderContext, scopes: string[] = GOOGLE_SCOPES): JWT {
  const adapter = <T>(
    options: gaxios.GaxiosOptionsPrepared,
    defaultAdapter: (options: gaxios.GaxiosOptionsPrepared) => gaxios.GaxiosPromise<T>,
  ): gaxios.GaxiosPromise<T> => {
    context.stats.apiRequests += 1;
    // The Directory API's reads: a lighter transport than node-fetch (./transport.ts).
    if (isPlainRead(options)) return sendRead<T>(options);
    const guarded = { ...options, agent: outboundAgent };
    if (settings.tokenUrl !== GOOGLE_TOKEN_URL && String(options.url) === GOOGLE_TOKEN_URL) {
      return defaultAdapter({ ...guarded, url: new URL(settings.tokenUrl) });
    }
    return defaultAdapter(guarded);
  };
  return new JWT({
    email: settings.clientEmail,
    key: settings.privateKey,
    keyId: settings.privateKeyId,
    scopes,
    subject: settings.subject,
    transporterOptions: {
      adapter,
      timeout: settings.requestTimeoutMs,
      retryConfig: retryConfig(settings.retry, context),
    },
  });
}

export function createClient(settings: GoogleSettings, context: ProviderContext): GoogleClient {
  const jwt = createJwt(settings, context);
  // The generated client's own google-auth-library copy is typed apart from ours; the JWT is the same class at runtime.
  const auth = jwt as unknown as admin_directory_v1.Options['auth'];
  const directory = admin({ version: 'directory_v1', auth, rootUrl: settings.rootUrl });
  return { directory, jwt };
}

/** The OAuth error code of a failed token request (RFC 6749 §5.2 `error`), if that is what failed. */
export function oauthError(error: unknown): string | undefined {
  const data = (error as { response?: { data?: { error?: unknown } } } | undefined)?.response?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

interface GoogleErrorBody {
  error?: { code?: number; message?: string; errors?: Array<{ reason?: string; message?: string }> } | string;
  error_description?: string;
}

/**
 * One ProviderError per way a Google call fails. `what` names the call for
 * the message ("listing users"). OAuth token errors have a string `error`
 * (RFC 6749 §5.2); API errors have Google's `{ error: { code, errors } }`.
 */
export function toProviderError(error: unknown, what: string, settings: GoogleSettings): ProviderError {
  if (error instanceof ProviderError) return error;
  const e = error as Partial<gaxios.GaxiosError> & { code?: string; name?: string };
  const status = e.response?.status;
  const data = e.response?.data as GoogleErrorBody | undefined;
  if (typeof data?.error === 'string') {
    const client = settings.clientId ?? settings.clientEmail;
    if (data.error === 'unauthorized_client') {
      return new ProviderError(
        'auth',
        `domain-wide delegation not granted for these scopes to client ${client}: ${GOOGLE_SCOPES.join(', ')} ` +
          '(Admin console > Security > API controls > Domain-wide delegation)',
        { cause: error, status },
      );
    }
    return new ProviderError('auth', `Google token request failed (${data.error}: ${data.error_description ?? ''}) while ${what}`, { cause: error, status });
  }
  if (status === undefined) {
    if (e.name === 'AbortError' || e.code === 'AbortError') return new ProviderError('network', `aborted while ${what}`, { cause: error });
    return new ProviderError('network', `Google did not answer while ${what}: ${e.message ?? String(error)}`, { cause: error });
  }
  const reason = typeof data?.error === 'object' ? data.error.errors?.[0]?.reason : undefined;
  const message = typeof data?.error === 'object' ? data.error.message : undefined;
  if (isThrottle(status, data)) {
    return new ProviderError('rate-limited', `Google rate limit (${reason ?? status}) still hit past the run's throttle budget while ${what}`, { cause: error, status });
  }
  if (status === 401) return new ProviderError('auth', `Google rejected the access token while ${what}: ${message ?? ''}`, { cause: error, status });
  if (status === 403) {
    return new ProviderError('permission', `Google denied ${what} (${reason ?? 'forbidden'}: ${message ?? ''}); the subject ${settings.subject} must be an admin allowed to read it`, { cause: error, status });
  }
  if (status === 404) return new ProviderError('not-found', `Google found nothing while ${what}`, { cause: error, status });
  if (status >= 500) return new ProviderError('network', `Google failed (${status}) while ${what}, after retries`, { cause: error, status });
  return new ProviderError('bad-response', `Google answered ${status} while ${what}: ${message ?? ''}`, { cause: error, status });
}
