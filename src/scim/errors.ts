/**
 * SCIM errors, built in one place (RFC 7644 §3.12). Parsers return results
 * instead of throwing; routes turn a ScimError (or a Roster error) into the
 * SCIM error body at one edge.
 */
import { isRosterError } from '../errors/index.js';
import { asStoreUnavailable } from '../store/errors.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** RFC 7644 Table 9, the closed set of `scimType` values. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export const scimErrors = {
  invalidFilter: (detail: string) => new ScimError(400, 'invalidFilter', detail),
  invalidSyntax: (detail: string) => new ScimError(400, 'invalidSyntax', detail),
  invalidPath: (detail: string) => new ScimError(400, 'invalidPath', detail),
  noTarget: (detail: string) => new ScimError(400, 'noTarget', detail),
  invalidValue: (detail: string) => new ScimError(400, 'invalidValue', detail),
  mutability: (detail: string) => new ScimError(400, 'mutability', detail),
  uniqueness: (detail: string) => new ScimError(409, 'uniqueness', detail),
  tooMany: (detail: string) => new ScimError(400, 'tooMany', detail),
  notFound: (detail: string) => new ScimError(404, undefined, detail),
  unauthorized: (detail = 'a valid bearer token is required') => new ScimError(401, undefined, detail),
  preconditionFailed: (detail: string) => new ScimError(412, undefined, detail),
  payloadTooLarge: (detail: string) => new ScimError(413, undefined, detail),
  tooManyRequests: (detail: string) => new ScimError(429, undefined, detail),
};

/** Parsers return one of these rather than throwing. */
export type Result<T, E = ScimError> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = <E = ScimError>(error: E): Result<never, E> => ({ ok: false, error });

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/**
 * The one mapping to a SCIM error response. Roster's typed errors keep their
 * meaning (a duplicate userName is 409 uniqueness, a lost database 503);
 * anything unknown is a 500
 * whose detail only names the logged error id.
 */
export function toScimError(cause: unknown, errorId: string): ScimError {
  if (cause instanceof ScimError) return cause;
  // A lost database is a 503 with the same detail every surface gives.
  const err = asStoreUnavailable(cause);
  if (isRosterError(err) && err.expose) {
    switch (err.code) {
      case 'conflict':
        return scimErrors.uniqueness(err.message);
      case 'not_found':
        return scimErrors.notFound(err.message);
      case 'invalid_input':
        return scimErrors.invalidValue(err.message);
      case 'unauthorized':
        return scimErrors.unauthorized(err.message);
      default:
        return new ScimError(err.status, undefined, err.message);
    }
  }
  return new ScimError(500, undefined, `internal error (id ${errorId}); see the server log`);
}

export function scimErrorBody(err: ScimError): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [SCIM_ERROR_SCHEMA], status: String(err.status), detail: err.message };
  if (err.scimType) body.scimType = err.scimType;
  return body;
}
