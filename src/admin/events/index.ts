export { readEventFeed, DEFAULT_FEED_LIMIT, DEFAULT_FEED_WAIT_MS, MAX_FEED_LIMIT } from './feed.js';
export type { FeedEvent, FeedPage, FeedQuery } from './feed.js';
export { announceNewEvents } from '../../core/store/index.js';
export { DEFAULT_ANNOUNCE_INTERVAL_MS, EventAnnouncer, EVENTS_CHANNEL, type EventAnnouncerOptions } from './announcer.js';
