/**
 * The OpenAPI 3.1 description of /api/v1, built from the same route list
 * fastify serves (src/admin/api/route.ts) and zod 4's own JSON Schema output
 * (`z.toJSONSchema`). OpenAPI 3.1 schemas are JSON Schema 2020-12, which is
 * what zod emits, so the schemas go in as they are. Request schemas are the
 * operations' input schemas, described as the caller sends them (`io:
 * 'input'`: a query number is the text it arrives as).
 */
import { z } from 'zod';
import type { ApiRoute, HttpMethod } from '../route.js';
import { COMPONENT_SCHEMAS, type ComponentName } from './schemas.js';

type JsonSchema = Record<string, unknown>;

/** A route another module serves under /api/v1, described here so the document is whole. */
export type DescribedRoute = Pick<ApiRoute, 'method' | 'path' | 'operationId' | 'summary' | 'description' | 'tag' | 'status' | 'response' | 'errors'> & {
  scope: 'admin' | 'login-sync' | 'none';
  body?: ComponentName;
};

export const OPENAPI_PATH = '/openapi.json';

/** Routes served outside the route list, described here so the document is whole. */
export const DESCRIBED_ROUTES: DescribedRoute[] = [
  {
    method: 'GET',
    path: OPENAPI_PATH,
    operationId: 'openApiDocument',
    summary: 'This OpenAPI 3.1 document (no key needed)',
    tag: 'meta',
    scope: 'none',
    status: 200,
  },
];

function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Path and query parameters, one per property of the route's schema. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input; the message names the field',
  401: 'Missing, unknown or revoked key',
  403: 'The key\'s scope (or its tenant restriction) does not allow this',
  404: 'Not found (or in a tenant the key does not reach)',
  409: 'Conflict with the current state',
  429: 'Too many requests with a bad key from this address; wait for Retry-After seconds',
};

function success(status: number, response: string | undefined): JsonSchema {
  if (status === 204) return { description: 'Done; no content' };
  return { description: status === 201 ? 'Created' : 'OK', content: { 'application/json': { schema: response ? ref(response) : { type: 'object' } } } };
}

function responses(status: number, response: string | undefined, errors: number[], secured: boolean) {
  const out: Record<string, unknown> = { [status]: success(status, response) };
  const all = secured ? [400, 401, 403, 429, ...errors] : errors;
  for (const code of all) out[code] = { description: ERROR_TEXT[code], content: { 'application/json': { schema: ref('ErrorResponse') } } };
  return out;
}

interface Operation {
  method: HttpMethod;
  path: string;
  operation: JsonSchema;
}

/** What a served route and a described one have in common, as an OpenAPI operation. */
function operationOf(
  route: ApiRoute | DescribedRoute,
  details: { parameters?: JsonSchema[]; requestBody?: JsonSchema | undefined },
): Operation {
  const secured = route.scope !== 'none';
  return {
    method: route.method,
    path: route.path,
    operation: {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      ...(secured ? { 'x-roster-scope': route.scope } : { security: [] }),
      ...(details.parameters ? { parameters: details.parameters } : {}),
      ...(details.requestBody ? { requestBody: details.requestBody } : {}),
      responses: responses(route.status, route.response, route.errors ?? [], secured),
    },
  };
}

function servedOperation(route: ApiRoute): Operation {
  const body = route.body ? jsonSchema(route.body) : undefined;
  return operationOf(route, {
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    requestBody: body && { required: ((body.required as string[] | undefined) ?? []).length > 0, content: { 'application/json': { schema: body } } },
  });
}

function describedOperation(route: DescribedRoute): Operation {
  return operationOf(route, { requestBody: route.body ? { required: true, content: { 'application/json': { schema: ref(route.body) } } } : undefined });
}

export function buildOpenApiDocument(routes: readonly ApiRoute[], options: { version: string; prefix: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { method, path, operation } of [...routes.map(servedOperation), ...DESCRIBED_ROUTES.map(describedOperation)]) {
    (paths[options.prefix + path] ??= {})[method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Roster admin API',
      version: options.version,
      description:
        'Every route takes `Authorization: Bearer <key>`: an API key (`roster api-key create`) or ROSTER_ADMIN_TOKEN. `x-roster-scope` names the key scope a route needs. A key restricted to a tenant reaches only that tenant: anything else answers 404. Errors have one shape, ErrorResponse.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: ['tenants', 'connections', 'runs', 'scim-tokens', 'roles', 'users', 'events', 'login-sync', 'webhooks', 'api-keys', 'meta'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key (rsk_...) or ROSTER_ADMIN_TOKEN' } },
      schemas: Object.fromEntries(Object.entries(COMPONENT_SCHEMAS).map(([name, schema]) => [name, jsonSchema(schema)])),
    },
  };
}
