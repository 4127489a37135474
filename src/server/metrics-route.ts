/**
 * `GET /metrics`, on the main server or on its own (ROSTER_METRICS_PORT).
 * With ROSTER_METRICS_TOKEN set it answers only a matching bearer token,
 * compared in constant time: the metrics name every tenant and connection.
 */
import type { FastifyInstance } from 'fastify';
import { apiErrorResponse } from '../admin/api/errors.js';
import { UnauthorizedError } from '../core/errors/index.js';
import { metrics } from '../core/metrics/index.js';
import { bearerOf, tokenMatches } from '../core/security/bearer.js';

export function registerMetricsRoute(app: FastifyInstance, options: { token?: string | undefined }): void {
  app.get('/metrics', async (request, reply) => {
    if (options.token !== undefined && !tokenMatches(bearerOf(request.headers.authorization), options.token)) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="roster metrics"')
        .send(apiErrorResponse(new UnauthorizedError('a valid metrics token is required (Authorization: Bearer <ROSTER_METRICS_TOKEN>)')).body);
    }
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
