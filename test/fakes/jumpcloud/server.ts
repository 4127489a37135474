/**
 * A programmable fake JumpCloud on 127.0.0.1 (plain node:http, no test
 * framework imports: the benchmark and `roster demo` may reuse it).
 *
 * Wire contract (IDP-NOTES "JumpCloud"; https://docs.jumpcloud.com/api):
 * - `x-api-key` on every request, else 401 `{"message":"Unauthorized"}`;
 *   `x-org-id` when the key is a multi-organisation admin's (`orgId` option).
 * - `GET /api/systemusers?limit&skip&sort&fields` → `{ totalCount, results }`
 *   (limit default 10, at most 100: more is a 400); `GET /api/systemusers/{id}`;
 *   `POST /api/search/systemusers?limit&skip` `{ filter, fields }`.
 * - `GET /api/v2/usergroups?limit&skip` → a bare array; `/api/v2/usergroups/{id}`;
 *   `/api/v2/usergroups/{id}/members` → `[{ to: { id, type: "user" } }]`;
 *   `/api/v2/users/{id}/memberof` → `[{ id, type: "user_group" }]`. A short page is the last.
 * - `POST /insights/directory/v1/events` (./insights.ts).
 * - 403 `{"message":"Forbidden"}` where `permissions` say; 429 with Retry-After.
 * Routes: users, user, searchUsers, groups, group, members, memberOf, events.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { FakeOrg, type FakeGroup, type FakeUser } from './directory.js';
import { eventPageOf, queryEvents } from './insights.js';
import { closeNow, listenOnLoopback } from '../loopback.js';

export type Route = 'users' | 'user' | 'searchUsers' | 'groups' | 'group' | 'members' | 'memberOf' | 'events';

/** An injected fault; `page` counts from 1 within one listing; `times` omitted = persistent. */
export interface Fault {
  route?: Route;
  page?: number;
  status?: number;
  /** With status 429: the Retry-After header (seconds); omitted = no header. */
  retryAfter?: number;
  drop?: boolean;
  latencyMs?: number;
  times?: number;
}

export interface LoggedRequest {
  method: string;
  route: Route | null;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: unknown;
  status: number;
  page: number;
}

export interface FakeJumpCloudOptions {
  org?: FakeOrg;
  apiKeys?: string[];
  /** The key's admin administers several organisations: requests must name this one in x-org-id. */
  orgId?: string;
}

export class HttpFailure {
  constructor(readonly status: number, readonly body: unknown, readonly headers: Record<string, string> = {}) {}
}

const CONSOLE_MAX = 100;

export class FakeJumpCloud {
  readonly org: FakeOrg;
  readonly apiKeys: Set<string>;
  readonly orgId: string | null;
  /** Off = 403 for that part of the API (the key's admin role); `insights` may also answer 401/404 (not on the plan). */
  readonly permissions: { users: boolean; groups: boolean; insights: true | 401 | 403 | 404 } = { users: true, groups: true, insights: true };
  readonly faults: Fault[] = [];
  readonly requests: LoggedRequest[] = [];
  latencyMs = 0;
  maxInFlight = 0;
  private inFlight = 0;
  private server: Server | null = null;
  private baseUrl = '';

  constructor(options: FakeJumpCloudOptions = {}) {
    this.org = options.org ?? new FakeOrg();
    this.apiKeys = new Set(options.apiKeys ?? ['test-key']);
    this.orgId = options.orgId ?? null;
  }

  get url(): string {
    if (!this.server) throw new Error('fake JumpCloud is not started');
    return this.baseUrl;
  }

  get insightsUrl(): string {
    return `${this.url}/insights/directory/v1`;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.serve(req, res));
    const port = await listenOnLoopback(server);
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await closeNow(server);
  }

  requestsTo(route: Route): LoggedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const raw = method === 'POST' ? await readBody(req) : '';
    const match = route(method, url.pathname);
    const pick = (h: string) => (typeof req.headers[h] === 'string' ? (req.headers[h] as string) : undefined);
    const log: LoggedRequest = {
      method, route: match?.route ?? null, path: url.pathname, query: Object.fromEntries(url.searchParams),
      headers: { 'x-api-key': pick('x-api-key'), 'x-org-id': pick('x-org-id'), 'content-type': pick('content-type') }, body: null, status: 0, page: 1,
    };
    this.requests.push(log);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    let status = 200;
    let body: unknown;
    try {
      if (raw) log.body = parseJson(raw);
      log.page = match?.route === 'events' ? eventPageOf(this.org.events, log.body) : pageOf(url);
      const fault = match ? this.takeFault(match.route, log.page) : undefined;
      const delay = this.latencyMs + (fault?.latencyMs ?? 0);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (fault?.drop) {
        req.socket.destroy();
        return;
      }
      if (!match) throw new HttpFailure(404, { message: 'Not Found' });
      this.authorize(req, match.route);
      if (fault?.status === 429) throw new HttpFailure(429, { message: 'Too Many Requests' }, fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) });
      if (fault?.status) throw new HttpFailure(fault.status, { message: 'Internal Server Error' });
      body = this.handle(match.route, match.id, url, log.body, headers);
    } catch (err) {
      // A bug in the fake answers 500 rather than killing the process.
      const f = err instanceof HttpFailure ? err : new HttpFailure(500, { message: `Internal Server Error: ${String(err)}` });
      status = f.status;
      Object.assign(headers, f.headers);
      body = match?.route === 'events' ? { code: f.status, message: (f.body as { message?: string }).message ?? '', status: String(f.status) } : f.body;
    } finally {
      this.inFlight--;
    }
    log.status = status;
    headers['Date'] = new Date(this.org.now()).toUTCString();
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  }

  private takeFault(r: Route, page: number): Fault | undefined {
    const i = this.faults.findIndex((f) => (f.route === undefined || f.route === r) && (f.page === undefined || f.page === page) && (f.times ?? Infinity) > 0);
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (f.times !== undefined) f.times--;
    return f;
  }

  private authorize(req: IncomingMessage, r: Route): void {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !this.apiKeys.has(key)) throw new HttpFailure(401, { message: 'Unauthorized' });
    if (this.orgId !== null && req.headers['x-org-id'] !== this.orgId) throw new HttpFailure(401, { message: 'Unauthorized' });
    const need = r === 'events' ? 'insights' : ['groups', 'group', 'members', 'memberOf'].includes(r) ? 'groups' : 'users';
    const allowed = this.permissions[need];
    if (allowed === true) return;
    const status = allowed === false ? 403 : allowed;
    throw new HttpFailure(status, { message: status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Forbidden' });
  }

  private handle(r: Route, id: string | null, url: URL, body: unknown, headers: Record<string, string>): unknown {
    const o = this.org;
    const q = url.searchParams;
    switch (r) {
      case 'users': {
        const { limit, skip } = paging(q.get('limit'), q.get('skip'));
        const all = o.sortedUsers();
        return { totalCount: all.length, results: all.slice(skip, skip + limit).map((u) => project(u, q.get('fields'))) };
      }
      case 'user': {
        const u = o.users.get(id!);
        if (!u) throw new HttpFailure(404, { message: 'Not Found' });
        return project(u, q.get('fields'));
      }
      case 'searchUsers': {
        const b = (body ?? {}) as { filter?: unknown; fields?: string };
        const { limit, skip } = paging(q.get('limit'), q.get('skip'));
        const terms = searchTerms(b.filter);
        const found = o.sortedUsers().filter((u) => terms.every(([k, v]) => u[k] === v));
        return { totalCount: found.length, results: found.slice(skip, skip + limit).map((u) => project(u, b.fields ?? null)) };
      }
      case 'groups': {
        const { limit, skip } = paging(q.get('limit'), q.get('skip'));
        return [...o.groups.values()].slice(skip, skip + limit).map(groupJson);
      }
      case 'group': {
        const g = o.groups.get(id!);
        if (!g) throw new HttpFailure(404, { message: 'Not Found' });
        return groupJson(g);
      }
      case 'members': {
        const g = o.groups.get(id!);
        if (!g) throw new HttpFailure(404, { message: 'Not Found' });
        const { limit, skip } = paging(q.get('limit'), q.get('skip'));
        return [...g.members].slice(skip, skip + limit).map((m) => ({ attributes: null, to: { attributes: null, id: m, type: 'user' } }));
      }
      case 'memberOf': {
        if (!o.users.has(id!)) throw new HttpFailure(404, { message: 'Not Found' });
        const { limit, skip } = paging(q.get('limit'), q.get('skip'));
        return o.groupsOf(id!).slice(skip, skip + limit).map((g) => ({
          id: g.id, type: 'user_group', compiledAttributes: {}, paths: [[{ attributes: null, to: { attributes: null, id: g.id, type: 'user_group' } }]],
        }));
      }
      case 'events': {
        const out = queryEvents(o.events, body);
        if (!out.ok) throw new HttpFailure(400, { message: out.error });
        headers['X-Result-Count'] = String(out.events.length);
        headers['X-Limit'] = String(out.limit);
        headers['X-Search_after'] = JSON.stringify(out.searchAfter);
        return out.events;
      }
    }
  }
}

function route(method: string, path: string): { route: Route; id: string | null } | null {
  if (method === 'POST') {
    if (path === '/insights/directory/v1/events') return { route: 'events', id: null };
    if (path === '/api/search/systemusers') return { route: 'searchUsers', id: null };
    return null;
  }
  if (method !== 'GET') return null;
  let m: RegExpExecArray | null;
  if (path === '/api/systemusers') return { route: 'users', id: null };
  if ((m = /^\/api\/systemusers\/([^/]+)$/.exec(path))) return { route: 'user', id: decodeURIComponent(m[1]!) };
  if (path === '/api/v2/usergroups') return { route: 'groups', id: null };
  if ((m = /^\/api\/v2\/usergroups\/([^/]+)$/.exec(path))) return { route: 'group', id: decodeURIComponent(m[1]!) };
  if ((m = /^\/api\/v2\/usergroups\/([^/]+)\/members$/.exec(path))) return { route: 'members', id: decodeURIComponent(m[1]!) };
  if ((m = /^\/api\/v2\/users\/([^/]+)\/memberof$/.exec(path))) return { route: 'memberOf', id: decodeURIComponent(m[1]!) };
  return null;
}

/** Console API paging: limit default 10, at most 100 (more is refused, as JumpCloud does). */
function paging(limitText: string | null, skipText: string | null): { limit: number; skip: number } {
  const limit = limitText === null ? 10 : Number(limitText);
  const skip = skipText === null ? 0 : Number(skipText);
  if (!Number.isInteger(limit) || limit < 1 || limit > CONSOLE_MAX) throw new HttpFailure(400, { message: `limit must be between 1 and ${CONSOLE_MAX}` });
  if (!Number.isInteger(skip) || skip < 0) throw new HttpFailure(400, { message: 'skip must be a non-negative integer' });
  return { limit, skip };
}

/** Which page of its listing a request reads (for faults and the tallies). */
function pageOf(url: URL): number {
  const limit = Number(url.searchParams.get('limit') ?? 10) || 10;
  return Math.floor(Number(url.searchParams.get('skip') ?? 0) / limit) + 1;
}

/** `fields`: space-separated attribute names; `_id` always comes. */
function project(u: FakeUser, fields: string | null): Record<string, unknown> {
  if (!fields) return { ...u };
  const out: Record<string, unknown> = { _id: u._id };
  for (const f of fields.split(/\s+/).filter(Boolean)) if (f in u) out[f] = u[f];
  return out;
}

/** `filter`: `{ and: [{ field: value }] }`, `{ or: [...] }` (only `and` semantics here) or `[{ field: value }]`. */
function searchTerms(filter: unknown): Array<[string, unknown]> {
  const list = Array.isArray(filter) ? filter : ((filter as { and?: unknown[]; or?: unknown[] } | undefined)?.and ?? []);
  if (!Array.isArray(list) || list.length === 0) throw new HttpFailure(400, { message: 'filter is required' });
  return list.flatMap((t) => Object.entries(t as Record<string, unknown>));
}

const groupJson = (g: FakeGroup) => ({ id: g.id, name: g.name, description: g.description, type: 'user_group', attributes: null, email: '' });

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpFailure(400, { message: 'body is not JSON' });
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

export async function startFakeJumpCloud(options: FakeJumpCloudOptions = {}): Promise<FakeJumpCloud> {
  const fake = new FakeJumpCloud(options);
  await fake.start();
  return fake;
}
