/**
 * A programmable fake of the Microsoft identity platform and Microsoft Graph
 * v1.0 (the parts Roster's Entra provider uses), on https://127.0.0.1:<port>.
 * Plain node:https, no test-framework imports: the benchmark and `roster demo`
 * start it too. The process that talks to it must trust the CA from ../tls.ts
 * (NODE_EXTRA_CA_CERTS), because the Graph client only sends its token over https.
 *
 * Graph errors use the documented shape (https://learn.microsoft.com/graph/errors):
 * `{ "error": { "code", "message", "innerError": { "date", "request-id" } } }`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadTestTls } from '../tls.js';
import { DeltaEngine, decodeToken, encodeToken, projectUser, type DeltaResource, type DeltaToken } from './delta.js';
import { FakeDirectory, type FakeGroup, type FakeUser } from './directory.js';
import { FakeIdentity } from './identity.js';
import { closeNow, listenOnLoopback } from '../loopback.js';

/** Application permissions (app roles) the fake tenant has consented to. */
export type GraphPermission = 'User.Read.All' | 'Group.Read.All' | 'GroupMember.Read.All' | 'Directory.Read.All';

export interface FakeEntraOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Objects per delta page (Graph: about 200). */
  objectsPerPage?: number;
  /** Member links per groups/delta page (Graph: up to about 500). */
  linksPerPage?: number;
  tokenLifetimeSeconds?: number;
  directory?: FakeDirectory;
  tls?: { cert: string; key: string };
}

export interface RequestLogEntry {
  method: string;
  /** Path without the query, e.g. /v1.0/users/delta. */
  path: string;
  query: URLSearchParams;
  status: number;
  kind: 'identity' | 'graph';
}

interface Throttle { remaining: number; retryAfter: number; match: RegExp | null }
interface PageFault { resource: DeltaResource; page: number; status: number; drop: boolean; retryAfter: number | undefined; remaining: number }

/** What an injected page fault does instead of answering. */
export interface PageFaultOptions {
  resource: DeltaResource;
  /** 1-based page within a delta round (a first round or one started from a deltaLink). */
  page: number;
  /** The status answered (default 500; 429 comes with Retry-After). */
  status?: number;
  /** Destroy the socket without an answer instead (a dropped connection). */
  drop?: boolean;
  retryAfterSeconds?: number;
  /** How many requests of that page it affects (default: all, until clearFaults()). */
  times?: number;
}

/** Answer of a route that wants the connection dropped rather than answered. */
const DROP = Symbol('drop');

export class FakeEntra {
  readonly directory: FakeDirectory;
  readonly identity: FakeIdentity;
  readonly delta: DeltaEngine;
  readonly requests: RequestLogEntry[] = [];
  permissions = new Set<GraphPermission>(['User.Read.All', 'Group.Read.All']);
  private throttles: Throttle[] = [];
  private pageFaults: PageFault[] = [];
  private hangs: Array<{ match: RegExp | null }> = [];
  private latencyMs = 0;
  private expiredStatus: 400 | 410 = 400;
  private port = 0;
  private inFlight = 0;
  /** The most requests that were being handled at the same time (to check client concurrency limits). */
  maxInFlight = 0;

  private constructor(private readonly server: Server, options: FakeEntraOptions) {
    this.directory = options.directory ?? new FakeDirectory();
    this.identity = new FakeIdentity({
      tenantId: options.tenantId ?? randomUUID(),
      clientId: options.clientId ?? randomUUID(),
      clientSecret: options.clientSecret ?? `secret~${randomUUID()}`,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
    }, () => this.url);
    this.delta = new DeltaEngine(this.directory, {
      objectsPerPage: options.objectsPerPage ?? 200,
      linksPerPage: options.linksPerPage ?? 500,
    });
  }

  /** Starts the fake on 127.0.0.1 (a free port). */
  static async start(options: FakeEntraOptions = {}): Promise<FakeEntra> {
    const tls = options.tls ?? loadTestTls();
    let fake: FakeEntra | undefined;
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => void fake!.handle(req, res));
    fake = new FakeEntra(server, options);
    fake.port = await listenOnLoopback(server);
    return fake;
  }

  /** Serves as both graphBaseUrl and authorityHost (a "national cloud" from the client's point of view). */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  get tenantId(): string { return this.identity.config.tenantId; }
  get clientId(): string { return this.identity.config.clientId; }
  get clientSecret(): string { return this.identity.config.clientSecret; }

  /** Connection settings and secrets for the provider, pointing at this fake. */
  connection(): { settings: Record<string, unknown>; secrets: Record<string, unknown> } {
    return {
      settings: { tenantId: this.tenantId, clientId: this.clientId, graphBaseUrl: this.url, authorityHost: this.url },
      secrets: { clientSecret: this.clientSecret },
    };
  }

  async close(): Promise<void> {
    await closeNow(this.server);
  }

  // ---- programming the fake ----

  /** The next `times` Graph requests (matching `match`, if given) answer 429 with Retry-After. */
  throttle(options: { times: number; retryAfterSeconds?: number; match?: RegExp }): void {
    this.throttles.push({ remaining: options.times, retryAfter: options.retryAfterSeconds ?? 1, match: options.match ?? null });
  }

  /** Page `page` (1-based) of every `resource` delta round fails as `options` say, `times` times or until clearFaults(). */
  failPage(options: PageFaultOptions): void {
    this.pageFaults.push({
      resource: options.resource,
      page: options.page,
      status: options.status ?? 500,
      drop: options.drop ?? false,
      retryAfter: options.retryAfterSeconds,
      remaining: options.times ?? Infinity,
    });
  }

  /** Injected page faults not yet spent (a test checks its fault was really met). */
  pendingPageFaults(): number {
    return this.pageFaults.reduce((n, f) => n + (Number.isFinite(f.remaining) ? f.remaining : 0), 0);
  }

  /** Matching requests are accepted and never answered (until close()). */
  hang(options: { match?: RegExp } = {}): void {
    this.hangs.push({ match: options.match ?? null });
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Every outstanding nextLink/deltaLink becomes invalid: 400 syncStateNotFound, or 410 Gone. */
  expireDeltaTokens(options: { status?: 400 | 410 } = {}): void {
    this.expiredStatus = options.status ?? 400;
    this.delta.expire();
  }

  grant(...permissions: GraphPermission[]): void {
    for (const p of permissions) this.permissions.add(p);
  }

  revoke(...permissions: GraphPermission[]): void {
    for (const p of permissions) this.permissions.delete(p);
  }

  clearFaults(): void {
    this.throttles = [];
    this.pageFaults = [];
    this.hangs = [];
    this.latencyMs = 0;
  }

  /** Requests whose path matches (all when omitted). */
  count(match?: RegExp): number {
    return match ? this.requests.filter((r) => match.test(r.path)).length : this.requests.length;
  }

  resetLog(): void {
    this.requests.length = 0;
    this.maxInFlight = 0;
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, status: 0, kind: url.pathname.startsWith('/v1.0/') ? 'graph' : 'identity' };
    this.requests.push(entry);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      this.inFlight--;
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': randomUUID(), ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
      if (this.hangs.some((h) => !h.match || h.match.test(url.pathname + url.search))) return;
      if (entry.kind === 'identity') {
        const r = await this.identityRoute(req, url);
        send(r.status, r.body);
        return;
      }
      const throttle = this.throttles.find((t) => t.remaining > 0 && (!t.match || t.match.test(url.pathname + url.search)));
      if (throttle) {
        throttle.remaining--;
        // https://learn.microsoft.com/graph/throttling: 429 with Retry-After (seconds).
        send(429, graphError('TooManyRequests', 'Too many requests.'), { 'retry-after': String(throttle.retryAfter) });
        return;
      }
      if (!this.identity.accepts(req.headers.authorization)) {
        send(401, graphError('InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.'));
        return;
      }
      const answer = this.graphRoute(url);
      if (answer === DROP) {
        this.inFlight--;
        req.socket.destroy();
        return;
      }
      send(...answer);
    } catch (err) {
      send(500, graphError('generalException', `fake Graph failed: ${(err as Error).message}`));
    }
  }

  private async identityRoute(req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown }> {
    const openid = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (openid && req.method === 'GET') return this.identity.openidConfiguration(openid[1]!);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      return this.identity.token(token[1]!, new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    }
    return { status: 404, body: { error: 'not_found', error_description: `fake identity: no route ${url.pathname}` } };
  }

  private graphRoute(url: URL): [number, unknown, Record<string, string>?] | typeof DROP {
    const path = url.pathname;
    const q = url.searchParams;
    const select = q.get('$select')?.split(',').map((s) => s.trim()).filter(Boolean) ?? null;
    const canUsers = this.has('User.Read.All', 'Directory.Read.All');
    const canGroups = this.has('Group.Read.All', 'GroupMember.Read.All', 'Directory.Read.All');
    if (path === '/v1.0/users/delta' || path === '/v1.0/groups/delta') {
      const resource: DeltaResource = path === '/v1.0/users/delta' ? 'users' : 'groups';
      if (!(resource === 'users' ? canUsers : canGroups)) return denied();
      return this.deltaRoute(resource, q, select);
    }
    if (path === '/v1.0/users') {
      if (!canUsers) return denied();
      const filter = parseFilter(q.get('$filter'));
      if (filter === 'unsupported') return [400, graphError('Request_UnsupportedQuery', 'Unsupported or invalid query filter clause specified.')];
      const users = this.directory.users.filter((u) => !u.removed && (!filter || matches(u, filter)));
      return this.listPage(path, q, users, (u) => projectUser(u, select, false));
    }
    if (path === '/v1.0/groups') {
      if (!canGroups) return denied();
      return this.listPage(path, q, this.directory.groups.filter((g) => !g.removed), (g) => projectGroup(g, select));
    }
    const one = new RegExp(`^/v1\\.0/users/([^/]+)(/transitiveMemberOf/microsoft\\.graph\\.group)?$`).exec(path);
    if (one) {
      if (!canUsers || (one[2] && !canGroups)) return denied();
      const key = decodeURIComponent(one[1]!);
      const user = this.directory.user(key);
      if (!user || user.removed) {
        return [404, graphError('Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`)];
      }
      if (!one[2]) return [200, { '@odata.context': `${this.url}/v1.0/$metadata#users/$entity`, ...projectUser(user, select, false) }];
      return this.listPage(path, q, this.directory.transitiveGroupsOf(user.id), (g) => ({ '@odata.type': '#microsoft.graph.group', ...projectGroup(g, select) }));
    }
    return [404, graphError('BadRequest', `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`)];
  }

  private deltaRoute(resource: DeltaResource, q: URLSearchParams, select: string[] | null): [number, unknown, Record<string, string>?] | typeof DROP {
    const raw = q.get('$skiptoken') ?? q.get('$deltatoken');
    let token: DeltaToken;
    if (raw === null) {
      token = this.delta.start(resource, select, null);
    } else {
      const decoded = decodeToken(raw);
      if (!decoded || decoded.k !== resource || !this.delta.valid(decoded)) return this.expired();
      token = q.has('$deltatoken') ? this.delta.start(resource, null, decoded) : decoded;
    }
    const fault = this.pageFaults.find((f) => f.resource === resource && f.page === token.n && f.remaining > 0);
    if (fault) {
      fault.remaining--;
      if (fault.drop) return DROP;
      if (fault.status === 429) return [429, graphError('TooManyRequests', 'Too many requests.'), { 'retry-after': String(fault.retryAfter ?? 1) }];
      return [fault.status, graphError(fault.status >= 500 ? 'generalException' : 'BadRequest', `Injected failure on page ${token.n}.`)];
    }
    const page = this.delta.page(token);
    const link = `${this.url}/v1.0/${resource}/delta?`;
    return [200, {
      '@odata.context': `${this.url}/v1.0/$metadata#${resource}`,
      ...(page.next ? { '@odata.nextLink': `${link}$skiptoken=${encodeToken(page.next)}` } : {}),
      ...(page.deltaLink ? { '@odata.deltaLink': `${link}$deltatoken=${encodeToken(page.deltaLink)}` } : {}),
      value: page.value,
    }];
  }

  private expired(): [number, unknown] {
    if (this.expiredStatus === 410) return [410, graphError('resyncRequired', 'Resync required. Replace any local items with the server\'s versions.')];
    return [400, graphError('syncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.')];
  }

  /** Plain collection paging: `$top` (default 100, max 999) and an offset in `$skiptoken`. */
  private listPage<T>(path: string, q: URLSearchParams, items: T[], project: (item: T) => Record<string, unknown>): [number, unknown] {
    const top = Math.min(Number(q.get('$top') ?? 100) || 100, 999);
    const offset = Number(q.get('$skiptoken') ?? 0) || 0;
    const value = items.slice(offset, offset + top).map(project);
    const next = offset + top < items.length ? new URLSearchParams(q) : null;
    next?.set('$skiptoken', String(offset + top));
    return [200, {
      '@odata.context': `${this.url}/v1.0/$metadata#${path.split('/').slice(2).join('/')}`,
      ...(next ? { '@odata.nextLink': `${this.url}${path}?${next.toString()}` } : {}),
      value,
    }];
  }

  private has(...any: GraphPermission[]): boolean {
    return any.some((p) => this.permissions.has(p));
  }
}

function graphError(code: string, message: string): { error: Record<string, unknown> } {
  return { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } };
}

function denied(): [number, unknown] {
  return [403, graphError('Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')];
}

function projectGroup(g: FakeGroup, select: string[] | null): Record<string, unknown> {
  return !select || select.includes('displayName') ? { id: g.id, displayName: g.displayName } : { id: g.id };
}

/**
 * `$filter=<property> eq '<value>'` only, with OData quote escaping ('' = ').
 * Directory string comparisons are case-insensitive.
 */
function parseFilter(raw: string | null): { property: string; value: string } | null | 'unsupported' {
  if (raw === null) return null;
  const m = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(raw);
  return m ? { property: m[1]!, value: m[2]!.replace(/''/g, "'") } : 'unsupported';
}

function matches(user: FakeUser, filter: { property: string; value: string }): boolean {
  const v = filter.property === 'id' ? user.id : user.props[filter.property];
  return typeof v === 'string' && v.toLowerCase() === filter.value.toLowerCase();
}
