/**
 * Roster's small set of typed errors. Each carries a stable `code`, the HTTP
 * status it maps to, and whether its message is safe to show to a caller.
 * Each surface turns them into its answer in one place: the JSON body of the
 * API and command endpoint (src/admin/api/errors.ts), the SCIM error body
 * (src/push/scim/errors.ts), the CLI's one line and exit code (src/admin/cli/errors.ts).
 * Anything that is not a RosterError is a programming error: a 500 (exit 70)
 * with a logged id, never a 400 echoing its message.
 */
export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'config'
  | 'store_busy'
  | 'rate_limited'
  | 'store_unavailable'
  | 'internal';

export interface RosterErrorOptions {
  cause?: unknown;
  /** Extra machine-readable facts (field names, conflicting values). */
  details?: Record<string, unknown>;
}

export class RosterError extends Error {
  readonly expose: boolean = true;
  readonly details?: Record<string, unknown>;
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    options: RosterErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.details) this.details = options.details;
  }
}

/** The caller sent something Roster cannot accept (bad JSON, unknown kind, missing field). */
export class ValidationError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super('invalid_input', 400, message, options);
  }
}

export class NotFoundError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super('not_found', 404, message, options);
  }
}

/** The change would break a uniqueness rule (duplicate userName, name taken). */
export class ConflictError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super('conflict', 409, message, options);
  }
}

export class UnauthorizedError extends RosterError {
  constructor(message = 'authentication required', options?: RosterErrorOptions) {
    super('unauthorized', 401, message, options);
  }
}

/** The caller is known but may not do this (wrong scope, another tenant's data). */
export class ForbiddenError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super('forbidden', 403, message, options);
  }
}

/** Roster is configured in a way that forbids the operation (e.g. no secret key to encrypt with). */
export class ConfigError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super('config', 500, message, options);
  }
}

/** The embedded database is held by another process that cannot serve this request. */
export class StoreBusyError extends RosterError {
  constructor(message: string, options?: RosterErrorOptions) {
    super('store_busy', 503, message, options);
  }
}

/** Too many requests from this caller (e.g. bad keys from one address); `retryAfterSeconds` goes in Retry-After. */
export class RateLimitedError extends RosterError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: RosterErrorOptions,
  ) {
    super('rate_limited', 429, message, options);
  }
}

/**
 * The database cannot be reached (a failover, a network partition, a server
 * restarting). A write cut off this way was rolled back, or (when the cut
 * came after its COMMIT left) applied: never half of it. The caller retries.
 */
export class StoreUnavailableError extends RosterError {
  constructor(message = 'the database is unavailable; retry shortly', options?: RosterErrorOptions) {
    super('store_unavailable', 503, message, options);
  }
}

export function isRosterError(err: unknown): err is RosterError {
  return err instanceof RosterError;
}

/** The error body of the API and the command endpoint (built by src/admin/api/errors.ts, read back by `fromErrorBody`). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown>; errorId?: string };
}

/** Rebuild a typed error from a response body (the CLI talking to a running server). */
export function fromErrorBody(status: number, body: unknown): RosterError {
  const e = (body as Partial<ErrorBody> | undefined)?.error;
  const message = typeof e?.message === 'string' ? e.message : `server answered HTTP ${status}`;
  const options = e?.details ? { details: e.details } : {};
  switch (e?.code) {
    case 'invalid_input':
      return new ValidationError(message, options);
    case 'not_found':
      return new NotFoundError(message, options);
    case 'conflict':
      return new ConflictError(message, options);
    case 'unauthorized':
      return new UnauthorizedError(message, options);
    case 'forbidden':
      return new ForbiddenError(message, options);
    case 'config':
      return new ConfigError(message, options);
    case 'store_busy':
      return new StoreBusyError(message, options);
    case 'rate_limited':
      return new RateLimitedError(message, 1, options);
    case 'store_unavailable':
      return new StoreUnavailableError(message, options);
    default:
      return new RosterError('internal', status, message, options);
  }
}
