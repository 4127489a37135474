/**
 * Bearer credentials, as every edge reads them (RFC 6750 §2.1): the SCIM
 * tokens, API keys, the admin, command and metrics tokens.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison: equal-length digests, so neither length nor prefix leaks. */
export function tokenMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The credential of an `Authorization: Bearer <credential>` header, or undefined. */
export function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}
