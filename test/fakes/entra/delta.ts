/**
 * Graph delta rounds over the fake directory (users: delta, groups: delta).
 *
 * Wire contract, as documented at https://learn.microsoft.com/graph/delta-query-overview,
 * .../graph/delta-query-users and .../graph/delta-query-groups:
 * - a round without a token lists every current object; a page carries either
 *   `@odata.nextLink` (more pages, `$skiptoken`) or `@odata.deltaLink` (round over,
 *   `$deltatoken`), never both; query options are baked into the token;
 * - a round from a deltaLink returns only what changed since, removals as
 *   `{ id, "@removed": { reason: "changed" | "deleted" } }`;
 * - `$select=...,members` adds `members@delta`: `{ "@odata.type", id }` links,
 *   removed links with `@removed`; a big group continues on the next page as a
 *   second object with the same id and only `members@delta`;
 * - users delta returns the selected properties of a changed user (old values
 *   of unchanged ones, never-set ones omitted), so each entry is complete.
 *
 * Tokens are opaque base64url JSON carrying an epoch: `expire()` bumps it and
 * old tokens then answer 400 syncStateNotFound ("the delta token is expired").
 */
import type { FakeDirectory, FakeGroup, FakeUser, MemberKind } from './directory.js';

export type DeltaResource = 'users' | 'groups';

export interface DeltaToken {
  e: number; // epoch
  k: DeltaResource;
  s: number | null; // since: null = initial (full) round
  u: number; // directory sequence when the round started
  p: number; // position (users array index, or group entry index)
  o: number; // member link offset inside the group at `p`
  n: number; // 1-based page number inside the round (for injected page faults)
  sel: string[] | null;
  plan?: string; // id of a precomputed group plan (delta rounds)
}

export interface DeltaPage {
  value: Array<Record<string, unknown>>;
  next: DeltaToken | null;
  deltaLink: DeltaToken | null;
}

interface GroupEntry {
  group: FakeGroup;
  props: boolean;
  links: Array<{ id: string; kind: MemberKind; removed: boolean }> | null; // null = every current member
}

const ODATA_TYPE: Record<MemberKind, string> = { user: '#microsoft.graph.user', group: '#microsoft.graph.group' };

export function encodeToken(token: DeltaToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeToken(raw: string): DeltaToken | null {
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as DeltaToken;
    return typeof t.e === 'number' && (t.k === 'users' || t.k === 'groups') ? t : null;
  } catch {
    return null;
  }
}

/** A user as Graph serialises it: `id` plus the selected properties that are set. */
export function projectUser(user: FakeUser, select: string[] | null, omitNull: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { id: user.id };
  for (const key of select ?? DEFAULT_USER_PROPERTIES) {
    if (key === 'id') continue;
    const v = user.props[key];
    if (v === undefined || (omitNull && v === null)) continue;
    out[key] = v;
  }
  return out;
}

/** The default property set of microsoft.graph.user: note that accountEnabled is not in it. */
export const DEFAULT_USER_PROPERTIES = [
  'businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone',
  'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName',
];

function removedReason(state: 'soft' | 'hard'): { reason: string } {
  return { reason: state === 'soft' ? 'changed' : 'deleted' };
}

export class DeltaEngine {
  epoch = 1;
  private readonly plans = new Map<string, GroupEntry[]>();
  private planCounter = 0;

  constructor(
    private readonly dir: FakeDirectory,
    private readonly sizes: { objectsPerPage: number; linksPerPage: number },
  ) {}

  /** Every outstanding token becomes invalid (the service lost or expired its sync state). */
  expire(): void {
    this.epoch++;
    this.plans.clear();
  }

  /** The first token of a round: none = initial round, otherwise a deltaLink's token. */
  start(resource: DeltaResource, select: string[] | null, since: DeltaToken | null): DeltaToken {
    const base: DeltaToken = { e: this.epoch, k: resource, s: since ? since.u : null, u: this.dir.seq, p: 0, o: 0, n: 1, sel: since ? since.sel : select };
    if (resource === 'groups' && base.s !== null) base.plan = this.planGroups(base.s, base.u);
    return base;
  }

  /** Whether the service still knows this token. */
  valid(token: DeltaToken): boolean {
    return token.e === this.epoch && (token.plan === undefined || this.plans.has(token.plan));
  }

  page(token: DeltaToken): DeltaPage {
    return token.k === 'users' ? this.usersPage(token) : this.groupsPage(token);
  }

  private finish(token: DeltaToken, value: DeltaPage['value'], done: boolean, p: number, o: number): DeltaPage {
    if (!done) return { value, next: { ...token, p, o, n: token.n + 1 }, deltaLink: null };
    if (token.plan) this.plans.delete(token.plan);
    const deltaLink: DeltaToken = { e: this.epoch, k: token.k, s: null, u: token.u, p: 0, o: 0, n: 1, sel: token.sel };
    return { value, next: null, deltaLink };
  }

  private usersPage(token: DeltaToken): DeltaPage {
    const users = this.dir.users;
    const value: DeltaPage['value'] = [];
    let p = token.p;
    for (; p < users.length && value.length < this.sizes.objectsPerPage; p++) {
      const u = users[p]!;
      if (token.s === null) {
        if (!u.removed) value.push(projectUser(u, token.sel, true));
      } else if (u.version > token.s) {
        value.push(u.removed ? { id: u.id, '@removed': removedReason(u.removed) } : projectUser(u, token.sel, true));
      }
    }
    return this.finish(token, value, p >= users.length, p, 0);
  }

  /** Which groups changed (properties or links) after `since`, in directory order, with their link changes. */
  private planGroups(since: number, until: number): string {
    const byGroup = new Map<string, Map<string, { id: string; kind: MemberKind; removed: boolean }>>();
    for (const c of this.dir.linkChangesBetween(since, until)) {
      const g = this.dir.group(c.groupId);
      // Report the net state only: an add that was undone (or whose user was deleted) is not a change.
      if (!g || g.removed || g.members.has(c.memberId) === c.removed) continue;
      const links = byGroup.get(c.groupId) ?? new Map();
      links.set(c.memberId, { id: c.memberId, kind: c.kind, removed: c.removed });
      byGroup.set(c.groupId, links);
    }
    const entries: GroupEntry[] = [];
    for (const group of this.dir.groups) {
      const props = group.version > since;
      const links = byGroup.get(group.id);
      if (props || links) entries.push({ group, props, links: links ? [...links.values()] : [] });
    }
    const id = String(++this.planCounter);
    this.plans.set(id, entries);
    return id;
  }

  private groupsPage(token: DeltaToken): DeltaPage {
    const full = token.s === null;
    const entries = full ? null : this.plans.get(token.plan!)!;
    const count = full ? this.dir.groups.length : entries!.length;
    const withMembers = token.sel?.includes('members') ?? false;
    const withName = token.sel === null || token.sel.includes('displayName');
    const value: DeltaPage['value'] = [];
    let budget = this.sizes.linksPerPage;
    let p = token.p;
    let o = token.o;
    while (p < count && value.length < this.sizes.objectsPerPage) {
      const entry: GroupEntry = full ? { group: this.dir.groups[p]!, props: true, links: null } : entries![p]!;
      const g = entry.group;
      if (full && g.removed) { p++; continue; }
      if (g.removed) {
        value.push({ id: g.id, '@removed': removedReason(g.removed) });
        p++; continue;
      }
      const obj: Record<string, unknown> = { id: g.id };
      if (o === 0 && entry.props && withName) obj.displayName = g.displayName;
      if (withMembers) {
        const links = entry.links ?? [...g.members].map(([id, kind]) => ({ id, kind, removed: false }));
        if (budget === 0 && links.length > o) break;
        const take = links.slice(o, o + budget);
        obj['members@delta'] = take.map((l) => (l.removed
          ? { '@odata.type': ODATA_TYPE[l.kind], id: l.id, '@removed': { reason: 'deleted' } }
          : { '@odata.type': ODATA_TYPE[l.kind], id: l.id }));
        budget -= take.length;
        o += take.length;
        value.push(obj);
        if (o < links.length) break; // this group continues on the next page
      } else {
        value.push(obj);
      }
      p++;
      o = 0;
    }
    return this.finish(token, value, p >= count, p, o);
  }
}
