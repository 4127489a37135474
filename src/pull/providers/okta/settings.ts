/**
 * The Okta connection's settings as the provider needs them. src/pull/providers/connection-settings.ts
 * validates what is stored; this parses the same record into a typed value
 * with defaults (attribute mapping, timeouts, retry and rate-limit knobs).
 */
import { z } from 'zod';
import { unusableSetting } from '../settings-fields.js';

export type { AttributeMapping } from '../types.js';
import type { AttributeMapping } from '../types.js';

export const DEFAULT_MAPPING: AttributeMapping = {
  userName: 'login',
  email: 'email',
  displayName: 'displayName',
  givenName: 'firstName',
  familyName: 'lastName',
};

/** Management API scopes a service app needs (https://developer.okta.com/docs/guides/implement-oauth-for-okta/main/#scopes-and-supported-endpoints). */
export const OAUTH_SCOPES = ['okta.users.read', 'okta.groups.read'] as const;

export type OktaAuth =
  | { mode: 'ssws'; token: string }
  | { mode: 'oauth'; clientId: string; keyId: string; privateKey: string | Record<string, unknown> };

export interface OktaSettings {
  orgUrl: string;
  auth: OktaAuth;
  mapping: AttributeMapping;
  /** Per attempt of a request (node-fetch timeout). */
  requestTimeoutMs: number;
  /**
   * No longer used: a 429 is waited out for as long as the run's throttle
   * budget allows (client.ts, ../throttle.ts). Still read, so stored settings stay valid.
   */
  maxRetries: number;
  /** 5xx retries of a GET, with exponential backoff from `retryDelayMs`. */
  serverErrorRetries: number;
  retryDelayMs: number;
  /** Wait for the window's reset when fewer than this share of the budget remains. */
  rateLimitReserve: number;
  /** Subtracted from a delta watermark: Okta search is eventually consistent. */
  deltaOverlapSeconds: number;
}

const field = z.string().trim().regex(/^[A-Za-z0-9_]+$/, 'must name an Okta profile attribute (letters, digits, _)');

const settingsSchema = z.looseObject({
  orgUrl: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1).optional(),
  keyId: z.string().min(1).optional(),
  attributeMapping: z
    .strictObject({ userName: field, email: field, displayName: field, givenName: field, familyName: field })
    .partial()
    .optional(),
  requestTimeoutMs: z.number().int().positive().default(100_000),
  maxRetries: z.number().int().min(0).max(10).default(2),
  serverErrorRetries: z.number().int().min(0).max(10).default(2),
  retryDelayMs: z.number().int().min(0).default(500),
  rateLimitReserve: z.number().min(0).max(0.9).default(0.1),
  deltaOverlapSeconds: z.number().int().min(0).default(120),
});

const secretsSchema = z.looseObject({
  apiToken: z.string().min(1).optional(),
  privateKey: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
});

const firstField = (error: z.ZodError) => error.issues[0]?.path.map(String).join('.') ?? '';

export function parseOktaSettings(settings: Record<string, unknown>, secrets: Record<string, unknown>): OktaSettings {
  const s = settingsSchema.safeParse(settings);
  const k = secretsSchema.safeParse(secrets);
  if (!s.success) throw unusableSetting(firstField(s.error), `Okta connection settings: ${z.prettifyError(s.error)}`);
  if (!k.success) throw unusableSetting(firstField(k.error), `Okta connection secrets: ${z.prettifyError(k.error)}`);
  const { apiToken, privateKey } = k.data;
  const { clientId, keyId } = s.data;
  let auth: OktaAuth;
  if (apiToken !== undefined) auth = { mode: 'ssws', token: apiToken };
  else if (clientId !== undefined && keyId !== undefined && privateKey !== undefined) auth = { mode: 'oauth', clientId, keyId, privateKey };
  else throw unusableSetting('apiToken', 'Okta connection needs apiToken, or clientId + privateKey + keyId (OAuth service app)');
  return {
    orgUrl: s.data.orgUrl.replace(/\/+$/, ''),
    auth,
    mapping: { ...DEFAULT_MAPPING, ...s.data.attributeMapping },
    requestTimeoutMs: s.data.requestTimeoutMs,
    maxRetries: s.data.maxRetries,
    serverErrorRetries: s.data.serverErrorRetries,
    retryDelayMs: s.data.retryDelayMs,
    rateLimitReserve: s.data.rateLimitReserve,
    deltaOverlapSeconds: s.data.deltaOverlapSeconds,
  };
}
