/**
 * The one mapping from anything thrown on the JSON surface (/api/v1, the
 * command endpoint, streamed or not, the probes and /metrics) to an HTTP
 * status and the `{ "error": { code, message } }` body. Roster's typed
 * errors (src/core/errors) keep their status and message; fastify's own 4xx
 * errors (malformed JSON, wrong content type) are the caller's fault and
 * safe to show; a lost database is a 503. Anything else is a programming
 * error: a 500 naming only the logged error id, never its message.
 */
import { randomUUID } from 'node:crypto';
import { isRosterError, ValidationError, type ErrorBody } from '../../core/errors/index.js';
import { asStoreUnavailable } from '../../core/store/index.js';

function fastifyClientError(err: unknown): ValidationError | undefined {
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.code === 'string' && e.code.startsWith('FST_') && e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new ValidationError(e.message ?? 'bad request');
  }
  return undefined;
}

/** `errorId` names the failure in the log line a caller writes for a status of 500 or more. */
export function apiErrorResponse(thrown: unknown): { status: number; body: ErrorBody; errorId: string } {
  const errorId = randomUUID().slice(0, 8);
  const err = isRosterError(thrown) ? thrown : (fastifyClientError(thrown) ?? asStoreUnavailable(thrown));
  if (isRosterError(err) && err.expose) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.details) body.error.details = err.details;
    return { status: err.status, body, errorId };
  }
  return {
    status: 500,
    body: { error: { code: 'internal', message: `internal error (id ${errorId}); see the server log`, errorId } },
    errorId,
  };
}
