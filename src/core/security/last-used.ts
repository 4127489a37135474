/**
 * Recording when a credential (a SCIM token, an API key) was last used, at
 * most once a minute per credential and replica: no write per request. The
 * store's touch function also skips a write within the minute, so replicas
 * add at most one write a minute each.
 */
import type { Logger } from '../logging/index.js';
import type { Db } from '../store/index.js';

const RECORD_EVERY_MS = 60_000;

export interface LastUsedRecorderOptions {
  db: Db;
  logger: Logger;
  /** The store function that records use of this kind of credential (touchScimToken, touchApiKey). */
  touch: (db: Db, id: string) => Promise<void>;
  /** What the credential is called in the warning when a write fails ("SCIM token", "API key"). */
  credential: string;
}

export class LastUsedRecorder {
  private readonly written = new Map<string, number>();

  constructor(private readonly options: LastUsedRecorderOptions) {}

  /** Note a use of the credential `id`; the write (if due) happens in the background. */
  record(id: string): void {
    const now = Date.now();
    if (now - (this.written.get(id) ?? 0) < RECORD_EVERY_MS) return;
    this.written.set(id, now);
    const { db, logger, touch, credential } = this.options;
    touch(db, id).catch((err: unknown) => logger.warn(`could not record ${credential} use`, { error: err }));
  }
}
