/**
 * API keys: what they look like, how they are hashed, and what a scope allows.
 * Keys are `rsk_` + 256 random bits (base64url); the log redaction knows the
 * prefix, so a key pasted into an error message never reaches a log line.
 */
import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_SCOPES = ['admin', 'login-sync'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const KEY_PREFIX = 'rsk_';
/** How much of a key listings show: the `rsk_` marker and 8 random characters. */
export const SHOWN_KEY_PREFIX_LENGTH = 12;

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
