/**
 * The command endpoint's streamed answer, for a CLI that asks for it with
 * `Accept: application/x-ndjson`: one JSON object per line while the
 * operation runs, so a `roster sync` sent through a running server shows the
 * same live progress as in process, and a long sync is not cut by an HTTP
 * timeout.
 *
 *   {"progress":{"pages":3,"users":600,"groups":0}}   at most ten a second
 *   {"alive":true}                                     every 15 s without progress
 *   {"result":...}                                     last line, on success
 *   {"status":409,"error":{"code":"conflict",...}}     last line, on failure
 *
 * The HTTP status is 200 once streaming starts, so a failure travels in the
 * last line with the status and body the error handler would have sent
 * (apiErrorResponse: an unknown error is a 500 with a logged id).
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { apiErrorResponse } from '../admin/api/errors.js';
import type { Logger } from '../core/logging/index.js';

export const NDJSON = 'application/x-ndjson';
const PROGRESS_INTERVAL_MS = 100;
const ALIVE_INTERVAL_MS = 15_000;

export function wantsStream(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((part) => part.trim().split(';')[0] === NDJSON);
}

export function streamOperation(
  reply: FastifyReply,
  logger: Logger,
  context: { method: string; url: string },
  run: (progress: (counts: Record<string, number>) => void) => Promise<unknown>,
): FastifyReply {
  const out = new PassThrough();
  const line = (value: unknown) => {
    if (!out.writableEnded) out.write(`${JSON.stringify(value)}\n`);
  };
  let lastProgress = 0;
  let lastLine = Date.now();
  const alive = setInterval(() => {
    if (Date.now() - lastLine >= ALIVE_INTERVAL_MS) line({ alive: true });
  }, ALIVE_INTERVAL_MS / 3);
  const progress = (counts: Record<string, number>) => {
    const now = Date.now();
    if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
    lastProgress = lastLine = now;
    line({ progress: counts });
  };
  void run(progress)
    .then(
      (result) => line({ result }),
      (err: unknown) => {
        const { status, body, errorId } = apiErrorResponse(err);
        if (status >= 500) logger.error(`request failed (id ${errorId})`, { ...context, error: err });
        line({ status, ...body });
      },
    )
    .finally(() => {
      clearInterval(alive);
      out.end();
    });
  return reply.type(NDJSON).header('cache-control', 'no-store').send(out);
}
