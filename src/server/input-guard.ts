/**
 * Input every route gets checked, whatever the surface (src/core/input says why):
 * JSON bodies (fastify's own parser, which also refuses `__proto__` keys,
 * followed by the depth and character checks) and the path and query
 * parameters. The SCIM routes parse their bodies themselves, with the same
 * checks, to answer in SCIM's words; their path and query go through here,
 * and a ValidationError becomes a SCIM `invalidValue` at the SCIM edge.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from '../core/errors/index.js';
import { inspectJson } from '../core/input/index.js';

export function registerInputGuard(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      const problem = inspectJson(value, 'body');
      if (problem) return done(new ValidationError(problem.message, { details: { field: problem.path } }), undefined);
      done(null, value);
    });
  });
  // preValidation: after routing (the params are known) and before any handler reads them.
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const problem = inspectJson(request.params ?? {}, 'path') ?? inspectJson(request.query ?? {}, 'query');
    if (problem) throw new ValidationError(problem.message, { details: { field: problem.path } });
  });
}
