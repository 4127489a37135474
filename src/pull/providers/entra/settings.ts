/**
 * Entra connection settings as the provider uses them. src/pull/providers/connection-settings.ts
 * validates what is stored; this reads it once more with defaults, because a
 * provider must not trust that a caller went through that path. Unusable
 * settings throw a ConfigError naming the field (../settings-fields.ts).
 */
import { DEFAULT_THROTTLE_BUDGET_SECONDS, MAX_THROTTLE_BUDGET_SECONDS } from '../throttle.js';
import { unusableSetting } from '../settings-fields.js';

export const PUBLIC_GRAPH = 'https://graph.microsoft.com';
export const PUBLIC_AUTHORITY = 'https://login.microsoftonline.com';

export type { AttributeMapping } from '../types.js';
import type { AttributeMapping } from '../types.js';

export const DEFAULT_MAPPING: AttributeMapping = {
  userName: 'userPrincipalName',
  email: 'mail',
  displayName: 'displayName',
  givenName: 'givenName',
  familyName: 'surname',
};

export interface EntraSettings {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Origin of Graph, no trailing slash (national clouds: https://graph.microsoft.us, ...). */
  graphBaseUrl: string;
  authorityHost: string;
  mapping: AttributeMapping;
  /** Upper bound for one attempt of a Graph call. */
  requestTimeoutMs: number;
  /** Retries of a 5xx or a dropped connection, `retryDelayMs` doubling apart (or as Retry-After asks). */
  serverErrorRetries: number;
  retryDelayMs: number;
  /** How long one run may wait out throttling (../throttle.ts). */
  throttleBudgetMs: number;
  /**
   * Further properties the connection's attribute expressions read (extension
   * attributes `extension_<appId>_<name>`, `onPremisesExtensionAttributes`...),
   * or null when it has none: Graph returns them only when $selected.
   */
  source?: string[] | null;
}

/** A property name the expressions read that can go into $select (an extension attribute's name can be long). */
export const SOURCE_PROPERTY = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

// A Graph property name: it goes into $select and $filter, so nothing else may pass.
const PROPERTY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function text(source: Record<string, unknown>, key: string): string {
  const v = source[key];
  if (typeof v !== 'string' || v.trim() === '') throw unusableSetting(key, `Entra setting ${key} is missing`);
  return v.trim();
}

function origin(value: unknown, fallback: string, key: string): string {
  if (value === undefined || value === null || value === '') return fallback;
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw unusableSetting(key, `Entra setting ${key} is not a URL`);
  }
  // The Graph client sends its token only over https, and @azure/identity refuses an http authority.
  if (url.protocol !== 'https:') throw unusableSetting(key, `Entra setting ${key} must be an https URL`);
  return url.origin;
}

export function readSettings(settings: Record<string, unknown>, secrets: Record<string, unknown>): EntraSettings {
  const mapping = { ...DEFAULT_MAPPING };
  const raw = settings.attributeMapping;
  if (raw && typeof raw === 'object') {
    for (const [field, property] of Object.entries(raw as Record<string, unknown>)) {
      if (!(field in mapping)) throw unusableSetting(`attributeMapping.${field}`, `attributeMapping.${field} is not a mapped field`);
      if (typeof property !== 'string' || !PROPERTY.test(property)) {
        throw unusableSetting(`attributeMapping.${field}`, `attributeMapping.${field} must be a Graph user property name`);
      }
      mapping[field as keyof AttributeMapping] = property;
    }
  }
  const timeout = Number(settings.requestTimeoutMs ?? 120_000);
  const count = (key: string, fallback: number, max: number) => {
    const v = Number(settings[key] ?? fallback);
    return Number.isFinite(v) && v >= 0 ? Math.min(v, max) : fallback;
  };
  return {
    tenantId: text(settings, 'tenantId'),
    clientId: text(settings, 'clientId'),
    clientSecret: text(secrets, 'clientSecret'),
    graphBaseUrl: origin(settings.graphBaseUrl, PUBLIC_GRAPH, 'graphBaseUrl'),
    authorityHost: origin(settings.authorityHost, PUBLIC_AUTHORITY, 'authorityHost'),
    mapping,
    requestTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 120_000,
    serverErrorRetries: Math.floor(count('serverErrorRetries', 3, 10)),
    retryDelayMs: count('retryDelayMs', 1000, 60_000),
    throttleBudgetMs: count('throttleBudgetSeconds', DEFAULT_THROTTLE_BUDGET_SECONDS, MAX_THROTTLE_BUDGET_SECONDS) * 1000,
  };
}
