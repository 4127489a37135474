/**
 * Database errors as Roster's typed errors: a unique violation becomes a
 * ConflictError that says, in words, what is taken. Any other error passes
 * through unchanged (and is a 500 at the edge).
 */
import { ConflictError, NotFoundError } from '../errors/index.js';

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

/** Turn constraint violations into typed errors; anything else is rethrown as is. */
export function translateDbError(err: unknown): unknown {
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
