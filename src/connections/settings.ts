/**
 * Per-kind connection settings. Each kind has one zod schema and the list of
 * its secret fields; secrets are split off before anything is stored, kept
 * encrypted in `connections.secrets`, and shown only as "(set)".
 *
 * Schemas are strict: a misspelt field is an error, not silently ignored.
 */
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import { throttleBudgetSeconds } from '../providers/throttle.js';
import { urlRefusal } from '../net/url-policy.js';
import { parseWith } from '../validation/index.js';

export const CONNECTION_KINDS = ['entra', 'okta', 'google', 'scim'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/** An endpoint Roster sends a credential to: the outbound URL policy decides (https; no loopback, private, metadata...). */
const endpointUrl = () =>
  z.string().superRefine((value, ctx) => {
    const refusal = urlRefusal(value.trim());
    if (refusal) ctx.addIssue({ code: 'custom', message: refusal });
  });
const text = () => z.string().trim().min(1, 'must not be empty');
const posInt = () => z.number().int().positive();

/**
 * Settings every pull connection shares: which IdP field becomes which
 * common-model field (each provider validates the field names it knows),
 * which users are in scope, and how many requests may run at once.
 */
const pullCommon = {
  attributeMapping: z
    .strictObject({ userName: text(), email: text(), displayName: text(), givenName: text(), familyName: text() })
    .partial()
    .optional(),
  scope: z
    .strictObject({
      /** Group external ids or display names: only their (flattened) members are synced. */
      groups: z.array(text()).optional(),
      /** Globs like `*@contractors.example`: matching users are left out. */
      excludeEmailPatterns: z.array(text()).optional(),
    })
    .optional(),
  concurrency: z.number().int().min(1).max(16).optional(),
  /** How long one run may wait out the IdP's throttling (429, rate-limit resets) before it gives up; default 300. */
  throttleBudgetSeconds: throttleBudgetSeconds().optional(),
};

const entra = z.strictObject({
  tenantId: text(),
  clientId: text(),
  clientSecret: text(),
  graphBaseUrl: endpointUrl().optional(),
  authorityHost: endpointUrl().optional(),
  requestTimeoutMs: posInt().optional(),
  serverErrorRetries: z.number().int().min(0).max(10).optional(),
  retryDelayMs: z.number().int().min(0).max(60_000).optional(),
  ...pullCommon,
});

// Okta takes an SSWS API token, or an OAuth service app (client id + private key JWT).
const OKTA_OAUTH = ['clientId', 'privateKey', 'keyId'] as const;
const okta = z
  .strictObject({
    orgUrl: endpointUrl(),
    apiToken: text().optional(),
    clientId: text().optional(),
    privateKey: text().optional(),
    keyId: text().optional(),
    requestTimeoutMs: posInt().optional(),
    maxRetries: z.number().int().min(0).max(10).optional(),
    serverErrorRetries: z.number().int().min(0).max(10).optional(),
    retryDelayMs: z.number().int().min(0).optional(),
    rateLimitReserve: z.number().min(0).max(0.9).optional(),
    deltaOverlapSeconds: z.number().int().min(0).optional(),
    ...pullCommon,
  })
  .superRefine((v, ctx) => {
    const oauth = OKTA_OAUTH.filter((k) => v[k] !== undefined);
    if (v.apiToken !== undefined && oauth.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['apiToken'], message: 'cannot be combined with clientId/privateKey/keyId; use one way to authenticate' });
    } else if (v.apiToken === undefined && oauth.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['apiToken'], message: 'is required (or clientId, privateKey and keyId for OAuth)' });
    } else if (v.apiToken === undefined) {
      for (const k of OKTA_OAUTH) if (v[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is required for OAuth' });
    }
  });

const serviceAccountKey = z.looseObject(
  {
    type: z.literal('service_account').optional(),
    client_email: z.email(),
    private_key: text(),
  },
  { error: 'must be the service account JSON key (an object, or its JSON text)' },
);

const google = z.strictObject({
  /** The admin the service account impersonates (domain-wide delegation). */
  subject: z.email(),
  // A key pasted as the JSON string Google downloads is accepted as well as the object.
  serviceAccountKey: z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, serviceAccountKey),
  customer: text().default('my_customer'),
  domain: text().optional(),
  rootUrl: endpointUrl().optional(),
  tokenUrl: endpointUrl().optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  retryBaseDelayMs: z.number().int().min(0).optional(),
  maxRetryDelayMs: z.number().int().min(0).optional(),
  requestTimeoutMs: posInt().optional(),
  ...pullCommon,
});

// SCIM connections are pushed to; their bearer tokens live in scim_tokens, not here.
const scim = z.strictObject({
  /** PATCH answers 200 with the resource (default) or 204 No Content (RFC 7644 §3.5.2 allows both). */
  patchResponse: z.enum(['resource', 'no-content']).optional(),
});

export interface KindSpec<S extends z.ZodType> {
  schema: S;
  secretFields: readonly string[];
  /** Settings that say where the secrets are sent: changing one needs the secret again. */
  endpointFields: readonly string[];
}

/** The typed registry: a kind without a spec does not compile. */
export const CONNECTION_SPECS: { [K in ConnectionKind]: KindSpec<z.ZodType<Record<string, unknown>>> } = {
  entra: { schema: entra, secretFields: ['clientSecret'], endpointFields: ['authorityHost', 'graphBaseUrl'] },
  okta: { schema: okta, secretFields: ['apiToken', 'privateKey'], endpointFields: ['orgUrl'] },
  // The token URL receives assertions signed with the key; the API root receives the access token.
  google: { schema: google, secretFields: ['serviceAccountKey'], endpointFields: ['rootUrl', 'tokenUrl'] },
  scim: { schema: scim, secretFields: [], endpointFields: [] },
};

export function parseKind(kind: string): ConnectionKind {
  if ((CONNECTION_KINDS as readonly string[]).includes(kind)) return kind as ConnectionKind;
  throw new ValidationError(`unknown connection kind "${kind}" (expected one of ${CONNECTION_KINDS.join(', ')})`);
}

export interface SplitSettings {
  settings: Record<string, unknown>;
  /** Null when the kind has no secret, or none was given. */
  secrets: Record<string, unknown> | null;
}

/** Validate a kind's full settings and split the secret fields off. */
export function validateSettings(kind: ConnectionKind, input: unknown): SplitSettings {
  const spec = CONNECTION_SPECS[kind];
  const parsed = parseWith(spec.schema, input ?? {}, `${kind} settings`);
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    (spec.secretFields.includes(key) ? secrets : settings)[key] = value;
  }
  return { settings, secrets: Object.keys(secrets).length ? secrets : null };
}

/** Two endpoint values name the same place (`https://x` and `https://x/` do). */
function sameEndpoint(a: unknown, b: unknown): boolean {
  const normal = (v: unknown) => {
    if (v === undefined || v === null || v === '') return '';
    try {
      return new URL(String(v).trim()).href;
    } catch {
      return String(v);
    }
  };
  return normal(a) === normal(b);
}

/**
 * New settings for an existing connection. The input replaces the
 * non-secret settings; a secret it leaves out keeps its stored value, so
 * tuning a timeout does not mean pasting the client secret again. But a
 * stored secret never follows a changed endpoint: whoever moves a
 * connection to another server must know its secret (otherwise a tenant
 * key could send the stored token to a server of its choosing).
 */
export function mergeSettings(
  kind: ConnectionKind,
  input: Record<string, unknown>,
  stored: { settings: Record<string, unknown>; secrets: Record<string, unknown> | null },
): SplitSettings {
  const spec = CONNECTION_SPECS[kind];
  const storedSecrets = stored.secrets && Object.keys(stored.secrets).length ? stored.secrets : null;
  const moved = spec.endpointFields.filter((k) => !sameEndpoint(input[k], stored.settings[k]));
  if (moved.length && storedSecrets) {
    if (!spec.secretFields.some((k) => k in input)) {
      const quoted = (keys: readonly string[]) => keys.map((k) => `"${k}"`).join(' and ');
      const secrets = spec.secretFields.filter((k) => k in storedSecrets);
      throw new ValidationError(
        `${kind} settings: changing ${quoted(moved)} sends the connection's credentials to a new server: give ${quoted(secrets)} again in the same update`,
        { details: { fields: secrets, endpoints: moved } },
      );
    }
    return validateSettings(kind, input);
  }
  try {
    return validateSettings(kind, input);
  } catch (err) {
    if (!storedSecrets) throw err;
    const carried = Object.fromEntries(Object.entries(storedSecrets).filter(([k]) => !(k in input)));
    return validateSettings(kind, { ...input, ...carried });
  }
}

export const MASK = '(set)';

/** Settings as shown to people: secrets present appear as "(set)", never their value. */
export function maskedSettings(kind: ConnectionKind, settings: Record<string, unknown>, secretKeys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...settings };
  for (const key of CONNECTION_SPECS[kind].secretFields) if (secretKeys.includes(key)) out[key] = MASK;
  return out;
}
