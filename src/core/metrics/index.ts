/**
 * Prometheus metrics (`GET /metrics`). Two kinds:
 * - the directory's state per connection (users, groups, last sync, last
 *   success), read from the database at scrape time, so every replica reports
 *   the same numbers whichever of them ran the sync;
 * - what this process did (sync runs and their durations, IdP API requests,
 *   SCIM requests, rate-limited requests), as counters and a histogram that
 *   Prometheus sums across replicas.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { readConnectionStates, type ConnectionStateRow, type Db } from '../store/index.js';

export interface SyncRunRecord {
  kind: string;
  status: string;
  mode: string;
  trigger: string;
  durationMs: number;
  apiRequests: number;
  throttled?: number;
}

/** One connection per series: tenant slug, connection name and kind. */
const CONNECTION_LABELS = ['tenant', 'connection', 'kind'] as const;

export class RosterMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter<'kind' | 'status' | 'mode' | 'trigger'>;
  private readonly runDuration: Histogram<'kind' | 'mode'>;
  private readonly apiRequests: Counter<'kind'>;
  private readonly throttles: Counter<'kind'>;
  private readonly scimRequests: Counter<'route' | 'method' | 'status'>;
  private readonly rateLimited: Counter<'surface'>;
  private readonly dbs = new Set<Db>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'roster_process_' });
    const registers = [this.registry];
    this.runs = new Counter({ name: 'roster_sync_runs_total', help: 'Sync runs finished by this process, by status', labelNames: ['kind', 'status', 'mode', 'trigger'], registers });
    this.runDuration = new Histogram({
      name: 'roster_sync_run_duration_seconds',
      help: 'Duration of sync runs finished by this process',
      labelNames: ['kind', 'mode'],
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.apiRequests = new Counter({ name: 'roster_provider_api_requests_total', help: 'Requests made to IdP APIs by syncs of this process', labelNames: ['kind'], registers });
    this.throttles = new Counter({ name: 'roster_provider_throttled_total', help: 'IdP responses that throttled a sync (429, rate limit) and were waited for', labelNames: ['kind'], registers });
    this.scimRequests = new Counter({ name: 'roster_scim_requests_total', help: 'SCIM requests answered, by route and status', labelNames: ['route', 'method', 'status'], registers });
    this.rateLimited = new Counter({ name: 'roster_rate_limited_requests_total', help: 'Requests refused with 429 by Roster’s own rate limits', labelNames: ['surface'], registers });

    // The directory's state is read when scraped. One query feeds all four gauges.
    let pending: Promise<ConnectionStateRow[]> | undefined;
    const state = () => (pending ??= this.readState().finally(() => setTimeout(() => (pending = undefined), 0)));
    const gauge = (name: string, help: string, pick: (r: ConnectionStateRow) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: CONNECTION_LABELS,
        registers,
        async collect() {
          this.reset();
          for (const row of await state()) {
            const value = pick(row);
            if (value !== null) this.set({ tenant: row.tenant, connection: row.connection, kind: row.kind }, value);
          }
        },
      });
    gauge('roster_connection_users', 'Users Roster holds for the connection', (r) => Number(r.users));
    gauge('roster_connection_groups', 'Groups Roster holds for the connection', (r) => Number(r.groups));
    gauge('roster_connection_last_sync_timestamp_seconds', 'When the connection’s last sync run finished', (r) => (r.last_sync === null ? null : Number(r.last_sync)));
    gauge('roster_connection_last_success_timestamp_seconds', 'When the connection’s last successful sync run finished', (r) =>
      r.last_success === null ? null : Number(r.last_success),
    );
  }

  /** The database whose state the connection gauges report (the server's store). */
  watch(db: Db): () => void {
    this.dbs.add(db);
    return () => this.dbs.delete(db);
  }

  recordSyncRun(run: SyncRunRecord): void {
    this.runs.inc({ kind: run.kind, status: run.status, mode: run.mode, trigger: run.trigger });
    this.runDuration.observe({ kind: run.kind, mode: run.mode }, run.durationMs / 1000);
    this.apiRequests.inc({ kind: run.kind }, run.apiRequests);
    if (run.throttled) this.throttles.inc({ kind: run.kind }, run.throttled);
  }

  recordScimRequest(route: string, method: string, status: number): void {
    this.scimRequests.inc({ route, method, status: String(status) });
  }

  recordRateLimited(surface: string): void {
    this.rateLimited.inc({ surface });
  }

  private async readState(): Promise<ConnectionStateRow[]> {
    const rows: ConnectionStateRow[] = [];
    for (const db of this.dbs) {
      // An unreachable database leaves these gauges out of the scrape; the process metrics still answer.
      rows.push(
        ...(await readConnectionStates(db).catch(() => [])),
      );
    }
    return rows;
  }
}

/** The process's metrics: one registry, as Prometheus expects of one process. */
export const metrics = new RosterMetrics();
