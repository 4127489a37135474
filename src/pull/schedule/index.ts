export { SyncScheduler, type BrokenSchedule, type SchedulerOptions, type ScheduledTick, type SyncMode } from './scheduler.js';
export { backoffUntil, consecutiveFailures, DEFAULT_BACKOFF, type BackoffPolicy, type RunOutcome } from './backoff.js';
export { DEFAULT_MAX_SPREAD_MS, spreadFraction, tickDueAt } from './spread.js';
