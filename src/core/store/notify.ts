/**
 * Change notices between Roster processes. A table trigger NOTIFYs at commit
 * (see drizzle/0002_scim_auth_notify.sql) and every process LISTENs; the
 * process that made the change also announces it in memory once it has
 * committed, so its own caches see it before the notification has made the
 * round trip through the database.
 */
import { EventEmitter } from 'node:events';

/** Payload: the connection id whose SCIM tokens' lookups must be dropped. */
export const SCIM_AUTH_CHANNEL = 'roster_scim_auth';

const local = new EventEmitter();
local.setMaxListeners(0);

/** Call after the commit of a change that a table trigger also NOTIFYs. */
export function announceCommitted(channel: string, payload: string): void {
  local.emit(channel, payload);
}

export function onAnnounced(channel: string, listener: (payload: string) => void): () => void {
  local.on(channel, listener);
  return () => local.off(channel, listener);
}
