/**
 * Deletions, which no Okta listing shows: a deleted user (DELETE after
 * DEPROVISIONED) or group simply stops being listed. The System Log records
 * them (System Log API, https://developer.okta.com/docs/reference/system-log-query/):
 * `GET /api/v1/logs?since=…&filter=eventType eq "user.lifecycle.delete.initiated"
 * or eventType eq "group.lifecycle.delete"`, ascending by `published`, paged by
 * `Link: rel="next"`. Scope okta.logs.read (OAuth), or an admin API token.
 *
 * The read is a polling request (no `until`): Okta then always sends a next
 * link, so the read stops on an empty page, or once a page reaches the run's
 * start (Okta's clock at the first answer) so a busy log cannot keep a run
 * reading. What comes after the start is read again by the next delta, from
 * the start less the overlap (late-written events): reading a deletion twice
 * is harmless, missing one is not.
 *
 * Okta keeps System Log events 90 days. A watermark older than that may have
 * lost events, so the delta runs as a full listing instead, like a credential
 * that may not read the log: a complete listing still shows who is gone.
 */
import type { DirectoryEvent } from '../types.js';
import { ProviderError } from '../types.js';
import { isoOf } from './map.js';
import { nextWatermark, pagesOf, type RunDeps, type SystemLogRead } from './run.js';

export const USER_DELETED = 'user.lifecycle.delete.initiated';
export const GROUP_DELETED = 'group.lifecycle.delete';
export const LOG_FILTER = `eventType eq "${USER_DELETED}" or eventType eq "${GROUP_DELETED}"`;
/** Okta's cap for `limit` on /api/v1/logs. */
export const LOGS_PAGE = 1000;
export const LOG_SCOPES = ['okta.logs.read'] as const;
/** A day short of Okta's 90 days of retention, for clocks and the run's own length. */
export const LOG_RETENTION_MS = 89 * 24 * 3600_000;

/** The part of the SDK's LogEvent the provider reads. */
interface LogEventLike {
  eventType?: string;
  published?: Date | string | null;
  outcome?: { result?: string } | null;
  target?: Array<{ id?: string; type?: string }> | null;
}

export type SystemLogOpening = { readable: true; log: SystemLogRead } | { readable: false; reason: string };

/**
 * Sends the first request (it is also the permission check), so that the run
 * knows before it lists anything whether it can be a delta.
 */
export async function openSystemLog(deps: RunDeps, since: string): Promise<SystemLogOpening> {
  if (Date.now() - Date.parse(since) > LOG_RETENTION_MS) {
    return { readable: false, reason: `the delta cursor (${since}) is older than the 90 days the System Log keeps` };
  }
  const pages = pagesOf<LogEventLike>(deps, 'reading the Okta System Log', () =>
    deps.client.systemLogApi.listLogEvents({ since, filter: LOG_FILTER, limit: LOGS_PAGE }) as never,
  );
  let first: LogEventLike[] = [];
  let failure: unknown = null;
  try {
    const r = await pages.next();
    if (!r.done) first = r.value;
  } catch (e) {
    // 403 (the token's admin, or the app's scope) or a refused token request (invalid_scope).
    if (e instanceof ProviderError && e.kind === 'permission') return { readable: false, reason: e.message };
    failure = e;
  }
  const start = deps.serverDate() ?? Date.now();
  const reachedStart = (page: LogEventLike[]) => Date.parse(isoOf(page.at(-1)?.published) ?? '') >= start;

  return {
    readable: true,
    log: {
      assertOpened() {
        if (failure) throw failure;
      },
      async *removals() {
        if (failure) throw failure;
        const seen = new Set<string>();
        let page = first;
        for (;;) {
          const events = removalsIn(page, seen);
          if (events.length) yield events;
          if (page.length === 0 || reachedStart(page)) return;
          const r = await pages.next();
          if (r.done) return;
          page = r.value;
        }
      },
      nextWatermark: () => nextWatermark(since, start, deps.settings.deltaOverlapSeconds),
    },
  };
}

function removalsIn(page: LogEventLike[], seen: Set<string>): DirectoryEvent[] {
  const out: DirectoryEvent[] = [];
  for (const e of page) {
    // A delete that failed deleted nothing.
    if (e.outcome?.result && e.outcome.result !== 'SUCCESS') continue;
    const wanted = e.eventType === USER_DELETED ? 'User' : e.eventType === GROUP_DELETED ? 'UserGroup' : null;
    if (!wanted) continue;
    for (const t of e.target ?? []) {
      if (t.type !== wanted || !t.id || seen.has(t.id)) continue;
      seen.add(t.id);
      out.push(wanted === 'User' ? { type: 'user.removed', externalId: t.id, reason: 'deleted' } : { type: 'group.removed', externalId: t.id });
    }
  }
  return out;
}
