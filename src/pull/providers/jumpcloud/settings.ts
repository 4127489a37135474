/**
 * The JumpCloud connection's settings as the provider needs them.
 * src/pull/providers/connection-settings.ts validates what is stored; this
 * parses the same record into a typed value with defaults.
 */
import { z } from 'zod';
import { unusableSetting } from '../settings-fields.js';
import type { AttributeMapping } from '../types.js';

export const DEFAULT_BASE_URL = 'https://console.jumpcloud.com';
/** The documented base of Directory Insights (https://docs.jumpcloud.com/api/insights/directory/1.0/index.html): `POST {base}/events`. */
export const DEFAULT_INSIGHTS_URL = 'https://api.jumpcloud.com/insights/directory/v1';
/** JumpCloud's cap for `limit` on v1 and v2 listings. */
export const MAX_PAGE = 100;

export const DEFAULT_MAPPING: AttributeMapping = {
  userName: 'username',
  email: 'email',
  displayName: 'displayname',
  givenName: 'firstname',
  familyName: 'lastname',
};

export interface JumpCloudSettings {
  /** Attributes the connection's expressions read (ProviderContext.sourceAttributes): the listing's `fields` must name them. */
  source?: readonly string[] | null;
  baseUrl: string;
  insightsUrl: string;
  apiKey: string;
  orgId: string | null;
  pageSize: number;
  mapping: AttributeMapping;
  requestTimeoutMs: number;
  /** 5xx and dropped-connection retries of a read, with exponential backoff from `retryDelayMs`. */
  serverErrorRetries: number;
  retryDelayMs: number;
  /** Directory Insights events are written a little after the change: a delta reads again from this long before its watermark. */
  deltaOverlapSeconds: number;
}

// Top-level systemuser attributes only: they are also what `fields` asks for.
const field = z.string().trim().regex(/^[A-Za-z0-9_]+$/, 'must name a JumpCloud user attribute (letters, digits, _)');

const settingsSchema = z.looseObject({
  baseUrl: z.url({ protocol: /^https?$/ }).default(DEFAULT_BASE_URL),
  insightsUrl: z.url({ protocol: /^https?$/ }).default(DEFAULT_INSIGHTS_URL),
  orgId: z.string().min(1).optional(),
  pageSize: z.number().int().min(1).max(MAX_PAGE).default(MAX_PAGE),
  attributeMapping: z
    .strictObject({ userName: field, email: field, displayName: field, givenName: field, familyName: field })
    .partial()
    .optional(),
  requestTimeoutMs: z.number().int().positive().default(60_000),
  serverErrorRetries: z.number().int().min(0).max(10).default(2),
  retryDelayMs: z.number().int().min(0).default(500),
  deltaOverlapSeconds: z.number().int().min(0).default(300),
});

const secretsSchema = z.looseObject({ apiKey: z.string().trim().min(1, 'is required') });

const firstField = (error: z.ZodError) => error.issues[0]?.path.map(String).join('.') ?? '';
const trimSlash = (url: string) => url.replace(/\/+$/, '');

export function parseJumpCloudSettings(settings: Record<string, unknown>, secrets: Record<string, unknown>): JumpCloudSettings {
  const s = settingsSchema.safeParse(settings);
  if (!s.success) throw unusableSetting(firstField(s.error), `JumpCloud connection settings: ${z.prettifyError(s.error)}`);
  const k = secretsSchema.safeParse(secrets);
  if (!k.success) throw unusableSetting('apiKey', 'JumpCloud connection needs apiKey (an admin API key)');
  return {
    baseUrl: trimSlash(s.data.baseUrl),
    insightsUrl: trimSlash(s.data.insightsUrl),
    apiKey: k.data.apiKey,
    orgId: s.data.orgId ?? null,
    pageSize: s.data.pageSize,
    mapping: { ...DEFAULT_MAPPING, ...s.data.attributeMapping },
    requestTimeoutMs: s.data.requestTimeoutMs,
    serverErrorRetries: s.data.serverErrorRetries,
    retryDelayMs: s.data.retryDelayMs,
    deltaOverlapSeconds: s.data.deltaOverlapSeconds,
  };
}
