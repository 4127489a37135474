/**
 * A fake Google Admin SDK Directory API (plus the OAuth token endpoint) on
 * 127.0.0.1, reproducing the wire contract the official client sees:
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/list
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/groups/list
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/members/list
 * Errors use Google's JSON error body `{ error: { code, message, errors:
 * [{ domain, reason, message }], status } }` and the quota reasons of
 * https://developers.google.com/admin-sdk/directory/v1/limits.
 *
 * Plain node:http, no vitest: the benchmark and `roster demo` reuse it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { FakeGoogleDirectory, type FakeGroup, type FakeUser } from './directory.js';
import { FakeTokenIssuer, SCOPE_GROUP_READONLY, SCOPE_USER_READONLY, type IssuedToken, type ServiceAccountKey } from './token.js';
import { closeNow, listenOnLoopback } from '../loopback.js';
import { applyFields, FieldSelectionError, parseFields } from './fields.js';
import { etag, googleError, page, userJson } from './wire.js';

export type FakeGoogleEndpoint = 'token' | 'users' | 'user' | 'groups' | 'members';

export type FakeFaultKind =
  | 'rateLimitExceeded'
  | 'userRateLimitExceeded'
  | 'quotaExceeded'
  | '429'
  | '500'
  | '503'
  | 'forbidden'
  | 'latency'
  | 'hang'
  /** The socket is destroyed without an answer (a dropped connection). */
  | 'drop';

/** An injected fault: what to answer instead, on which requests, how many times. */
export interface FakeFault {
  endpoint: FakeGoogleEndpoint;
  kind: FakeFaultKind;
  /** 1-based page of a listing (first page = 1); absent = any request of the endpoint. */
  page?: number;
  /** Only requests whose query has showDeleted=true (true) or not (false). */
  showDeleted?: boolean;
  /** Matching requests affected; Infinity = persistent. Default 1. */
  times?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
}

export interface FakeRequestRecord {
  method: string;
  endpoint: FakeGoogleEndpoint | 'unknown';
  path: string;
  query: Record<string, string>;
  status: number;
  /** `gzip` when the answer was compressed (FakeGoogleOptions.gzip). */
  encoding?: string;
}

export interface FakeGoogleOptions {
  directory?: FakeGoogleDirectory;
  /** Serve at most this many items a page, whatever maxResults asks (clients follow nextPageToken). */
  maxPageSize?: number;
  /** Delay every API response by this many ms (the benchmark's network). */
  latencyMs?: number;
  /** Compress answers to requests that accept gzip, as Google does (off by default: the benchmark measures without). */
  gzip?: boolean;
}

const USER_SCOPES = [SCOPE_USER_READONLY, 'https://www.googleapis.com/auth/admin.directory.user'];
const GROUP_SCOPES = [SCOPE_GROUP_READONLY, 'https://www.googleapis.com/auth/admin.directory.group'];
const MEMBER_SCOPES = [...GROUP_SCOPES, 'https://www.googleapis.com/auth/admin.directory.group.member.readonly'];

const FAULT_RESPONSES: Record<Exclude<FakeFaultKind, 'latency' | 'hang' | 'drop'>, [number, ReturnType<typeof googleError>]> = {
  rateLimitExceeded: [403, googleError(403, 'rateLimitExceeded', 'Rate Limit Exceeded', 'PERMISSION_DENIED')],
  userRateLimitExceeded: [403, googleError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', 'PERMISSION_DENIED')],
  quotaExceeded: [403, googleError(403, 'quotaExceeded', 'Quota exceeded for quota metric', 'PERMISSION_DENIED')],
  '429': [429, googleError(429, 'rateLimitExceeded', 'Too Many Requests', 'RESOURCE_EXHAUSTED')],
  '500': [500, googleError(500, 'backendError', 'Backend Error', 'INTERNAL')],
  '503': [503, googleError(503, 'backendError', 'The service is currently unavailable.', 'UNAVAILABLE')],
  forbidden: [403, googleError(403, 'forbidden', 'Not Authorized to access this resource/api', 'PERMISSION_DENIED')],
};

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const notFound = (what: string) => new HttpAnswer(404, googleError(404, 'notFound', `Resource Not Found: ${what}`, 'NOT_FOUND'));
const badRequest = (message: string) => new HttpAnswer(400, googleError(400, 'invalid', message, 'INVALID_ARGUMENT'));

/** Page tokens are opaque to clients; here they carry the array index to resume at and the page number. */
function encodeToken(index: number, page: number): string {
  return Buffer.from(JSON.stringify({ i: index, p: page })).toString('base64url');
}
function decodeToken(token: string | null): { i: number; p: number } {
  if (!token) return { i: 0, p: 1 };
  const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { i: number; p: number };
  return parsed;
}

export class FakeGoogleServer {
  readonly directory: FakeGoogleDirectory;
  readonly tokens: FakeTokenIssuer;
  readonly faults: FakeFault[] = [];
  readonly requests: FakeRequestRecord[] = [];
  /** Permission switches: false = the impersonated admin lacks the admin privilege (403 forbidden). */
  readonly permissions = { users: true, groups: true, members: true };
  latencyMs: number;
  private readonly maxPageSize: number;
  private readonly gzip: boolean;
  /** Highest number of member listings answered at once (the provider's concurrency bound). */
  maxConcurrentMembers = 0;
  private concurrentMembers = 0;
  /** Highest number of requests of any endpoint answered at once. */
  maxConcurrent = 0;
  private concurrent = 0;
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private port = 0;

  constructor(options: FakeGoogleOptions = {}) {
    this.directory = options.directory ?? new FakeGoogleDirectory();
    this.latencyMs = options.latencyMs ?? 0;
    this.maxPageSize = options.maxPageSize ?? Infinity;
    this.gzip = options.gzip ?? false;
    this.tokens = new FakeTokenIssuer((email) => this.directory.user(email) !== undefined);
  }

  async listen(): Promise<this> {
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  async close(): Promise<void> {
    await closeNow(this.server);
  }

  /** The provider's `rootUrl` setting. */
  get rootUrl(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** The provider's `tokenUrl` setting. */
  get tokenUrl(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  /** A service account registered with this fake, the given scopes delegated (default: both read-only scopes). */
  createServiceAccount(options: { delegatedScopes?: string[] } = {}): ServiceAccountKey {
    return this.tokens.createServiceAccount(options);
  }

  addFault(fault: FakeFault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** Requests seen, optionally of one endpoint. */
  count(endpoint?: FakeGoogleEndpoint, filter: (r: FakeRequestRecord) => boolean = () => true): number {
    return this.requests.filter((r) => (endpoint === undefined || r.endpoint === endpoint) && filter(r)).length;
  }

  resetRequests(): void {
    this.requests.length = 0;
    this.maxConcurrentMembers = 0;
    this.maxConcurrent = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = this.route(req.method ?? 'GET', url.pathname);
    const record: FakeRequestRecord = { method: req.method ?? 'GET', endpoint: route?.endpoint ?? 'unknown', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
    this.requests.push(record);
    const body = await readBody(req);
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.concurrent);
    if (record.endpoint === 'members') this.concurrentMembers += 1;
    this.maxConcurrentMembers = Math.max(this.maxConcurrentMembers, this.concurrentMembers);
    try {
      if (this.latencyMs > 0 && record.endpoint !== 'token') await sleep(this.latencyMs);
      let answer: HttpAnswer | 'hang' | 'drop';
      if (!route) answer = notFound(url.pathname);
      else answer = (await this.injected(route.endpoint, url)) ?? this.answer(route, url, req, body);
      if (answer === 'hang') return; // never answered; close() drops the socket
      if (answer === 'drop') {
        req.socket.destroy();
        return;
      }
      answer = partial(answer, url.searchParams.get('fields'));
      record.status = answer.status;
      const json = JSON.stringify(answer.body);
      if (this.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        record.encoding = 'gzip';
        res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8', 'content-encoding': 'gzip', ...answer.headers });
        res.end(gzipSync(json));
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8', ...answer.headers });
      res.end(json);
    } catch (error) {
      // A bug in the fake must show as a 500 to the client, not crash the process hosting it.
      record.status = 500;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(googleError(500, 'backendError', `fake error: ${String(error)}`, 'INTERNAL')));
    } finally {
      this.concurrent -= 1;
      if (record.endpoint === 'members') this.concurrentMembers -= 1;
    }
  }

  private route(method: string, path: string): { endpoint: FakeGoogleEndpoint; key?: string } | null {
    if (method === 'POST' && path === '/token') return { endpoint: 'token' };
    if (method !== 'GET') return null;
    if (path === '/admin/directory/v1/users') return { endpoint: 'users' };
    if (path === '/admin/directory/v1/groups') return { endpoint: 'groups' };
    let m = /^\/admin\/directory\/v1\/users\/([^/]+)$/.exec(path);
    if (m) return { endpoint: 'user', key: decodeURIComponent(m[1]!) };
    m = /^\/admin\/directory\/v1\/groups\/([^/]+)\/members$/.exec(path);
    if (m) return { endpoint: 'members', key: decodeURIComponent(m[1]!) };
    return null;
  }

  private async injected(endpoint: FakeGoogleEndpoint, url: URL): Promise<HttpAnswer | 'hang' | 'drop' | null> {
    let page = 1;
    try {
      page = decodeToken(url.searchParams.get('pageToken')).p;
    } catch {
      /* a bad token is answered by the handler */
    }
    const showDeleted = url.searchParams.get('showDeleted') === 'true';
    for (const fault of this.faults) {
      if (fault.endpoint !== endpoint || (fault.times ?? 1) <= 0) continue;
      if (fault.page !== undefined && fault.page !== page) continue;
      if (fault.showDeleted !== undefined && fault.showDeleted !== showDeleted) continue;
      fault.times = (fault.times ?? 1) - 1;
      if (fault.kind === 'hang' || fault.kind === 'drop') return fault.kind;
      if (fault.kind === 'latency') {
        await sleep(fault.latencyMs ?? 100);
        return null;
      }
      const [status, body] = FAULT_RESPONSES[fault.kind];
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return new HttpAnswer(status, body, headers);
    }
    return null;
  }

  private answer(route: { endpoint: FakeGoogleEndpoint; key?: string }, url: URL, req: IncomingMessage, body: string): HttpAnswer {
    if (route.endpoint === 'token') {
      const result = this.tokens.exchange(new URLSearchParams(body));
      return new HttpAnswer(result.status, result.body);
    }
    const token = this.bearer(req);
    if (!token) {
      return new HttpAnswer(
        401,
        googleError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token.', 'UNAUTHENTICATED'),
        { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
      );
    }
    const needed = route.endpoint === 'members' ? MEMBER_SCOPES : route.endpoint === 'groups' ? GROUP_SCOPES : USER_SCOPES;
    if (!needed.some((s) => token.scopes.has(s))) {
      return new HttpAnswer(403, googleError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', 'PERMISSION_DENIED'));
    }
    const allowed = route.endpoint === 'members' ? this.permissions.members : route.endpoint === 'groups' ? this.permissions.groups : this.permissions.users;
    if (!allowed) return new HttpAnswer(...FAULT_RESPONSES.forbidden);
    try {
      switch (route.endpoint) {
        case 'users':
          return this.listUsers(url.searchParams);
        case 'user': {
          const user = this.directory.user(route.key!);
          return user ? new HttpAnswer(200, userJson(user, url.searchParams)) : notFound('userKey');
        }
        case 'groups':
          return this.listGroups(url.searchParams);
        case 'members':
          return this.listMembers(route.key!, url.searchParams);
        default:
          return notFound(url.pathname);
      }
    } catch (error) {
      if (error instanceof HttpAnswer) return error;
      throw error;
    }
  }

  private bearer(req: IncomingMessage): IssuedToken | undefined {
    const match = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    return match ? this.tokens.lookup(match[1]!) : undefined;
  }

  /** customer (my_customer or the id) or domain; Google answers 400 without either. */
  private scope(params: URLSearchParams): { domain?: string } {
    const customer = params.get('customer');
    const domain = params.get('domain');
    if (customer) {
      if (customer !== 'my_customer' && customer !== this.directory.customerId) throw badRequest('Bad Request');
      return {};
    }
    if (domain) return { domain };
    throw new HttpAnswer(400, googleError(400, 'badRequest', 'Bad Request', 'INVALID_ARGUMENT'));
  }

  private maxResults(params: URLSearchParams, fallback: number, max: number): number {
    const raw = params.get('maxResults');
    if (raw === null) return Math.min(fallback, this.maxPageSize);
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`Invalid value '${raw}'. Values must be within the range: [1, ${max}]`);
    return Math.min(n, this.maxPageSize);
  }

  private position(params: URLSearchParams): { i: number; p: number } {
    try {
      return decodeToken(params.get('pageToken'));
    } catch {
      throw badRequest('Invalid Input: pageToken');
    }
  }

  private listUsers(params: URLSearchParams): HttpAnswer {
    const { domain } = this.scope(params);
    const limit = this.maxResults(params, 100, 500);
    const at = this.position(params);
    const deleted = params.get('showDeleted') === 'true';
    const query = params.get('query');
    if (query) return this.queryUsers(query, params);
    const { items, next } = this.directory.scanUsers({ from: at.i, limit, deleted, domain });
    return new HttpAnswer(200, page('admin#directory#users', 'users', items.map((u) => userJson(u, params)), next === null ? null : encodeToken(next, at.p + 1)));
  }

  /**
   * One search clause, `field=value` or `field:value` (value bare or in single
   * quotes, \' inside), over the fields a single lookup needs: email (primary
   * or alias), givenName, familyName and custom fields `Schema.field`
   * (https://developers.google.com/admin-sdk/directory/v1/guides/search-users).
   * Matches are whole values, case-insensitive; the rest of the language is refused.
   */
  private queryUsers(query: string, params: URLSearchParams): HttpAnswer {
    const m = /^([A-Za-z][\w]*(?:\.[A-Za-z][\w]*)?)\s*[:=]\s*(?:'((?:[^'\\]|\\.)*)'|([^'\s]+))$/.exec(query.trim());
    if (!m) throw badRequest('Invalid Input: query');
    const [, field, quoted, bare] = m as unknown as [string, string, string | undefined, string | undefined];
    const value = (quoted ?? bare ?? '').replace(/\\(.)/g, '$1').toLowerCase();
    const read = (u: FakeUser): unknown => {
      if (field === 'givenName' || field === 'familyName') return u.name[field];
      const [schema, key] = field.split('.');
      if (key) return (u.customSchemas as Record<string, Record<string, unknown>> | undefined)?.[schema!]?.[key];
      return undefined;
    };
    let found: FakeUser[];
    if (field === 'email') {
      const user = this.directory.user(value);
      found = user ? [user] : [];
    } else if (field === 'givenName' || field === 'familyName' || field.includes('.')) {
      const { domain } = this.scope(params);
      found = this.directory.scanUsers({ from: 0, limit: Infinity, deleted: false, domain }).items
        .filter((u) => String(read(u) ?? '').toLowerCase() === value);
    } else {
      throw badRequest(`Invalid Input: unknown search field ${field}`);
    }
    return new HttpAnswer(200, page('admin#directory#users', 'users', found.map((u) => userJson(u, params)), null));
  }

  private listGroups(params: URLSearchParams): HttpAnswer {
    const limit = this.maxResults(params, 200, 200);
    const at = this.position(params);
    const userKey = params.get('userKey');
    let groups: readonly FakeGroup[];
    if (userKey) {
      const user = this.directory.user(userKey);
      if (!user) throw notFound('userKey');
      groups = this.directory.groupsOf(user.id);
    } else {
      this.scope(params);
      groups = this.directory.listGroups();
    }
    const slice = groups.slice(at.i, at.i + limit);
    const next = at.i + limit < groups.length ? encodeToken(at.i + limit, at.p + 1) : null;
    return new HttpAnswer(200, page('admin#directory#groups', 'groups', slice.map((g) => this.groupJson(g)), next));
  }

  private listMembers(groupKey: string, params: URLSearchParams): HttpAnswer {
    const group = this.directory.group(groupKey);
    if (!group) throw notFound('groupKey');
    const limit = this.maxResults(params, 200, 200);
    const at = this.position(params);
    const members = this.directory.membersOf(group.id);
    const slice = members.slice(at.i, at.i + limit).map((m) => ({ kind: 'admin#directory#member', etag: etag(m.id), ...m }));
    const next = at.i + limit < members.length ? encodeToken(at.i + limit, at.p + 1) : null;
    return new HttpAnswer(200, page('admin#directory#members', 'members', slice, next));
  }

  private groupJson(g: FakeGroup) {
    return { kind: 'admin#directory#group', id: g.id, etag: etag(g.id), email: g.email, name: g.name, description: g.description ?? '', directMembersCount: String(this.directory.membersOf(g.id).length), adminCreated: true };
  }
}

/** A successful answer cut down to the `fields` asked (./fields.ts); errors are never cut. */
function partial(answer: HttpAnswer, fields: string | null): HttpAnswer {
  if (fields === null || answer.status < 200 || answer.status >= 300) return answer;
  try {
    return new HttpAnswer(answer.status, applyFields(answer.body, parseFields(fields)), answer.headers);
  } catch (error) {
    if (error instanceof FieldSelectionError) return badRequest(error.message);
    throw error;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts a fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeGoogle(options: FakeGoogleOptions = {}): Promise<FakeGoogleServer> {
  return new FakeGoogleServer(options).listen();
}
