/**
 * The Zitadel connection's settings as the provider needs them, parsed from
 * what src/pull/providers/connection-settings.ts validated, with defaults.
 */
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { unusableSetting } from '../settings-fields.js';
import type { AttributeMapping } from '../types.js';

/** Fields of a v2 user the attribute mapping may name. */
export const USER_FIELDS = ['username', 'preferredLoginName', 'email', 'phone', 'givenName', 'familyName', 'nickName', 'displayName'] as const;
export type UserField = (typeof USER_FIELDS)[number];

export const DEFAULT_MAPPING: AttributeMapping = {
  userName: 'preferredLoginName',
  email: 'email',
  displayName: 'displayName',
  givenName: 'givenName',
  familyName: 'familyName',
};

/** The key file of a machine user (console: Service Users → Keys → JSON). */
export interface ServiceAccountKey {
  keyId: string;
  /** PEM, PKCS#1 or PKCS#8. */
  key: string;
  userId: string;
}

export type ZitadelAuth = { mode: 'pat'; token: string } | { mode: 'jwt-profile'; key: ServiceAccountKey };

export interface ZitadelSettings {
  baseUrl: string;
  auth: ZitadelAuth;
  organizationId: string | null;
  mapping: AttributeMapping;
  requestTimeoutMs: number;
  serverErrorRetries: number;
  retryDelayMs: number;
  /** Subtracted from an events watermark: events of transactions still open at the listing's start commit later. */
  deltaOverlapSeconds: number;
}

const field = z.enum(USER_FIELDS, { message: `must name a Zitadel user field (${USER_FIELDS.join(', ')})` });
const settingsSchema = z.looseObject({
  baseUrl: z.url({ protocol: /^https?$/ }),
  organizationId: z.string().min(1).optional(),
  attributeMapping: z.strictObject({ userName: field, email: field, displayName: field, givenName: field, familyName: field }).partial().optional(),
  requestTimeoutMs: z.number().int().positive().default(60_000),
  serverErrorRetries: z.number().int().min(0).max(10).default(2),
  retryDelayMs: z.number().int().min(0).default(500),
  deltaOverlapSeconds: z.number().int().min(0).default(120),
});
const keySchema = z.looseObject({ keyId: z.string().min(1), key: z.string().min(1), userId: z.string().min(1) });

const firstField = (error: z.ZodError) => error.issues[0]?.path.map(String).join('.') ?? '';

function parseKey(raw: unknown): ServiceAccountKey {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw unusableSetting('serviceAccountKey', 'Zitadel serviceAccountKey is not JSON: paste the key file the console downloads');
    }
  }
  const parsed = keySchema.safeParse(value);
  if (!parsed.success) throw unusableSetting('serviceAccountKey', `Zitadel serviceAccountKey: ${z.prettifyError(parsed.error)} (expected the JSON key file with keyId, key and userId)`);
  try {
    createPrivateKey(parsed.data.key);
  } catch (e) {
    throw unusableSetting('serviceAccountKey', `Zitadel serviceAccountKey: its "key" is not a private key in PEM (${e instanceof Error ? e.message : String(e)})`);
  }
  return { keyId: parsed.data.keyId, key: parsed.data.key, userId: parsed.data.userId };
}

export function parseZitadelSettings(settings: Record<string, unknown>, secrets: Record<string, unknown>): ZitadelSettings {
  const s = settingsSchema.safeParse(settings);
  if (!s.success) throw unusableSetting(firstField(s.error), `Zitadel connection settings: ${z.prettifyError(s.error)}`);
  let auth: ZitadelAuth;
  if (typeof secrets.personalAccessToken === 'string' && secrets.personalAccessToken !== '') auth = { mode: 'pat', token: secrets.personalAccessToken };
  else if (secrets.serviceAccountKey !== undefined) auth = { mode: 'jwt-profile', key: parseKey(secrets.serviceAccountKey) };
  else throw unusableSetting('personalAccessToken', 'Zitadel connection needs personalAccessToken, or serviceAccountKey (the machine user\'s JSON key file)');
  return {
    baseUrl: s.data.baseUrl.replace(/\/+$/, ''),
    auth,
    organizationId: s.data.organizationId ?? null,
    mapping: { ...DEFAULT_MAPPING, ...s.data.attributeMapping },
    requestTimeoutMs: s.data.requestTimeoutMs,
    serverErrorRetries: s.data.serverErrorRetries,
    retryDelayMs: s.data.retryDelayMs,
    deltaOverlapSeconds: s.data.deltaOverlapSeconds,
  };
}
