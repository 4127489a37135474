/**
 * The fake org's System Log: events the directory records as it changes,
 * read through `GET /api/v1/logs` the way Okta documents it
 * (https://developer.okta.com/docs/reference/system-log-query/):
 *
 * - `since` / `until` bound `published` (ISO 8601); without `until` the
 *   request is a *polling* request: ascending only, and it always carries a
 *   `rel="next"` link, even on an empty page (new events may come).
 *   A bounded request has a next link only when more events remain.
 *   `since` defaults to 7 days before `until` (or now).
 * - `filter` is an expression on the event's fields (`eventType eq "…"`),
 *   `limit` 1…1000 (default 100), `after` the opaque cursor of a next link.
 * - Events are listed by `published`, ascending (sortOrder DESCENDING only on
 *   bounded requests).
 */
import { randomUUID } from 'node:crypto';
import { parseQuery, type Predicate } from './query.js';

export interface LogTarget {
  id: string;
  type: 'User' | 'UserGroup';
  alternateId: string;
  displayName: string;
}

export interface FakeLogEvent {
  uuid: string;
  /** Epoch ms. */
  published: number;
  eventType: string;
  outcome: { result: 'SUCCESS' | 'FAILURE' };
  target: LogTarget[];
  displayMessage: string;
}

export const LOG_LIMIT = { def: 100, max: 1000 };
const WEEK_MS = 7 * 24 * 3600_000;

export class FakeSystemLog {
  /** In order of `published` (the directory's clock only moves forward; `record` keeps the order). */
  readonly events: FakeLogEvent[] = [];

  constructor(private readonly now: () => number) {}

  /** Records an event at the directory's time, or at `published` (an event written late). */
  record(input: Omit<FakeLogEvent, 'uuid' | 'published' | 'outcome'> & { published?: number; outcome?: FakeLogEvent['outcome'] }): FakeLogEvent {
    const event: FakeLogEvent = { uuid: randomUUID(), published: input.published ?? this.now(), outcome: input.outcome ?? { result: 'SUCCESS' }, ...stripUndefined(input) } as FakeLogEvent;
    let at = this.events.length;
    while (at > 0 && this.events[at - 1]!.published > event.published) at--;
    this.events.splice(at, 0, event);
    return event;
  }

  /**
   * One page: events with since ≤ published < until that pass `keep`, after
   * the event index `afterIndex`. Returns the page, the index of its last
   * event, and whether a next link is due.
   */
  read(q: { since: number; until: number | null; keep: Predicate; limit: number; afterIndex: number; descending: boolean }): { page: FakeLogEvent[]; lastIndex: number; next: boolean } {
    const until = q.until ?? Infinity;
    const inRange = (e: FakeLogEvent) => e.published >= q.since && e.published < until && q.keep(e as never);
    const order = q.descending ? [...this.events.keys()].reverse() : [...this.events.keys()];
    const start = q.afterIndex < 0 ? 0 : order.indexOf(q.afterIndex) + 1;
    const page: FakeLogEvent[] = [];
    let lastIndex = q.afterIndex;
    let i = start;
    for (; i < order.length && page.length < q.limit; i++) {
      const e = this.events[order[i]!]!;
      if (inRange(e)) {
        page.push(e);
        lastIndex = order[i]!;
      }
    }
    let more = false;
    for (let j = i; j < order.length && !more; j++) more = inRange(this.events[order[j]!]!);
    return { page, lastIndex, next: q.until === null || more };
  }

  /**
   * A request's query, checked as Okta checks it. `afterIndex`: the event index
   * of the `after` cursor (-1 = none). `nextAfter`: the index a next link
   * carries, or null when none is due.
   */
  query(q: URLSearchParams, afterIndex: number): { ok: true; events: unknown[]; nextAfter: number | null } | { ok: false; error: string } {
    const time = (name: string): number | null | string => {
      const v = q.get(name);
      if (v === null) return null;
      const t = Date.parse(v);
      return /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(t) ? t : `${name}: invalid date ${v}`;
    };
    const until = time('until');
    if (typeof until === 'string') return { ok: false, error: until };
    const since = time('since') ?? (until ?? this.now()) - WEEK_MS;
    if (typeof since === 'string') return { ok: false, error: since };
    if (until !== null && until < since) return { ok: false, error: 'until must be after since' };
    const descending = q.get('sortOrder') === 'DESCENDING';
    if (descending && until === null) return { ok: false, error: 'sortOrder: polling requests (no until) are ASCENDING' };
    const limit = Number(q.get('limit') ?? LOG_LIMIT.def);
    if (!Number.isInteger(limit) || limit < 0 || limit > LOG_LIMIT.max) return { ok: false, error: `limit must be between 0 and ${LOG_LIMIT.max}` };
    let keep: Predicate = () => true;
    const filter = q.get('filter');
    if (filter !== null) {
      const parsed = parseQuery(filter);
      if (!parsed.ok) return { ok: false, error: `filter: ${parsed.error}` };
      keep = parsed.value;
    }
    const { page, lastIndex, next } = this.read({ since, until, keep, limit, afterIndex, descending });
    return { ok: true, events: page.map(logEventJson), nextAfter: next ? lastIndex : null };
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function logEventJson(e: FakeLogEvent): Record<string, unknown> {
  return {
    uuid: e.uuid,
    published: new Date(e.published).toISOString(),
    eventType: e.eventType,
    version: '0',
    severity: 'INFO',
    displayMessage: e.displayMessage,
    actor: { id: '00uadmin00000000000', type: 'User', alternateId: 'admin@example.okta.test', displayName: 'Okta Admin' },
    outcome: e.outcome,
    target: e.target,
    transaction: { type: 'WEB', id: e.uuid.slice(0, 8) },
  };
}
