/**
 * A programmable fake Okta org on 127.0.0.1 (plain node:http, no test
 * framework imports: the benchmark and `roster demo` reuse it).
 *
 * Wire contract reproduced from Okta's public docs:
 * - Pagination: a JSON array plus `Link: <…>; rel="self"` and
 *   `Link: <…?after=…&limit=…>; rel="next"` as two headers
 *   (https://developer.okta.com/docs/reference/core-okta-api/#pagination).
 *   `limit` caps: users 200, group members 1000, groups 10000.
 * - `GET /api/v1/users` without `search`/`filter` omits DEPROVISIONED users;
 *   `search` and `filter` include them (Users API, List users).
 * - `X-Rate-Limit-Limit/Remaining/Reset` on every response, 429 E0000047
 *   when the budget of the window is spent
 *   (https://developer.okta.com/docs/reference/rl-best-practices/).
 * - Errors: `{errorCode, errorSummary, errorLink, errorId, errorCauses}`:
 *   401 E0000011, 403 E0000006, 404 E0000007, 400 E0000031, 429 E0000047
 *   (https://developer.okta.com/docs/reference/error-codes/).
 * - The System Log, `GET /api/v1/logs` (./system-log.ts), scope okta.logs.read.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { FakeDirectory, firstAfter, type FakeGroup, type FakeUser } from './directory.js';
import { FakeTokenEndpoint, type FakeOAuthClient } from './oauth.js';
import { parseQuery, type Predicate } from './query.js';
import { closeNow, listenOnLoopback } from '../loopback.js';

export type Route = 'users' | 'user' | 'userGroups' | 'groups' | 'group' | 'groupMembers' | 'logs' | 'token';

export interface RateLimit {
  limit: number;
  /** Window length; a multiple of 1000 (Reset is in epoch seconds). */
  windowMs: number;
}

/** An injected fault. `page` counts from 1 within one listing; `times` defaults to Infinity (persistent). */
export interface Fault {
  route?: Route;
  page?: number;
  status?: number;
  errorCode?: string;
  latencyMs?: number;
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
  /** Destroy the socket without an answer (a dropped connection). */
  drop?: boolean;
  /**
   * With status 429: X-Rate-Limit-Reset this many seconds from now (default:
   * the route's window end). 0 = a window that already reset, so the client may retry at once.
   */
  resetInSeconds?: number;
  times?: number;
}

export interface LoggedRequest {
  method: string;
  route: Route | null;
  path: string;
  query: Record<string, string>;
  status: number;
  page: number;
}

export interface FakeOktaOptions {
  directory?: FakeDirectory;
  /** SSWS tokens accepted (default: ['test-token']). */
  apiTokens?: string[];
  oauthClients?: FakeOAuthClient[];
  /** Budget applied to every route (default: 100,000 per 60 s, out of the way). */
  rateLimit?: RateLimit;
  latencyMs?: number;
  /** Serve at most this many items a page, whatever `limit` asks (Okta may serve fewer; clients follow the next link). */
  maxPageSize?: number;
}

const LIMITS: Partial<Record<Route, { def: number; max: number }>> = {
  users: { def: 200, max: 200 },
  groups: { def: 10_000, max: 10_000 },
  groupMembers: { def: 1000, max: 1000 },
};
/** Okta's user `filter` supports only these attributes; `search` takes any. */
const USER_FILTER_ATTRS = new Set(['status', 'lastUpdated', 'id', 'profile.login', 'profile.email', 'profile.firstName', 'profile.lastName']);
const NEEDS: Record<Route, 'users' | 'groups' | 'logs' | null> = {
  users: 'users', user: 'users', userGroups: 'users', groups: 'groups', group: 'groups', groupMembers: 'groups', logs: 'logs', token: null,
};
const SCOPE = { users: 'okta.users.read', groups: 'okta.groups.read', logs: 'okta.logs.read' } as const;

class HttpFailure {
  constructor(readonly status: number, readonly errorCode: string, readonly summary: string, readonly headers: Record<string, string> = {}) {}
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const encodeCursor = (key: string, page: number) => Buffer.from(JSON.stringify({ k: key, p: page })).toString('base64url');
function decodeCursor(after: string | undefined): { k: string; p: number } | null {
  if (!after) return null;
  try {
    const v = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as { k?: unknown; p?: unknown };
    if (typeof v.k === 'string' && typeof v.p === 'number') return { k: v.k, p: v.p };
  } catch {
    /* fall through */
  }
  throw new HttpFailure(400, 'E0000031', 'Invalid search criteria: the after cursor is not valid.');
}

export class FakeOkta {
  readonly directory: FakeDirectory;
  readonly apiTokens: Set<string>;
  readonly oauth: FakeTokenEndpoint;
  /** Switch off to answer 403 E0000006 (the token's admin or the app lacks the permission). */
  readonly permissions = { users: true, groups: true, logs: true };
  readonly faults: Fault[] = [];
  readonly requests: LoggedRequest[] = [];
  readonly inFlight = new Map<Route, number>();
  readonly maxInFlight = new Map<Route, number>();
  /** The most requests of any route handled at once (the client's concurrency bound). */
  maxInFlightTotal = 0;
  private inFlightTotal = 0;
  rateLimited = 0;
  latencyMs: number;
  private readonly limits = new Map<Route | '*', RateLimit>();
  private readonly maxPageSize: number;
  private readonly buckets = new Map<Route, { windowStart: number; used: number }>();
  private server: Server | null = null;
  private baseUrl = '';

  constructor(options: FakeOktaOptions = {}) {
    this.directory = options.directory ?? new FakeDirectory();
    this.apiTokens = new Set(options.apiTokens ?? ['test-token']);
    this.oauth = new FakeTokenEndpoint(options.oauthClients ?? [], () => this.directory.now());
    this.limits.set('*', options.rateLimit ?? { limit: 100_000, windowMs: 60_000 });
    this.latencyMs = options.latencyMs ?? 0;
    this.maxPageSize = options.maxPageSize ?? Infinity;
  }

  get url(): string {
    if (!this.server) throw new Error('fake Okta is not started');
    return this.baseUrl;
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

  /** Sets the budget of one route, or of every route. */
  setRateLimit(limit: RateLimit, route?: Route): void {
    this.limits.set(route ?? '*', limit);
    if (!route) this.buckets.clear();
    else this.buckets.delete(route);
  }

  requestsTo(route: Route): LoggedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const query = Object.fromEntries(url.searchParams);
    const match = this.route(req.method ?? 'GET', url.pathname);
    const route = match?.route ?? null;
    const log: LoggedRequest = { method: req.method ?? 'GET', route, path: url.pathname, query, status: 0, page: 1 };
    this.requests.push(log);
    this.maxInFlightTotal = Math.max(this.maxInFlightTotal, ++this.inFlightTotal);
    if (route) {
      const n = (this.inFlight.get(route) ?? 0) + 1;
      this.inFlight.set(route, n);
      this.maxInFlight.set(route, Math.max(n, this.maxInFlight.get(route) ?? 0));
    }
    const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json', 'X-Okta-Request-Id': randomBytes(8).toString('hex') };
    let status = 200;
    let body: unknown;
    try {
      const cursor = decodeCursor(query.after);
      log.page = cursor ? cursor.p + 1 : 1;
      const fault = route ? this.takeFault(route, log.page) : undefined;
      const delay = this.latencyMs + (fault?.latencyMs ?? 0);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (fault?.hang) return; // the socket stays open until the client gives up or close()
      if (fault?.drop) {
        log.status = 0;
        req.socket.destroy();
        return;
      }
      if (!match) throw new HttpFailure(404, 'E0000022', `The endpoint does not support the provided HTTP method`);
      this.spendBudget(match.route, headers);
      if (match.route === 'token') {
        const form = new URLSearchParams(await readBody(req));
        const dpop = req.headers['dpop'];
        const out = this.oauth.handle(form, `${this.baseUrl}/oauth2/v1/token`, Array.isArray(dpop) ? dpop[0] : dpop);
        status = out.status;
        body = out.body;
      } else {
        this.authorize(req, match.route);
        if (fault?.status === 429 && fault.resetInSeconds !== undefined) {
          headers['X-Rate-Limit-Remaining'] = '0';
          headers['X-Rate-Limit-Reset'] = String(Math.floor(this.directory.now() / 1000) + fault.resetInSeconds);
          throw new HttpFailure(429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
        }
        if (fault?.status) throw new HttpFailure(fault.status, fault.errorCode ?? 'E0000009', 'Internal Server Error');
        body = this.handle(match.route, match.params, url, cursor, headers);
      }
    } catch (err) {
      // A bug in the fake answers 500 like Okta's E0000009, rather than killing the process.
      const f = err instanceof HttpFailure ? err : new HttpFailure(500, 'E0000009', `Internal Server Error: ${String(err)}`);
      status = f.status;
      Object.assign(headers, f.headers);
      body = { errorCode: f.errorCode, errorSummary: f.summary, errorLink: f.errorCode, errorId: `oae${randomBytes(8).toString('hex')}`, errorCauses: [] };
    } finally {
      this.inFlightTotal--;
      if (route) this.inFlight.set(route, (this.inFlight.get(route) ?? 1) - 1);
    }
    log.status = status;
    headers['Date'] = new Date(this.directory.now()).toUTCString();
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  }

  private route(method: string, path: string): { route: Route; params: string[] } | null {
    if (method === 'POST' && path === '/oauth2/v1/token') return { route: 'token', params: [] };
    if (method !== 'GET') return null;
    if (path === '/api/v1/logs') return { route: 'logs', params: [] };
    const m = /^\/api\/v1\/(users|groups)(?:\/([^/]+))?(?:\/(users|groups))?\/?$/.exec(path);
    if (!m) return null;
    const [, kind, id, sub] = m;
    const params = id ? [decodeURIComponent(id)] : [];
    if (kind === 'users') return !id ? { route: 'users', params } : sub === 'groups' ? { route: 'userGroups', params } : sub ? null : { route: 'user', params };
    return !id ? { route: 'groups', params } : sub === 'users' ? { route: 'groupMembers', params } : sub ? null : { route: 'group', params };
  }

  private takeFault(route: Route, page: number): Fault | undefined {
    const i = this.faults.findIndex((f) => (f.route === undefined || f.route === route) && (f.page === undefined || f.page === page) && (f.times ?? Infinity) > 0);
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (f.times !== undefined) f.times--;
    return f;
  }

  /** Fixed windows aligned on the epoch; Reset is the window's end in epoch seconds. */
  private spendBudget(route: Route, headers: Record<string, string | string[]>): void {
    const { limit, windowMs } = this.limits.get(route) ?? this.limits.get('*')!;
    const now = this.directory.now();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    let b = this.buckets.get(route);
    if (!b || b.windowStart !== windowStart) this.buckets.set(route, (b = { windowStart, used: 0 }));
    b.used++;
    headers['X-Rate-Limit-Limit'] = String(limit);
    headers['X-Rate-Limit-Remaining'] = String(Math.max(0, limit - b.used));
    headers['X-Rate-Limit-Reset'] = String(Math.ceil((windowStart + windowMs) / 1000));
    if (b.used > limit) {
      this.rateLimited++;
      throw new HttpFailure(429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
    }
  }

  private authorize(req: IncomingMessage, route: Route): void {
    const auth = req.headers.authorization ?? '';
    const [scheme, token = ''] = auth.split(' ');
    let scopes: Set<string> | null = null;
    if (scheme === 'SSWS' && this.apiTokens.has(token)) scopes = null;
    else if (scheme === 'Bearer' || scheme === 'DPoP') {
      const t = this.oauth.lookup(token);
      if (!t) throw new HttpFailure(401, 'E0000011', 'Invalid token provided', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      scopes = t.scopes;
    } else throw new HttpFailure(401, 'E0000011', 'Invalid token provided');
    const need = NEEDS[route];
    if (!need) return;
    if (!this.permissions[need] || (scopes && !scopes.has(SCOPE[need]))) {
      const hdr: Record<string, string> = scopes ? { 'WWW-Authenticate': `Bearer error="insufficient_scope", error_description="The access token provided does not contain the required scopes."` } : {};
      throw new HttpFailure(403, 'E0000006', 'You do not have permission to perform the requested action', hdr);
    }
  }

  private handle(route: Route, params: string[], url: URL, cursor: { k: string; p: number } | null, headers: Record<string, string | string[]>): unknown {
    const d = this.directory;
    const q = url.searchParams;
    switch (route) {
      case 'users': {
        const pred = this.predicate(q, USER_FILTER_ATTRS);
        // Without search or filter, Okta leaves DEPROVISIONED users out of the listing.
        const keep: Predicate = pred ?? ((u) => u.status !== 'DEPROVISIONED');
        const page = this.page(d.userOrder, (id) => d.users.get(id), keep, route, url, cursor, headers);
        return page.map((u) => this.userJson(u));
      }
      case 'user': {
        const key = params[0]!;
        const u = d.users.get(key) ?? [...d.users.values()].find((x) => String(x.profile.login).toLowerCase() === key.toLowerCase());
        if (!u) throw new HttpFailure(404, 'E0000007', `Not found: Resource not found: ${key} (User)`);
        return this.userJson(u);
      }
      case 'userGroups': {
        if (!d.users.has(params[0]!)) throw new HttpFailure(404, 'E0000007', `Not found: Resource not found: ${params[0]} (User)`);
        return d.groupsOf(params[0]!).map((g) => this.groupJson(g));
      }
      case 'groups': {
        const pred = this.predicate(q);
        const page = this.page(d.groupOrder, (id) => d.groups.get(id), pred ?? (() => true), route, url, cursor, headers);
        return page.map((g) => this.groupJson(g));
      }
      case 'group': {
        const g = d.groups.get(params[0]!);
        if (!g) throw new HttpFailure(404, 'E0000007', `Not found: Resource not found: ${params[0]} (UserGroup)`);
        return this.groupJson(g);
      }
      case 'groupMembers': {
        const g = d.groups.get(params[0]!);
        if (!g) throw new HttpFailure(404, 'E0000007', `Not found: Resource not found: ${params[0]} (UserGroup)`);
        const page = this.page(d.memberIds(g), (id) => d.users.get(id), () => true, route, url, cursor, headers);
        return page.map((u) => this.userJson(u));
      }
      case 'logs':
        return this.logs(url, cursor, headers);
      case 'token':
        throw new Error('unreachable');
    }
  }

  private predicate(q: URLSearchParams, filterAttrs?: ReadonlySet<string>): Predicate | null {
    const search = q.get('search');
    const filter = q.get('filter');
    if (search === null && filter === null) return null;
    const parsed = parseQuery(search ?? filter ?? '', search === null ? filterAttrs : undefined);
    if (!parsed.ok) throw new HttpFailure(400, 'E0000031', `Invalid search criteria: ${parsed.error}`);
    return parsed.value;
  }

  /** System Log API, List all System Log events (the rules are in ./system-log.ts). */
  private logs(url: URL, cursor: { k: string; p: number } | null, headers: Record<string, string | string[]>): unknown {
    const out = this.directory.log.query(url.searchParams, cursor ? Number(cursor.k) : -1);
    if (!out.ok) throw new HttpFailure(400, 'E0000001', `Api validation failed: ${out.error}`);
    const self = new URL(url.pathname + url.search, this.baseUrl);
    const links = [`<${self.href}>; rel="self"`];
    if (out.nextAfter !== null) {
      const link = new URL(self.href);
      link.searchParams.set('after', encodeCursor(String(out.nextAfter), cursor ? cursor.p + 1 : 1));
      links.push(`<${link.href}>; rel="next"`);
    }
    headers['Link'] = links;
    return out.events;
  }

  /** One page of `ids` after the cursor, and the self/next Link headers. */
  private page<T extends FakeUser | FakeGroup>(
    ids: readonly string[], get: (id: string) => T | undefined, keep: Predicate, route: Route, url: URL,
    cursor: { k: string; p: number } | null, headers: Record<string, string | string[]>,
  ): T[] {
    const caps = LIMITS[route]!;
    const asked = Number(url.searchParams.get('limit') ?? caps.def);
    const limit = Math.max(1, Math.min(Number.isFinite(asked) ? asked : caps.def, caps.max, this.maxPageSize));
    const out: T[] = [];
    let i = cursor ? firstAfter(ids, cursor.k) : 0;
    for (; i < ids.length && out.length < limit; i++) {
      const item = get(ids[i]!);
      if (item && keep(item as never)) out.push(item);
    }
    let more = false;
    for (let j = i; j < ids.length && !more; j++) {
      const item = get(ids[j]!);
      more = item !== undefined && keep(item as never);
    }
    const self = new URL(url.pathname + url.search, this.baseUrl);
    const links = [`<${self.href}>; rel="self"`];
    if (more && out.length > 0) {
      const next = new URL(self.href);
      next.searchParams.set('after', encodeCursor(out[out.length - 1]!.id, cursor ? cursor.p + 1 : 1));
      next.searchParams.set('limit', String(limit));
      links.push(`<${next.href}>; rel="next"`);
    }
    headers['Link'] = links;
    return out;
  }

  userJson(u: FakeUser): Record<string, unknown> {
    return {
      id: u.id, status: u.status, created: iso(u.created), activated: iso(u.activated), statusChanged: iso(u.statusChanged),
      lastLogin: iso(u.lastLogin), lastUpdated: iso(u.lastUpdated), passwordChanged: iso(u.passwordChanged),
      type: { id: 'oty1fakeusertype0000' }, profile: u.profile, credentials: { provider: { type: 'OKTA', name: 'OKTA' } },
      _links: { self: { href: `${this.baseUrl}/api/v1/users/${u.id}` } },
    };
  }

  groupJson(g: FakeGroup): Record<string, unknown> {
    return {
      id: g.id, created: iso(g.created), lastUpdated: iso(g.lastUpdated), lastMembershipUpdated: iso(g.lastMembershipUpdated),
      objectClass: ['okta:user_group'], type: g.type, profile: g.profile,
      _links: { users: { href: `${this.baseUrl}/api/v1/groups/${g.id}/users` } },
    };
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

/** Creates and starts a fake org; `close()` it when done. */
export async function startFakeOkta(options: FakeOktaOptions = {}): Promise<FakeOkta> {
  const fake = new FakeOkta(options);
  await fake.start();
  return fake;
}
