/**
 * The Keycloak connection's settings as the provider needs them: what
 * src/pull/providers/connection-settings.ts validated, parsed into a typed
 * value with defaults.
 */
import { z } from 'zod';
import { unusableSetting } from '../settings-fields.js';
import type { AttributeMapping } from '../types.js';

/**
 * Keycloak's user fields; `attributes.<name>` reads a user attribute (its
 * first value). Keycloak has no display name field: a `displayName`
 * attribute where the realm keeps one, else the names joined (map.ts).
 */
export const DEFAULT_MAPPING: AttributeMapping = {
  userName: 'username',
  email: 'email',
  displayName: 'attributes.displayName',
  givenName: 'firstName',
  familyName: 'lastName',
};

export interface KeycloakSettings {
  baseUrl: string;
  realm: string;
  clientId: string;
  clientSecret: string;
  mapping: AttributeMapping;
  pageSize: number;
  requestTimeoutMs: number;
  serverErrorRetries: number;
  retryDelayMs: number;
}

const field = z
  .string()
  .trim()
  .regex(/^(username|email|firstName|lastName|attributes\.[A-Za-z0-9_.:-]+)$/, 'must be username, email, firstName, lastName or attributes.<name>');

const settingsSchema = z.looseObject({
  baseUrl: z.url({ protocol: /^https?$/ }),
  realm: z.string().trim().min(1),
  clientId: z.string().trim().min(1),
  attributeMapping: z
    .strictObject({ userName: field, email: field, displayName: field, givenName: field, familyName: field })
    .partial()
    .optional(),
  pageSize: z.number().int().min(1).max(1000).default(100),
  requestTimeoutMs: z.number().int().positive().default(60_000),
  serverErrorRetries: z.number().int().min(0).max(10).default(2),
  retryDelayMs: z.number().int().min(0).default(500),
});

const secretsSchema = z.looseObject({ clientSecret: z.string().min(1, 'is required') });

const firstField = (error: z.ZodError) => error.issues[0]?.path.map(String).join('.') ?? '';

export function parseKeycloakSettings(settings: Record<string, unknown>, secrets: Record<string, unknown>): KeycloakSettings {
  const s = settingsSchema.safeParse(settings);
  if (!s.success) throw unusableSetting(firstField(s.error), `Keycloak connection settings: ${z.prettifyError(s.error)}`);
  const k = secretsSchema.safeParse(secrets);
  if (!k.success) throw unusableSetting('clientSecret', `Keycloak connection secrets: clientSecret is required (the service-account client's secret)`);
  return {
    baseUrl: s.data.baseUrl.replace(/\/+$/, ''),
    realm: s.data.realm,
    clientId: s.data.clientId,
    clientSecret: k.data.clientSecret,
    mapping: { ...DEFAULT_MAPPING, ...s.data.attributeMapping },
    pageSize: s.data.pageSize,
    requestTimeoutMs: s.data.requestTimeoutMs,
    serverErrorRetries: s.data.serverErrorRetries,
    retryDelayMs: s.data.retryDelayMs,
  };
}
