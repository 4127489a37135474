/**
 * The SCIM 2.0 HTTP surface (RFC 7644), mounted at `/scim/v2` (the token
 * decides the connection) and `/scim/v2/enterprise-idps/{connectionId}` (the
 * token must belong to that connection). Routes only parse, call the service
 * and format; errors become SCIM error bodies in one place.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { inspectJson } from '../../core/input/index.js';
import type { Logger } from '../../core/logging/index.js';
import type { BadKeyLimiter } from '../../core/security/bad-keys.js';
import {
  getScimGroupsByIdIn,
  getScimUsersByIdIn,
  getScimUsersByUserNameIn,
  listScimGroupRows,
  listScimUserRows,
  touchScimToken,
  type Db,
  type ListOptions,
  type Page,
  type Store,
} from '../../core/store/index.js';
import { ScimTokenCache, authenticateScim, type ScimCaller } from './auth.js';
import { LastUsedRecorder } from '../../core/security/last-used.js';
import { MAX_PAGE_SIZE, listResponse, resourceTypes, schemas, serviceProviderConfig } from './discovery.js';
import { SCIM_BODY_LIMIT, ScimError, scimErrorResponse, scimErrors } from './errors.js';
import { GROUP_FILTER_CATALOG, USER_FILTER_CATALOG, filterToSql, parseScimFilter, sortColumn, type FilterCatalog } from './filter/index.js';
import { metrics } from '../../core/metrics/index.js';
import { takeToken } from './rate-limit.js';
import { LIST_RESPONSE_SCHEMA } from './resources/common.js';
import { isExcluded, parseAttributeList, projectResource } from './resources/projection.js';
import type { GroupRowForScim } from './resources/group.js';
import { renderUser, type UserRowForScim } from './resources/user.js';
import { parseSearchRequest, type SearchQuery } from './search.js';
import { orThrow, type ScimRequestContext } from './service/context.js';
import { WriteCoalescer } from './service/coalescer.js';
import { RowLoader } from './service/loader.js';
import * as groups from './service/groups.js';
import * as users from './service/users.js';
import { recordRefusal } from './service/refusals.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export interface ScimRoutesOptions {
  db: Db;
  logger: Logger;
  /** Shared by the two SCIM prefixes; started and stopped with the server. */
  tokens?: ScimTokenCache;
  /**
   * ROSTER_PUBLIC_URL: the base of `meta.location` and `Location`. Without it
   * they are built from the request (protocol and Host header), which the
   * client chooses: set it wherever answers may reach anyone but the caller.
   */
  publicUrl?: string | undefined;
  /** Throttles addresses that present bad tokens (shared with /api/v1). */
  badKeys?: BadKeyLimiter | undefined;
}

/** A list's query string; a POST .search body is turned into the same (search.ts). */
type ListQuery = SearchQuery;

declare module 'fastify' {
  interface FastifyRequest {
    scimCaller?: ScimCaller;
  }
}

/**
 * Past any table Roster could hold, and still an exact integer that Postgres
 * takes as an OFFSET: a larger startIndex (`1` and 23 zeros) is read as this.
 */
const MAX_START_INDEX = Number.MAX_SAFE_INTEGER;

/**
 * `startIndex`/`count` per RFC 7644 §3.4.2.4: 1-based; a startIndex below 1 is
 * read as 1, a negative count as 0, a count above the page size as the page
 * size. Only whole numbers written as digits are accepted (`1e23` and `1.5`
 * are not integers as the RFC writes them), and however many digits they
 * have, what reaches SQL is clamped into range.
 */
function paging(query: ListQuery): { startIndex: number; count: number } {
  const int = (v: string | undefined, name: string) => {
    if (v === undefined || v === '') return undefined;
    if (!/^[-+]?\d+$/.test(v.trim())) throw scimErrors.invalidValue(`"${name}" must be an integer`);
    return Number(v.trim());
  };
  const startIndex = Math.min(MAX_START_INDEX, Math.max(1, int(query.startIndex, 'startIndex') ?? 1));
  const count = Math.min(MAX_PAGE_SIZE, Math.max(0, int(query.count, 'count') ?? MAX_PAGE_SIZE));
  return { startIndex, count };
}

function listOptions(query: ListQuery, catalog: FilterCatalog, alias: string): ListOptions & { startIndex: number } {
  const { startIndex, count } = paging(query);
  const where = query.filter ? orThrow(filterToSql(orThrow(parseScimFilter(query.filter)), catalog, { alias })) : undefined;
  const orderBy = query.sortBy ? orThrow(sortColumn(query.sortBy, catalog, { alias })) : undefined;
  return { where, orderBy, descending: query.sortOrder?.toLowerCase() === 'descending', offset: startIndex - 1, limit: count, startIndex };
}

/**
 * A root search spans Users and Groups (RFC 7644 §3.4.3): Users first, then Groups,
 * paged over the two as one list, each sorted by `sortBy` if it has that attribute.
 * A filter naming an attribute only one type has matches none of the other type;
 * a filter or sortBy neither type accepts is the usual 400.
 */
async function searchRoot(
  query: ListQuery,
  read: { users: (o: ListOptions) => Promise<Page<UserRowForScim>>; groups: (o: ListOptions) => Promise<Page<GroupRowForScim>> },
): Promise<{ users: UserRowForScim[]; groups: GroupRowForScim[]; total: number; startIndex: number }> {
  const sorts = (catalog: FilterCatalog) => query.sortBy === undefined || sortColumn(query.sortBy, catalog, { alias: 'x' }).ok;
  if (!sorts(USER_FILTER_CATALOG) && !sorts(GROUP_FILTER_CATALOG)) orThrow(sortColumn(query.sortBy!, USER_FILTER_CATALOG, { alias: 'u' }));
  const attempt = (catalog: FilterCatalog, alias: string) => {
    try {
      // A sortBy this type lacks leaves it in its default order (RFC 7644 §3.4.2.3 lets a provider ignore a sort).
      return { options: listOptions(sorts(catalog) ? query : { ...query, sortBy: undefined }, catalog, alias) };
    } catch (err) {
      if (err instanceof ScimError) return { error: err };
      throw err;
    }
  };
  const forUsers = attempt(USER_FILTER_CATALOG, 'u');
  const forGroups = attempt(GROUP_FILTER_CATALOG, 'g');
  if (forUsers.error && forGroups.error) throw forUsers.error;
  const { startIndex, offset, limit } = (forUsers.options ?? forGroups.options)!;
  const users = forUsers.options ? await read.users(forUsers.options) : { rows: [], total: 0 };
  const groupWindow = { offset: Math.max(0, offset - users.total), limit: limit - users.rows.length };
  const found = forGroups.options ? await read.groups({ ...forGroups.options, ...groupWindow }) : { rows: [], total: 0 };
  return { users: users.rows, groups: found.rows, total: users.total + found.total, startIndex };
}

const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:user';

/**
 * The userName asked for when a Users query is exactly `userName eq "<string>"`
 * on its first page (whatever the sort: it has at most one result); otherwise
 * undefined, and the general filter path answers.
 */
function singleUserNameLookup(query: ListQuery, options: ListOptions): string | undefined {
  if (!query.filter || options.offset !== 0 || options.limit < 1) return undefined;
  const parsed = parseScimFilter(query.filter);
  if (!parsed.ok) return undefined;
  const node = parsed.value;
  if (node.kind !== 'compare' || node.operator !== 'eq' || typeof node.value !== 'string') return undefined;
  const { schema, names } = node.attribute;
  if (schema !== undefined && schema.toLowerCase() !== CORE_USER_SCHEMA) return undefined;
  return names.length === 1 && names[0]!.toLowerCase() === 'username' ? node.value : undefined;
}

const scimRoutes: FastifyPluginAsync<ScimRoutesOptions> = async (app, { db, logger, tokens, publicUrl, badKeys }) => {
  const lastUsed = new LastUsedRecorder({ db, logger, touch: touchScimToken, credential: 'SCIM token' });
  const writes = new WriteCoalescer(db);
  const userRows = new RowLoader(getScimUsersByIdIn);
  const groupRows = new RowLoader(getScimGroupsByIdIn);
  const usersByName = new RowLoader(getScimUsersByUserNameIn);
  // SCIM clients send application/scim+json or application/json (with a charset), and some
  // send a content type on bodiless DELETEs: an empty body is no body, not an error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/scim+json', 'application/json'],
    { parseAs: 'string', bodyLimit: SCIM_BODY_LIMIT },
    (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        return done(scimErrors.invalidSyntax(`the request body is not valid JSON: ${(err as Error).message}`), undefined);
      }
      // Too deep to handle, or a string Postgres cannot store (src/core/input): refused before anything reads it.
      const problem = inspectJson(value);
      if (problem) return done(problem.kind === 'depth' ? scimErrors.invalidSyntax(problem.message) : scimErrors.invalidValue(problem.message), undefined);
      done(null, value);
    },
  );

  app.addHook('onRequest', async (request, reply) => {
    const pathConnection = (request.params as { connectionId?: string }).connectionId;
    // An address that keeps presenting bad tokens waits before any is looked up (src/core/security/bad-keys.ts).
    const wait = badKeys?.retryAfterSeconds(request.ip) ?? 0;
    if (wait > 0) {
      metrics.recordRateLimited('bad-key');
      void reply.header('Retry-After', String(wait));
      throw scimErrors.tooManyRequests(`too many requests with an invalid token from this address; retry after ${wait} s`);
    }
    const caller = await authenticateScim(db, request.headers.authorization, pathConnection, tokens).catch((err: unknown) => {
      if (err instanceof ScimError && err.status === 401) badKeys?.failed(request.ip);
      throw err;
    });
    const decision = await takeToken(db, `scim-token:${caller.tokenId}`, caller.rateLimit);
    if (!decision.allowed) {
      metrics.recordRateLimited('scim');
      void reply.header('Retry-After', String(decision.retryAfterSeconds));
      throw scimErrors.tooManyRequests(`rate limit exceeded for this token; retry after ${decision.retryAfterSeconds} s`);
    }
    lastUsed.record(caller.tokenId);
    request.scimCaller = caller;
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.recordScimRequest(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode);
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    if (payload !== undefined && payload !== null && reply.statusCode !== 204) void reply.header('content-type', SCIM_CONTENT_TYPE);
    return payload;
  });

  app.setErrorHandler((err, request, reply) => {
    const { status, body, errorId } = scimErrorResponse(err);
    if (status >= 500) logger.error(`SCIM request failed (id ${errorId})`, { method: request.method, url: request.url, error: err });
    void reply.status(status).type(SCIM_CONTENT_TYPE).send(body);
  });
  app.setNotFoundHandler(async (request) => {
    throw scimErrors.notFound(`no SCIM endpoint ${request.method} ${request.url}`);
  });

  const context = (request: FastifyRequest): ScimRequestContext => {
    const caller = request.scimCaller!;
    const connectionId = (request.params as { connectionId?: string }).connectionId;
    return {
      db,
      scope: { tenantId: caller.tenantId, connectionId: caller.connectionId },
      apply: { tenantId: caller.tenantId, actor: { type: 'scim', id: `token:${caller.tokenId}`, requestId: request.id } },
      baseUrl: `${publicUrl ?? `${request.protocol}://${request.host}`}/scim/v2${connectionId ? `/enterprise-idps/${connectionId}` : ''}`,
      connectionKind: caller.connectionKind,
      mapping: caller.mapping,
      writes,
      userRows,
      groupRows,
    };
  };
  const selectors = (query: ListQuery) => ({
    attributes: parseAttributeList(query.attributes),
    excluded: parseAttributeList(query.excludedAttributes),
  });
  const single = (reply: FastifyReply, status: number, resource: Record<string, unknown>, etag: string, query: ListQuery) => {
    const { attributes, excluded } = selectors(query);
    return reply.status(status).header('ETag', etag).send(projectResource(resource, attributes, excluded));
  };
  // RFC 7644 §3.5.2: 200 with the resource, or 204 when the client prefers a minimal return (RFC 7240).
  const wantsMinimal = (request: FastifyRequest) => /return=minimal/i.test(String(request.headers.prefer ?? ''));

  registerDiscovery(app, context);

  const listUsers = async (request: FastifyRequest, query: ListQuery) => {
    const ctx = context(request);
    const options = listOptions(query, USER_FILTER_CATALOG, 'u');
    // `userName eq "x"`, what every IdP asks before it creates a user: at most one row, read with the others asked at once.
    const name = singleUserNameLookup(query, options);
    const { rows, total } =
      name === undefined ? await listScimUserRows(db, ctx.scope, options) : await usersByName.load(db, ctx.scope, name).then((row) => ({ rows: row ? [row] : [], total: row ? 1 : 0 }));
    const { attributes, excluded } = selectors(query);
    const resources = rows.map((row) => projectResource(renderUser(row, `${ctx.baseUrl}/Users/${row.id}`), attributes, excluded));
    return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: total, itemsPerPage: resources.length, startIndex: options.startIndex, Resources: resources };
  };
  app.get<{ Querystring: ListQuery }>('/Users', (request) => listUsers(request, request.query));
  app.get<{ Params: { id: string }; Querystring: ListQuery }>('/Users/:id', async (request, reply) => {
    const { resource, etag } = await users.getUser(context(request), request.params.id);
    return single(reply, 200, resource, etag, request.query);
  });
  app.post<{ Querystring: ListQuery }>('/Users', async (request, reply) => {
    const ctx = context(request);
    const { resource, etag, created } = await users.createUser(ctx, request.body).catch((err) => recordRefusal(ctx, logger, err, { action: 'user.create', body: request.body }));
    if (created) void reply.header('Location', (resource.meta as { location: string }).location);
    return single(reply, 201, resource, etag, request.query);
  });
  app.put<{ Params: { id: string }; Querystring: ListQuery }>('/Users/:id', async (request, reply) => {
    const ctx = context(request);
    const refused = (err: unknown) => recordRefusal(ctx, logger, err, { action: 'user.replace', userId: request.params.id, body: request.body });
    const { resource, etag } = await users.replaceUser(ctx, request.params.id, request.body, request.headers['if-match']).catch(refused);
    return single(reply, 200, resource, etag, request.query);
  });
  app.patch<{ Params: { id: string }; Querystring: ListQuery }>('/Users/:id', async (request, reply) => {
    const ctx = context(request);
    const refused = (err: unknown) => recordRefusal(ctx, logger, err, { action: 'user.patch', userId: request.params.id, body: request.body });
    const { resource, etag } = await users.patchUser(ctx, request.params.id, request.body, request.headers['if-match']).catch(refused);
    if (wantsMinimal(request) || request.scimCaller!.patchNoContent) return reply.status(204).header('ETag', etag).send();
    return single(reply, 200, resource, etag, request.query);
  });
  app.delete<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
    await users.deleteUser(context(request), request.params.id, request.headers['if-match']);
    return reply.status(204).send();
  });

  const listGroups = async (request: FastifyRequest, query: ListQuery) => {
    const ctx = context(request);
    const options = listOptions(query, GROUP_FILTER_CATALOG, 'g');
    const { rows, total } = await listScimGroupRows(db, ctx.scope, options);
    const { attributes, excluded } = selectors(query);
    const rendered = await groups.renderGroups(ctx, rows, !isExcluded('members', attributes, excluded));
    const resources = rendered.map((r) => projectResource(r, attributes, excluded));
    return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: total, itemsPerPage: resources.length, startIndex: options.startIndex, Resources: resources };
  };
  app.get<{ Querystring: ListQuery }>('/Groups', (request) => listGroups(request, request.query));
  app.get<{ Params: { id: string }; Querystring: ListQuery }>('/Groups/:id', async (request, reply) => {
    const { attributes, excluded } = selectors(request.query);
    const { resource, etag } = await groups.getGroup(context(request), request.params.id, !isExcluded('members', attributes, excluded));
    return single(reply, 200, resource, etag, request.query);
  });
  app.post<{ Querystring: ListQuery }>('/Groups', async (request, reply) => {
    const { resource, etag } = await groups.createGroup(context(request), request.body, logger);
    void reply.header('Location', (resource.meta as { location: string }).location);
    return single(reply, 201, resource, etag, request.query);
  });
  app.put<{ Params: { id: string }; Querystring: ListQuery }>('/Groups/:id', async (request, reply) => {
    const { resource, etag } = await groups.replaceGroup(context(request), request.params.id, request.body, logger, request.headers['if-match']);
    return single(reply, 200, resource, etag, request.query);
  });
  app.patch<{ Params: { id: string }; Querystring: ListQuery }>('/Groups/:id', async (request, reply) => {
    const ctx = context(request);
    const noContent = wantsMinimal(request) || request.scimCaller!.patchNoContent;
    const { attributes, excluded } = selectors(request.query);
    const withMembers = !noContent && !isExcluded('members', attributes, excluded);
    const { resource, etag } = await groups.patchGroup(ctx, request.params.id, request.body, logger, { ifMatch: request.headers['if-match'], withMembers });
    if (noContent) return reply.status(204).header('ETag', etag).send();
    return single(reply, 200, resource, etag, request.query);
  });
  app.delete<{ Params: { id: string } }>('/Groups/:id', async (request, reply) => {
    await groups.deleteGroup(context(request), request.params.id, request.headers['if-match']);
    return reply.status(204).send();
  });

  // RFC 7644 §3.4.3: the same lists queried with POST (a SearchRequest body), answered 200.
  app.post('/Users/.search', (request) => listUsers(request, orThrow(parseSearchRequest(request.body))));
  app.post('/Groups/.search', (request) => listGroups(request, orThrow(parseSearchRequest(request.body))));
  app.post('/.search', async (request) => {
    const query = orThrow(parseSearchRequest(request.body));
    const ctx = context(request);
    const { attributes, excluded } = selectors(query);
    const page = await searchRoot(query, {
      users: (options) => listScimUserRows(db, ctx.scope, options),
      groups: (options) => listScimGroupRows(db, ctx.scope, options),
    });
    const rendered = await groups.renderGroups(ctx, page.groups, !isExcluded('members', attributes, excluded));
    const resources = [...page.users.map((row) => renderUser(row, `${ctx.baseUrl}/Users/${row.id}`)), ...rendered].map((r) => projectResource(r, attributes, excluded));
    return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: page.total, itemsPerPage: resources.length, startIndex: page.startIndex, Resources: resources };
  });

};

function registerDiscovery(app: FastifyInstance, context: (r: FastifyRequest) => ScimRequestContext): void {
  const base = (r: FastifyRequest) => context(r).baseUrl;
  const byId = <T extends { id: string }>(items: T[], id: string, what: string) => {
    const found = items.find((i) => i.id.toLowerCase() === id.toLowerCase());
    if (!found) throw scimErrors.notFound(`${what} ${id} not found`);
    return found;
  };
  // Microsoft's reference collection asks for /serviceConfiguration: served as an alias.
  for (const path of ['/ServiceProviderConfig', '/serviceConfiguration']) app.get(path, async (r) => serviceProviderConfig(base(r)));
  app.get('/ResourceTypes', async (r) => listResponse(resourceTypes(base(r))));
  app.get<{ Params: { id: string } }>('/ResourceTypes/:id', async (r) => byId(resourceTypes(base(r)), r.params.id, 'ResourceType'));
  const customNames = (r: FastifyRequest) => Object.keys(context(r).mapping?.custom ?? {});
  app.get('/Schemas', async (r) => listResponse(schemas(base(r), customNames(r))));
  app.get<{ Params: { id: string } }>('/Schemas/:id', async (r) => byId(schemas(base(r), customNames(r)), r.params.id, 'Schema'));
}

export const SCIM_PREFIXES = ['/scim/v2', '/scim/v2/enterprise-idps/:connectionId'] as const;

/** Mount the SCIM routes on both prefixes (fastify loads them when the server gets ready). */
export function registerScim(app: FastifyInstance, options: ScimRoutesOptions & { store: Pick<Store, 'listen'> }): void {
  const tokens = new ScimTokenCache();
  app.addHook('onReady', () => tokens.start(options.store, options.logger));
  app.addHook('onClose', () => tokens.stop());
  for (const prefix of SCIM_PREFIXES) void app.register(scimRoutes, { db: options.db, logger: options.logger, tokens, publicUrl: options.publicUrl, badKeys: options.badKeys, prefix });
}
