/**
 * `NOTIFY roster_events` with `{"tenantId", "lastId"}` shortly after new
 * lifecycle events commit, so the host application and the webhook sender
 * can LISTEN instead of polling the feed.
 *
 * The notification is not sent by the writing transaction: a transaction that
 * NOTIFYs holds a database-wide lock until its commit is flushed, which made
 * every write wait for the others' flushes. Each `roster serve` polls
 * `roster_announce_events()` instead (drizzle/0008_event_announcer.sql): one
 * server at a time announces, each tenant's new events once per poll, with
 * nothing written while nothing happens. An announcement is a wake-up, never
 * the record: a listener still reads the feed, and one that missed a
 * notification (it was reconnecting) catches up on its next read.
 */
import type { Logger } from '../../core/logging/index.js';
import { announceNewEvents, type Db } from '../../core/store/index.js';

export const EVENTS_CHANNEL = 'roster_events';
export const DEFAULT_ANNOUNCE_INTERVAL_MS = 100;

export interface EventAnnouncerOptions {
  db: Db;
  logger: Logger;
  intervalMs?: number;
}

export class EventAnnouncer {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  constructor(private readonly options: EventAnnouncerOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  // A chain of timeouts, not an interval: a slow poll never overlaps the next.
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        this.schedule();
      });
    }, this.options.intervalMs ?? DEFAULT_ANNOUNCE_INTERVAL_MS);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      await announceNewEvents(this.options.db);
      if (this.failing) this.options.logger.info('event announcements resumed');
      this.failing = false;
    } catch (err) {
      // Once per outage, not ten times a second.
      if (!this.failing) this.options.logger.warn('event announcements failing; listeners fall back to polling the feed', { error: err });
      this.failing = true;
    }
  }
}
