/**
 * A programmable fake Keycloak on 127.0.0.1 (plain node:http, no test
 * framework imports), driven through the real @keycloak/keycloak-admin-client.
 *
 * Wire contract (Keycloak Admin REST API and what the client sends, see
 * ../shared/IDP-NOTES.md "Keycloak"):
 * - `POST /realms/{realm}/protocol/openid-connect/token`, client credentials
 *   in a Basic header; a JWT-shaped access token with `exp`, `expires_in`,
 *   and no refresh token (client-credentials grant). 401 `unauthorized_client`
 *   for a wrong secret, 401 `invalid_client` for an unknown client, 400
 *   `unauthorized_client` without service account, 404 for an unknown realm.
 * - `GET /admin/realms/{realm}/users/` and `/groups/` (the client's trailing
 *   slash; Keycloak takes both), `/users/count` (a bare number), `/users/{id}`,
 *   `/users/{id}/groups`, `/groups/{id}`, `/groups/{id}/children` (Keycloak ≥
 *   23; `legacyGroups` serves the tree inline in `subGroups`, as before 23),
 *   `/groups/{id}/members`, `/events/config`, `/admin-events`. Paging by
 *   `first`/`max`, no totals. Bearer token; roles view-users, query-groups,
 *   view-events (403 `{"error":"HTTP 403 Forbidden"}` without).
 * - Errors `{"error": …}`; 5xx `{"error":"unknown_error","error_description":…}`;
 *   a 429 (from a proxy in front: Keycloak has no rate limit) with Retry-After.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { FakeKeycloakRealm, type FakeKcGroup, type FakeKcUser } from './directory.js';
import { closeNow, listenOnLoopback } from '../loopback.js';

export type Route = 'token' | 'users' | 'usersCount' | 'user' | 'userGroups' | 'groups' | 'group' | 'groupChildren' | 'groupMembers' | 'eventsConfig' | 'adminEvents';
export type Role = 'view-users' | 'query-groups' | 'view-events';

export interface Fault {
  route?: Route;
  /** Page of a first/max listing, from 1 (1 for anything else). */
  page?: number;
  status?: number;
  /** With status 429: the Retry-After header, in seconds. */
  retryAfter?: number;
  drop?: boolean;
  latencyMs?: number;
  /** Omitted: for ever. */
  times?: number;
}

export interface LoggedRequest {
  method: string;
  route: Route | null;
  path: string;
  query: URLSearchParams;
  status: number;
  page: number;
}

export interface FakeServiceClient {
  clientId: string;
  secret: string;
  serviceAccount: boolean;
  roles: Set<Role>;
}

export interface FakeKeycloakOptions {
  realm?: FakeKeycloakRealm;
  /** Access token lifetime (Keycloak's default is 300 s). */
  tokenLifetimeSeconds?: number;
  /** Serve groups as Keycloak did before 23: the whole tree inline, no /children, no subGroupCount. */
  legacyGroups?: boolean;
  /** Before Keycloak accepted epoch milliseconds, `dateFrom` was a day (yyyy-MM-dd) only. */
  dateFromDaysOnly?: boolean;
}

class HttpFailure {
  constructor(readonly status: number, readonly body: unknown, readonly headers: Record<string, string> = {}) {}
}
const fail = (status: number, error: string, extra: Record<string, unknown> = {}) => new HttpFailure(status, { error, ...extra });
const ROLE: Record<Route, Role | null> = {
  token: null, users: 'view-users', usersCount: 'view-users', user: 'view-users', userGroups: 'view-users', groupMembers: 'view-users',
  groups: 'query-groups', group: 'query-groups', groupChildren: 'query-groups', eventsConfig: 'view-events', adminEvents: 'view-events',
};
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export class FakeKeycloak {
  readonly realm: FakeKeycloakRealm;
  readonly clients: FakeServiceClient[] = [{ clientId: 'roster-sync', secret: 'test-secret', serviceAccount: true, roles: new Set(['view-users', 'query-groups', 'view-events']) }];
  readonly faults: Fault[] = [];
  readonly requests: LoggedRequest[] = [];
  /** Live tokens: jti → expiry (epoch ms, this machine's clock, as the client reads `exp`). */
  readonly tokens = new Map<string, number>();
  tokensIssued = 0;
  tokenLifetimeSeconds: number;
  legacyGroups: boolean;
  dateFromDaysOnly: boolean;
  latencyMs = 0;
  maxInFlightTotal = 0;
  private inFlight = 0;
  private server: Server | null = null;
  private baseUrl = '';

  constructor(options: FakeKeycloakOptions = {}) {
    this.realm = options.realm ?? new FakeKeycloakRealm();
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 300;
    this.legacyGroups = options.legacyGroups ?? false;
    this.dateFromDaysOnly = options.dateFromDaysOnly ?? false;
  }

  get url(): string {
    if (!this.server) throw new Error('fake Keycloak is not started');
    return this.baseUrl;
  }

  get client(): FakeServiceClient {
    return this.clients[0]!;
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

  /** Every issued token stops working at once (a server restart with new keys, a revocation). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  requestsTo(route: Route): LoggedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const match = this.route(req.method ?? 'GET', url.pathname);
    const first = Number(url.searchParams.get('first') ?? 0);
    const max = Number(url.searchParams.get('max') ?? 100);
    const log: LoggedRequest = { method: req.method ?? 'GET', route: match?.route ?? null, path: url.pathname, query: url.searchParams, status: 0, page: max > 0 ? Math.floor(first / max) + 1 : 1 };
    this.requests.push(log);
    this.maxInFlightTotal = Math.max(this.maxInFlightTotal, ++this.inFlight);
    let status = 200;
    let body: unknown;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    try {
      const fault = match ? this.takeFault(match.route, log.page) : undefined;
      const delay = this.latencyMs + (fault?.latencyMs ?? 0);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (fault?.drop) {
        req.socket.destroy();
        return;
      }
      if (!match) throw fail(404, 'HTTP 404 Not Found');
      if (match.realm !== this.realm.name) throw match.route === 'token' ? fail(404, 'Realm does not exist') : fail(404, 'Realm not found.');
      if (fault?.status === 429) throw new HttpFailure(429, 'Too Many Requests', { 'Content-Type': 'text/plain', 'Retry-After': String(fault.retryAfter ?? 1) });
      if (fault?.status) throw fail(fault.status, 'unknown_error', { error_description: 'For more on this error consult the server log.' });
      if (match.route === 'token') body = this.token(req, await readBody(req));
      else {
        this.authorize(req, match.route);
        body = this.handle(match.route, match.id, url.searchParams, first, max);
      }
    } catch (err) {
      const f = err instanceof HttpFailure ? err : fail(500, 'unknown_error', { error_description: String(err) });
      status = f.status;
      body = f.body;
      Object.assign(headers, f.headers);
    } finally {
      this.inFlight--;
    }
    log.status = status;
    res.writeHead(status, headers);
    res.end(typeof body === 'string' && headers['Content-Type'] === 'text/plain' ? body : JSON.stringify(body));
  }

  private route(method: string, path: string): { route: Route; realm: string; id: string } | null {
    const token = /^\/realms\/([^/]+)\/protocol\/openid-connect\/token$/.exec(path);
    if (token) return method === 'POST' ? { route: 'token', realm: decodeURIComponent(token[1]!), id: '' } : null;
    const m = /^\/admin\/realms\/([^/]+)\/(users|groups|events\/config|admin-events)(?:\/([^/]+))?(?:\/([^/]+))?\/?$/.exec(path);
    if (!m || method !== 'GET') return null;
    const [, realm, kind, id, sub] = m;
    const r = (route: Route) => ({ route, realm: decodeURIComponent(realm!), id: id ? decodeURIComponent(id) : '' });
    if (kind === 'events/config') return id ? null : r('eventsConfig');
    if (kind === 'admin-events') return id ? null : r('adminEvents');
    if (kind === 'users') {
      if (!id) return r('users');
      if (id === 'count' && !sub) return r('usersCount');
      return !sub ? r('user') : sub === 'groups' ? r('userGroups') : null;
    }
    if (!id) return r('groups');
    if (!sub) return r('group');
    if (sub === 'members') return r('groupMembers');
    // Before Keycloak 23 there was no GET on /children.
    return sub === 'children' && !this.legacyGroups ? r('groupChildren') : null;
  }

  private takeFault(route: Route, page: number): Fault | undefined {
    const f = this.faults.find((x) => (x.route === undefined || x.route === route) && (x.page === undefined || x.page === page) && (x.times ?? Infinity) > 0);
    if (f?.times !== undefined) f.times--;
    return f;
  }

  private token(req: IncomingMessage, form: string): unknown {
    const params = new URLSearchParams(form);
    if (params.get('grant_type') !== 'client_credentials') throw fail(400, 'unsupported_grant_type', { error_description: 'Unsupported grant_type' });
    const [scheme, encoded = ''] = (req.headers.authorization ?? '').split(' ');
    const [user = '', pass = ''] = scheme === 'Basic' ? Buffer.from(encoded, 'base64').toString('utf8').split(':') : [];
    const clientId = decodeURIComponent(user.replace(/\+/g, ' '));
    const secret = decodeURIComponent(pass.replace(/\+/g, ' '));
    const client = this.clients.find((c) => c.clientId === clientId);
    if (!client) throw fail(401, 'invalid_client', { error_description: 'Invalid client or Invalid client credentials' });
    if (client.secret !== secret) throw fail(401, 'unauthorized_client', { error_description: 'Invalid client or Invalid client credentials' });
    if (!client.serviceAccount) throw fail(400, 'unauthorized_client', { error_description: 'Client not enabled to retrieve service account' });
    const jti = randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + this.tokenLifetimeSeconds;
    this.tokens.set(jti, exp * 1000);
    this.tokensIssued++;
    const payload = { exp, iat, jti, iss: `${this.baseUrl}/realms/${this.realm.name}`, azp: clientId, typ: 'Bearer' };
    return { access_token: `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(payload)}.c2ln`, expires_in: this.tokenLifetimeSeconds, refresh_expires_in: 0, token_type: 'Bearer', 'not-before-policy': 0, scope: 'profile email' };
  }

  private authorize(req: IncomingMessage, route: Route): void {
    const [scheme, token = ''] = (req.headers.authorization ?? '').split(' ');
    let jti: unknown;
    try {
      jti = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown }).jti;
    } catch {
      jti = undefined;
    }
    const expiry = typeof jti === 'string' ? this.tokens.get(jti) : undefined;
    if (scheme !== 'Bearer' || expiry === undefined || expiry <= Date.now()) throw fail(401, 'HTTP 401 Unauthorized');
    const role = ROLE[route];
    if (role && !this.client.roles.has(role)) throw fail(403, 'HTTP 403 Forbidden');
  }

  private handle(route: Route, id: string, q: URLSearchParams, first: number, max: number): unknown {
    const realm = this.realm;
    const page = <T>(items: T[]) => (max < 0 ? items.slice(first) : items.slice(first, first + max));
    const brief = q.get('briefRepresentation') === 'true';
    switch (route) {
      case 'users':
        return page(this.searchUsers(q)).map((u) => this.userJson(u, brief));
      case 'usersCount':
        return realm.users.size;
      case 'user': {
        const u = realm.users.get(id);
        if (!u) throw fail(404, 'User not found');
        return this.userJson(u, false);
      }
      case 'userGroups': {
        if (!realm.users.has(id)) throw fail(404, 'User not found');
        return page(realm.groupsOf(id)).map((g) => this.groupJson(g, false));
      }
      case 'groups':
        return page(realm.topGroups()).map((g) => this.groupJson(g, this.legacyGroups));
      case 'group':
        return this.groupJson(this.existingGroup(id), this.legacyGroups);
      case 'groupChildren':
        return page(realm.childrenOf(this.existingGroup(id).id)).map((g) => this.groupJson(g, false));
      case 'groupMembers': {
        const g = this.existingGroup(id);
        return page([...g.members].map((m) => realm.user(m)).sort((a, b) => a.username.localeCompare(b.username))).map((u) => this.userJson(u, brief));
      }
      case 'eventsConfig':
        return { eventsEnabled: false, eventsListeners: ['jboss-logging'], enabledEventTypes: [], adminEventsEnabled: realm.adminEventsEnabled, adminEventsDetailsEnabled: true };
      case 'adminEvents':
        return page(this.adminEvents(q));
      case 'token':
        throw new Error('unreachable');
    }
  }

  private existingGroup(id: string): FakeKcGroup {
    const g = this.realm.groups.get(id);
    if (!g) throw fail(404, 'Could not find group by id');
    return g;
  }

  /** `username`/`email` (+ `exact`), `q=attr:value`, `search`: as Keycloak matches them (case-insensitive). */
  private searchUsers(q: URLSearchParams): FakeKcUser[] {
    const exact = q.get('exact') === 'true';
    const like = (v: string | undefined, wanted: string) => (v ?? '').toLowerCase()[exact ? 'startsWith' : 'includes'](wanted.toLowerCase()) && (!exact || (v ?? '').length === wanted.length);
    let users = this.realm.userList();
    for (const field of ['username', 'email', 'firstName', 'lastName'] as const) {
      const wanted = q.get(field);
      if (wanted !== null) users = users.filter((u) => like(u[field], wanted));
    }
    const attr = q.get('q');
    if (attr !== null) {
      const [key = '', value = ''] = attr.split(/:(.*)/s);
      users = users.filter((u) => (u.attributes[key] ?? []).some((v) => v.toLowerCase() === value.toLowerCase()));
    }
    return users;
  }

  private adminEvents(q: URLSearchParams): unknown[] {
    const types = q.getAll('resourceTypes');
    const from = q.get('dateFrom');
    let since = -Infinity;
    if (from !== null) {
      const day = /^\d{4}-\d{2}-\d{2}$/.test(from);
      if (!day && (this.dateFromDaysOnly || !/^\d+$/.test(from))) throw fail(400, "Invalid value for 'Date(From)', expected format is yyyy-MM-dd");
      since = day ? Date.parse(`${from}T00:00:00Z`) : Number(from);
    }
    return this.realm.events.filter((e) => e.time >= since && (types.length === 0 || types.includes(e.resourceType))).reverse();
  }

  userJson(u: FakeKcUser, brief: boolean): Record<string, unknown> {
    const base = {
      id: u.id, username: u.username, ...(u.firstName ? { firstName: u.firstName } : {}), ...(u.lastName ? { lastName: u.lastName } : {}),
      ...(u.email ? { email: u.email } : {}), emailVerified: false, createdTimestamp: u.createdTimestamp, enabled: u.enabled, totp: false,
    };
    if (brief) return base;
    return { ...base, ...(Object.keys(u.attributes).length ? { attributes: u.attributes } : {}), disableableCredentialTypes: [], requiredActions: [], notBefore: 0, access: { manage: false } };
  }

  /** Keycloak ≥ 23: `parentId`, `subGroupCount`, no inline tree; `legacy`: the tree inline in `subGroups`. */
  groupJson(g: FakeKcGroup, legacy: boolean): Record<string, unknown> {
    const base = { id: g.id, name: g.name, path: this.realm.path(g), attributes: {}, realmRoles: [], clientRoles: {} };
    if (this.legacyGroups) return { ...base, subGroups: legacy ? this.realm.childrenOf(g.id).map((c) => this.groupJson(c, true)) : [] };
    return { ...base, ...(g.parentId ? { parentId: g.parentId } : {}), subGroupCount: this.realm.childrenOf(g.id).length, subGroups: [], access: { view: true } };
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

export async function startFakeKeycloak(options: FakeKeycloakOptions = {}): Promise<FakeKeycloak> {
  const fake = new FakeKeycloak(options);
  await fake.start();
  return fake;
}
