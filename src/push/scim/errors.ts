/**
 * SCIM errors, built in one place (RFC 7644 §3.12). Parsers return results
 * instead of throwing; the SCIM surface turns whatever was thrown (a
 * ScimError, a Roster error, fastify's own client errors) into the SCIM
 * error response at one edge: `scimErrorResponse`.
 */
import { randomUUID } from 'node:crypto';
import { isRosterError } from '../../core/errors/index.js';
import { asStoreUnavailable } from '../../core/store/errors.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Largest request body accepted (RFC 7644 §3.12: 413 above it). */
export const SCIM_BODY_LIMIT = 2 * 1024 * 1024;

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

/** Fastify's own client errors (bad JSON, body too large, wrong media type) as SCIM errors. */
function fastifyClientError(err: unknown): ScimError | undefined {
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return scimErrors.payloadTooLarge(`the request body is larger than ${SCIM_BODY_LIMIT} bytes`);
  if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ScimError(415, undefined, 'send application/scim+json or application/json');
  if (e?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return scimErrors.invalidSyntax('the request body is empty');
  if (e instanceof SyntaxError || e?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return scimErrors.invalidSyntax(`the request body is not valid JSON: ${e.message}`);
  if (e?.code?.startsWith('FST_') && e.statusCode && e.statusCode < 500) return scimErrors.invalidSyntax(e.message ?? 'bad request');
  return undefined;
}

/**
 * Roster's typed errors keep their meaning (a duplicate userName is 409
 * uniqueness, a lost database 503); anything unknown is a 500 whose detail
 * only names the logged error id.
 */
function toScimError(cause: unknown, errorId: string): ScimError {
  if (cause instanceof ScimError) return cause;
  const fromFastify = fastifyClientError(cause);
  if (fromFastify) return fromFastify;
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

function scimErrorBody(err: ScimError): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [SCIM_ERROR_SCHEMA], status: String(err.status), detail: err.message };
  if (err.scimType) body.scimType = err.scimType;
  return body;
}

/**
 * The one mapping from anything thrown on the SCIM surface to its status and
 * RFC 7644 §3.12 error body; `errorId` names it in the log line of a 5xx.
 */
export function scimErrorResponse(err: unknown): { status: number; body: ScimErrorBody; errorId: string } {
  const errorId = randomUUID().slice(0, 8);
  const scim = toScimError(err, errorId);
  return { status: scim.status, body: scimErrorBody(scim), errorId };
}
