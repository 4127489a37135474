/**
 * A programmable fake Zitadel instance on 127.0.0.1 (plain node:http, no test
 * framework imports).
 *
 * Wire contract (../shared/IDP-NOTES.md "Zitadel", Zitadel's API reference):
 * - v2 services speak the connect protocol, unary JSON over HTTP/1.1:
 *   `POST /zitadel.user.v2.UserService/ListUsers`, `content-type:
 *   application/json`, `connect-protocol-version: 1`; int64s are strings,
 *   enums their names, default values omitted. Errors are `{ code, message }`
 *   with the HTTP status of the connect code (unauthenticated 401,
 *   permission_denied 403, not_found 404, resource_exhausted 429, internal 500,
 *   unavailable 503).
 * - Paging by `offset`/`limit` (users: `query`; v2beta: `pagination`), with
 *   `totalResult` in the answer; at most 1000 a page.
 * - Groups: project roles (`ProjectService` v2beta ListProjects,
 *   ListProjectRoles) and user grants (`AuthorizationService` v2beta
 *   ListAuthorizations), both connect-only services.
 * - The admin events API is a v1 REST gateway path, `POST /admin/v1/events/_search`
 *   (`from`, `asc`, `limit` ≤ 1000, `aggregateTypes`), readable with IAM_OWNER_VIEWER.
 * - `POST /oauth/v2/token` with the JWT profile grant
 *   (`urn:ietf:params:oauth:grant-type:jwt-bearer`): the assertion's RS256
 *   signature is checked with the service account key's public key.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { FakeZitadelDirectory, type FakeUser } from './directory.js';
import { closeNow, listenOnLoopback } from '../loopback.js';

export type Route = 'token' | 'users' | 'user' | 'projects' | 'roles' | 'authorizations' | 'events';

const PATHS: Record<string, Route> = {
  '/oauth/v2/token': 'token',
  '/zitadel.user.v2.UserService/ListUsers': 'users',
  '/zitadel.user.v2.UserService/GetUserByID': 'user',
  '/zitadel.project.v2beta.ProjectService/ListProjects': 'projects',
  '/zitadel.project.v2beta.ProjectService/ListProjectRoles': 'roles',
  '/zitadel.authorization.v2beta.AuthorizationService/ListAuthorizations': 'authorizations',
  '/admin/v1/events/_search': 'events',
};
const MAX_LIMIT = 1000;
const CONNECT_CODES: Record<number, string> = { 400: 'invalid_argument', 401: 'unauthenticated', 403: 'permission_denied', 404: 'not_found', 429: 'resource_exhausted', 500: 'internal', 503: 'unavailable' };

/** An injected fault; `page` counts from 1 within one listing, `times` defaults to Infinity. */
export interface Fault {
  route: Route;
  page?: number;
  status?: number;
  /** Seconds in a Retry-After header (with a 429). */
  retryAfter?: number;
  drop?: boolean;
  times?: number;
}

export interface LoggedRequest {
  route: Route | null;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  page: number;
  body: Record<string, unknown>;
}

export interface ServiceAccountKey {
  type: 'serviceaccount';
  keyId: string;
  key: string;
  userId: string;
}

export class FakeZitadel {
  readonly directory = new FakeZitadelDirectory();
  readonly requests: LoggedRequest[] = [];
  readonly faults: Fault[] = [];
  readonly personalAccessTokens = new Set(['test-pat']);
  /** What the credentials may read: project roles and grants (groups), the events API. */
  readonly permissions = { groups: true, events: true };
  latencyMs = 0;
  /** Lifetime of access tokens issued for a service account key. */
  tokenLifetimeSeconds = 3600;
  maxInFlightTotal = 0;
  url = '';
  private inFlight = 0;
  private readonly server: Server;
  private readonly keys = new Map<string, { userId: string; publicKey: KeyObject }>();
  private readonly issued = new Map<string, number>();

  constructor(readonly maxPageSize = MAX_LIMIT) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<this> {
    this.url = `http://127.0.0.1:${await listenOnLoopback(this.server)}`;
    return this;
  }

  close(): Promise<void> {
    return closeNow(this.server);
  }

  /** A new service account key, as the console downloads it (the JSON key file). */
  addServiceAccountKey(userId = this.directory.id()): ServiceAccountKey {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyId = this.directory.id();
    this.keys.set(keyId, { userId, publicKey });
    return { type: 'serviceaccount', keyId, key: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), userId };
  }

  /** Every access token issued so far stops working (as if it expired). */
  expireTokens(): void {
    this.issued.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = PATHS[path] ?? null;
    const raw = await new Promise<string>((resolve) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => resolve(b));
    });
    let body: Record<string, unknown> = {};
    const entry: LoggedRequest = { route, httpVersion: req.httpVersion, headers: req.headers, status: 0, page: 1, body };
    this.requests.push(entry);
    this.inFlight++;
    this.maxInFlightTotal = Math.max(this.maxInFlightTotal, this.inFlight);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      this.inFlight--;
      res.writeHead(status, { 'content-type': 'application/json', date: new Date(this.directory.now()).toUTCString(), ...headers });
      res.end(JSON.stringify(payload));
    };
    const fail = (status: number, message: string, headers: Record<string, string> = {}) =>
      send(status, { code: CONNECT_CODES[status] ?? 'unknown', message }, headers);
    try {
      if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
      if (req.method !== 'POST' || !route) return fail(404, `${req.method} ${path} not found`);
      if (route === 'token') return this.token(raw, send);
      if (route !== 'events' && req.headers['content-type'] !== 'application/json') return fail(415, 'the fake speaks connect JSON only');
      body = entry.body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      entry.page = pageOf(route, body, (asked) => this.limit(asked));
      const fault = this.faults.find((f) => f.route === route && (f.page === undefined || f.page === entry.page) && (f.times ?? Infinity) > 0);
      if (fault) {
        if (fault.times !== undefined) fault.times--;
        if (fault.drop) {
          entry.status = -1;
          this.inFlight--;
          req.socket.destroy();
          return;
        }
        const status = fault.status ?? 500;
        return fail(status, `injected ${status}`, fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {});
      }
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const expiry = token ? this.issued.get(token) : undefined;
      if (!token || !(this.personalAccessTokens.has(token) || (expiry !== undefined && expiry > Date.now()))) {
        return fail(401, 'Errors.Token.Invalid (AUTH-7fs1e)');
      }
      if ((route === 'projects' || route === 'roles' || route === 'authorizations') && !this.permissions.groups) {
        return fail(403, 'No matching permissions found (AUTH-5mWD2)');
      }
      if (route === 'events' && !this.permissions.events) return fail(403, 'No matching permissions found (AUTH-5mWD2)');
      return send(200, this.answer(route, body));
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500;
      return fail(status, e instanceof Error ? e.message : String(e));
    }
  }

  private token(raw: string, send: (status: number, payload: unknown) => void): void {
    const form = new URLSearchParams(raw);
    const bad = (description: string) => send(400, { error: 'invalid_grant', error_description: description });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return send(400, { error: 'unsupported_grant_type' });
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return bad('assertion invalid');
    const [h, p, s] = parts as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; kid?: string };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss?: string; sub?: string; aud?: string | string[]; exp?: number };
    const key = header.kid ? this.keys.get(header.kid) : undefined;
    if (!key || header.alg !== 'RS256') return bad('key not found');
    const verified = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key.publicKey, Buffer.from(s, 'base64url'));
    if (!verified) return bad('signature invalid');
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== key.userId || claims.sub !== key.userId) return bad('subject does not match the key');
    if (!audience.includes(this.url)) return bad('audience is not this issuer');
    if (!claims.exp || claims.exp * 1000 < Date.now()) return bad('assertion expired');
    if (!(form.get('scope') ?? '').split(' ').includes('urn:zitadel:iam:org:project:id:zitadel:aud')) return bad('the Zitadel API audience scope is missing');
    const token = randomBytes(16).toString('hex');
    this.issued.set(token, Date.now() + this.tokenLifetimeSeconds * 1000);
    send(200, { access_token: token, token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds });
  }

  private answer(route: Route, body: Record<string, unknown>): unknown {
    const d = this.directory;
    const changeDate = new Date(d.now()).toISOString();
    if (route === 'user') {
      const user = d.users.get(String(body.userId ?? ''));
      if (!user) throw Object.assign(new Error('not found'), { status: 404 });
      return { details: { changeDate: user.changeDate, resourceOwner: user.organizationId }, user: userJson(user) };
    }
    if (route === 'users') {
      const q = (body.query ?? {}) as { offset?: string; limit?: number };
      const all = [...d.users.values()].filter((u) => matchesAll(u, (body.queries ?? []) as UserQuery[]));
      const page = this.slice(all, q.offset, q.limit);
      return { details: { totalResult: String(all.length), timestamp: changeDate }, result: page.map(userJson) };
    }
    const pagination = (body.pagination ?? {}) as { offset?: string; limit?: number };
    if (route === 'projects') {
      const all = [...d.projects.values()];
      return { pagination: { totalResult: String(all.length), appliedLimit: String(this.limit(pagination.limit)) }, projects: this.slice(all, pagination.offset, pagination.limit).map((p) => ({ id: p.id, organizationId: p.organizationId, name: p.name, state: 'PROJECT_STATE_ACTIVE' })) };
    }
    if (route === 'roles') {
      const project = d.projects.get(String(body.projectId ?? ''));
      if (!project) throw Object.assign(new Error('project not found'), { status: 404 });
      const all = [...project.roles.values()];
      return { pagination: { totalResult: String(all.length), appliedLimit: String(this.limit(pagination.limit)) }, projectRoles: this.slice(all, pagination.offset, pagination.limit).map((r) => ({ projectId: project.id, key: r.key, displayName: r.displayName })) };
    }
    if (route === 'authorizations') {
      const filters = (body.filters ?? []) as Array<Record<string, { id?: string; key?: string; state?: string }>>;
      const all = [...d.grants.values()].filter((g) => filters.every((f) =>
        f.projectId ? g.projectId === f.projectId.id : f.userId ? g.userId === f.userId.id : f.roleKey ? g.roles.has(String(f.roleKey.key)) : true));
      return {
        pagination: { totalResult: String(all.length), appliedLimit: String(this.limit(pagination.limit)) },
        authorizations: this.slice(all, pagination.offset, pagination.limit).map((g) => {
          const user = d.users.get(g.userId);
          return { id: g.id, projectId: g.projectId, projectName: d.projects.get(g.projectId)?.name, organizationId: user?.organizationId, state: 'STATE_ACTIVE', user: { id: g.userId, preferredLoginName: user?.preferredLoginName, organizationId: user?.organizationId }, roles: [...g.roles] };
        }),
      };
    }
    // events: ascending from a creation date (inclusive), newest first otherwise.
    const from = typeof body.from === 'string' ? Date.parse(body.from) : -Infinity;
    const types = (body.aggregateTypes ?? []) as string[];
    let events = d.events.filter((e) => Date.parse(e.creationDate) >= from && (types.length === 0 || types.includes(e.aggregateType)));
    if (!body.asc) events = events.reverse();
    return {
      events: events.slice(0, this.limit(body.limit as number | undefined)).map((e) => ({
        editor: { userId: 'admin', service: 'zitadel.user.v2.UserService' },
        aggregate: { id: e.aggregateId, type: { type: e.aggregateType }, resourceOwner: '100000000000000001' },
        sequence: String(e.sequence),
        creationDate: e.creationDate,
        payload: e.payload,
        type: { type: e.type },
      })),
    };
  }

  private limit(asked: number | undefined): number {
    return Math.min(asked && asked > 0 ? asked : 100, this.maxPageSize);
  }

  private slice<T>(all: T[], offset: string | undefined, limit: number | undefined): T[] {
    const start = Number(offset ?? 0);
    return all.slice(start, start + this.limit(limit));
  }
}

type UserQuery = Record<string, Record<string, unknown>>;

function equals(a: string, b: unknown, method: unknown): boolean {
  return typeof method === 'string' && method.includes('IGNORE_CASE') ? a.toLowerCase() === String(b).toLowerCase() : a === b;
}

function matchesAll(u: FakeUser, queries: UserQuery[]): boolean {
  return queries.every((q) => {
    const [kind, v] = Object.entries(q)[0] ?? [];
    if (!kind || !v) return true;
    switch (kind) {
      case 'inUserIdsQuery': return ((v.userIds ?? []) as string[]).includes(u.userId);
      case 'userNameQuery': return equals(u.username, v.userName, v.method);
      case 'loginNameQuery': return equals(u.preferredLoginName, v.loginName, v.method) || equals(u.username, v.loginName, v.method);
      case 'emailQuery': return equals(u.email, v.emailAddress, v.method);
      case 'nickNameQuery': return equals(u.nickName, v.nickName, v.method);
      case 'typeQuery': return v.type === (u.machine ? 'TYPE_MACHINE' : 'TYPE_HUMAN');
      case 'organizationIdQuery': return u.organizationId === v.organizationId;
      default: throw new Error(`the fake does not know the query ${kind}`);
    }
  });
}

function userJson(u: FakeUser): Record<string, unknown> {
  const nonEmpty = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ''));
  return {
    userId: u.userId,
    details: { changeDate: u.changeDate, resourceOwner: u.organizationId },
    state: `USER_STATE_${u.state}`,
    username: u.username,
    loginNames: [u.preferredLoginName],
    preferredLoginName: u.preferredLoginName,
    ...(u.machine
      ? { machine: { name: u.displayName || u.username } }
      : {
          human: {
            profile: nonEmpty({ givenName: u.givenName, familyName: u.familyName, nickName: u.nickName, displayName: u.displayName }),
            ...(u.email ? { email: { email: u.email } } : {}),
            ...(u.phone ? { phone: { phone: u.phone } } : {}),
          },
        }),
  };
}

function pageOf(route: Route, body: Record<string, unknown>, served: (asked: number | undefined) => number): number {
  const p = (route === 'users' ? body.query : body.pagination) as { offset?: string; limit?: number } | undefined;
  return Math.floor(Number(p?.offset ?? 0) / served(p?.limit)) + 1;
}

export async function startFakeZitadel(options: { maxPageSize?: number } = {}): Promise<FakeZitadel> {
  return new FakeZitadel(options.maxPageSize).listen();
}
