/**
 * GET /api/v1/openapi.json: a valid OpenAPI 3.1 document (checked by
 * @apidevtools/swagger-parser against the OpenAPI schema) that describes
 * every route the server has registered under /api/v1, read from fastify's
 * own route table, not from our list.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from './support.js';

let h: ApiHarness;
let doc: { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

beforeAll(async () => {
  h = await apiHarness();
  const res = await h.get('/api/v1/openapi.json');
  expect(res.statusCode).toBe(200);
  doc = res.json();
});
afterAll(() => h.close());

/**
 * Every `METHOD /path` fastify serves, from printRoutes' tree: each line is a
 * path segment indented four characters per level, with its methods.
 */
function registeredRoutes(app: FastifyInstance): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) out.push(`${method} ${stack.join('')}`);
  }
  return out;
}

/** `/api/v1/connections/:id` and `/api/v1/connections/{id}` name the same route. */
const normalise = (path: string) => path.replace(/\{(\w+)\}/g, ':$1').toLowerCase();

describe('GET /api/v1/openapi.json', () => {
  it('is served without a key', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(doc.openapi).toBe('3.1.0');
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
    // The validator does catch a broken document: a response without its required description.
    const broken = structuredClone(doc);
    delete broken.paths['/api/v1/tenants']!.get.responses['200'].description;
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  it('describes every route registered under /api/v1, with the same method', () => {
    const registered = registeredRoutes(h.app).filter((r) => r.includes(' /api/v1/') && !r.startsWith('HEAD '));
    // The parser read the real table (not an empty one).
    expect(registered).toContain('GET /api/v1/connections/:id/report');
    expect(registered.length).toBeGreaterThanOrEqual(27);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${normalise(path)}`)),
    );
    const missing = registered.filter((r) => {
      const [method, path] = r.split(' ');
      return !documented.has(`${method} ${normalise(path!)}`);
    });
    expect(missing).toEqual([]);
  });

  it('documents only routes that exist', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        expect(h.app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `${method} ${path}`).toBe(true);
      }
    }
  });

  it('describes the login hook: a login-sync key, the lookup, and the live or stored answer', () => {
    const loginSync = doc.paths['/api/v1/login-sync']!.post;
    expect(loginSync['x-roster-scope']).toBe('login-sync');
    // The request body is documented from the route's own schema, the one that validates it.
    const request = loginSync.requestBody.content['application/json'].schema;
    expect(Object.keys(request.properties)).toEqual(['tenant', 'userName', 'email', 'externalId']);
    expect(doc.components.schemas.LoginSyncRequest).toBeUndefined();
    const response = doc.components.schemas.LoginSyncResponse;
    expect(response.properties.source.enum).toEqual(['live', 'stored']);
    expect(response.required).toEqual(expect.arrayContaining(['allowed', 'user', 'groups', 'roles', 'source', 'syncedAt']));
  });

  it('names statuses, scopes, parameters and bodies from the routes themselves', () => {
    const create = doc.paths['/api/v1/connections/{id}/scim-tokens']!.post;
    expect(Object.keys(create.responses)).toEqual(['201', '400', '401', '403', '404', '429']);
    expect(create.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ScimTokenCreated' });
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['name']);
    const revoke = doc.paths['/api/v1/connections/{id}/scim-tokens/{tokenId}']!.delete;
    expect(revoke.responses['204']).toEqual({ description: 'Done; no content' });
    expect(revoke.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['path:id', 'path:tokenId']);
    const events = doc.paths['/api/v1/events']!.get;
    expect(events.parameters.map((p: { name: string; required: boolean }) => `${p.name}:${p.required}`)).toEqual(['after:false', 'limit:false', 'tenant:false']);
    expect(doc.paths['/api/v1/connections/{id}/sync']!.post.responses['409']).toBeDefined();
    expect(doc.paths['/api/v1/openapi.json']!.get.security).toEqual([]);
  });
});
