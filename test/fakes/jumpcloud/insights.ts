/**
 * Directory Insights in the fake: `POST /insights/directory/v1/events` with
 * `{ service, start_time, end_time?, limit?, sort?, search_after? }`
 * (https://docs.jumpcloud.com/api/insights/directory/1.0/index.html).
 * `service` and `start_time` are required; `limit` at most 10,000 (default
 * 10,000); events at or after `start_time`, ordered by time (then id);
 * `search_after` is the sort key of the previous page's last event, which
 * every answer sends in X-Search_after (with X-Result-Count and X-Limit).
 */
import type { FakeEvent } from './directory.js';

export const EVENTS_MAX = 10_000;

type SortKey = [number, string];

interface Query {
  service?: unknown;
  start_time?: unknown;
  end_time?: unknown;
  limit?: unknown;
  sort?: unknown;
  search_after?: unknown;
}

const keyOf = (e: FakeEvent): SortKey => [e.at, e.id];
const after = (e: FakeEvent, k: SortKey, desc: boolean) => {
  const c = e.at - k[0] || e.id.localeCompare(k[1]);
  return desc ? c < 0 : c > 0;
};

function parse(body: unknown): { ok: true; q: { start: number; end: number; limit: number; desc: boolean; after: SortKey | null } } | { ok: false; error: string } {
  const b = (body ?? {}) as Query;
  const services = Array.isArray(b.service) ? b.service : [];
  if (!services.includes('directory') && !services.includes('all')) return { ok: false, error: 'service is required (["directory"] or ["all"])' };
  const start = typeof b.start_time === 'string' ? Date.parse(b.start_time) : NaN;
  if (!Number.isFinite(start)) return { ok: false, error: 'start_time is required (RFC 3339)' };
  const end = typeof b.end_time === 'string' ? Date.parse(b.end_time) : Infinity;
  const limit = b.limit === undefined ? EVENTS_MAX : Number(b.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > EVENTS_MAX) return { ok: false, error: `limit must be between 1 and ${EVENTS_MAX}` };
  if (b.sort !== undefined && b.sort !== 'ASC' && b.sort !== 'DESC') return { ok: false, error: 'sort must be ASC or DESC' };
  let key: SortKey | null = null;
  if (b.search_after !== undefined && b.search_after !== null) {
    const s = b.search_after;
    if (!Array.isArray(s) || s.length !== 2 || typeof s[0] !== 'number' || typeof s[1] !== 'string') return { ok: false, error: 'search_after must be the X-Search_after of the previous page' };
    key = [s[0], s[1]];
  }
  return { ok: true, q: { start, end, limit, desc: b.sort === 'DESC', after: key } };
}

function select(events: readonly FakeEvent[], q: { start: number; end: number; desc: boolean; after: SortKey | null }): FakeEvent[] {
  const inRange = events.filter((e) => e.at >= q.start && e.at <= q.end);
  const ordered = q.desc ? [...inRange].reverse() : inRange;
  return q.after ? ordered.filter((e) => after(e, q.after!, q.desc)) : ordered;
}

export function queryEvents(events: readonly FakeEvent[], body: unknown):
  | { ok: true; events: Array<Omit<FakeEvent, 'at'>>; limit: number; searchAfter: SortKey | [] }
  | { ok: false; error: string } {
  const parsed = parse(body);
  if (!parsed.ok) return parsed;
  const page = select(events, parsed.q).slice(0, parsed.q.limit);
  const last = page.at(-1);
  return {
    ok: true,
    events: page.map(({ at: _at, ...e }) => e),
    limit: parsed.q.limit,
    // Always present; after the last event, the key it would continue from.
    searchAfter: last ? keyOf(last) : (parsed.q.after ?? []),
  };
}

/** Which page of its read a request asks for: 1 + the pages before its search_after. */
export function eventPageOf(events: readonly FakeEvent[], body: unknown): number {
  const parsed = parse(body);
  if (!parsed.ok || !parsed.q.after) return 1;
  const before = select(events, { ...parsed.q, after: null }).findIndex((e) => !after(e, parsed.q.after!, parsed.q.desc) && e.id === parsed.q.after![1]);
  return before < 0 ? 1 : Math.floor((before + 1) / parsed.q.limit) + 1;
}
