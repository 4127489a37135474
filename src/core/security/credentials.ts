/**
 * The secrets Roster hands out, one place for what they look like and how
 * they are kept: SCIM bearer tokens (`rst_`) and admin API keys (`rsk_`),
 * each 256 random bits (base64url), stored only as a SHA-256 hash. The log
 * redaction knows both prefixes, so one pasted into an error message never
 * reaches a log line. Below operations/, scim/ and api/, which all use it.
 */
import { createHash, randomBytes } from 'node:crypto';

/** What an API key may reach: the admin API, or only the login hook. */
export const API_KEY_SCOPES = ['admin', 'login-sync'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const SCIM_TOKEN_PREFIX = 'rst_';
const API_KEY_PREFIX = 'rsk_';

/** How much of a token or key listings show: the marker and 8 random characters. */
export const SHOWN_PREFIX_LENGTH = 12;

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

export function generateScimToken(): string {
  return SCIM_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashScimToken(token: string): string {
  return sha256Hex(token);
}

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}
