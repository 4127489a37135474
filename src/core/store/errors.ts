/**
 * Database errors as Roster's typed errors: a unique violation becomes a
 * ConflictError that says, in words, what is taken; a lost connection a
 * StoreUnavailableError (503). Any other error passes through unchanged
 * (and is a 500 at the edge).
 */
import { ConflictError, NotFoundError, StoreUnavailableError } from '../errors/index.js';

/** What the unique constraints mean, for a message a person can act on. */
const UNIQUE_MESSAGES: Record<string, (value: string) => string> = {
  users_tenant_username_uq: (v) => `userName "${v}" is already taken in this tenant`,
  roles_tenant_name_uq: (v) => `role "${v}" already exists in this tenant`,
  group_role_mappings_uq: () => 'this group-to-role mapping already exists',
  connections_tenant_name_uq: (v) => `connection "${v}" already exists in this tenant`,
  tenants_slug_unique: (v) => `tenant "${v}" already exists`,
};

interface PgErrorLike {
  code?: string;
  constraint?: string;
  constraint_name?: string;
  detail?: string;
  message?: string;
  cause?: unknown;
}

/** The driver's Postgres error, found through drizzle's wrapping. */
export function pgErrorOf(err: unknown): PgErrorLike | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const candidate = e as PgErrorLike;
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate;
    e = candidate.cause;
  }
  return undefined;
}

/**
 * How a lost or refused database connection shows: Node's socket errors,
 * postgres.js's own connection codes, and the SQLSTATEs of a server that
 * is going away or not yet accepting (class 08 connection exception,
 * 57P01-57P03 admin/crash shutdown and "cannot connect now").
 */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01',
  '57P02',
  '57P03',
]);

/** True when `err` (or what it wraps) says the database could not be reached, not that a statement was wrong. */
export function isConnectionError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e instanceof StoreUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The one translation of a lost database to the typed error every surface
 * answers 503 with; any other error is returned unchanged.
 */
export function asStoreUnavailable(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !isConnectionError(err)) return err;
  return new StoreUnavailableError(undefined, { cause: err });
}

/** Turn constraint violations into typed errors; anything else is rethrown as is. */
/**
 * A transaction the database aborted to break a lock cycle or a serialization
 * conflict with another transaction: nothing in its changes was wrong, and the
 * same changes apply when tried again on their own.
 */
export function isLockConflict(err: unknown): boolean {
  const code = pgErrorOf(err)?.code;
  return code === '40P01' || code === '40001';
}

export function translateDbError(err: unknown): unknown {
  if (isConnectionError(err)) return asStoreUnavailable(err);
  const pg = pgErrorOf(err);
  if (!pg) return err;
  if (pg.code === '23505') {
    const constraint = pg.constraint ?? pg.constraint_name ?? '';
    // detail: Key (tenant_id, lower(user_name))=(<uuid>, bob@x.test) already exists.
    const values = /\)=\((.*)\) already exists/.exec(pg.detail ?? '')?.[1] ?? '';
    const value = values.includes(', ') ? values.slice(values.lastIndexOf(', ') + 2) : values;
    const message = UNIQUE_MESSAGES[constraint]?.(value) ?? `duplicate value violates ${constraint || 'a unique rule'}`;
    return new ConflictError(message, { cause: err, details: { constraint } });
  }
  if (pg.code === '23503') return new NotFoundError('a referenced record does not exist in this tenant', { cause: err });
  return err;
}
