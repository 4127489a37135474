export { SyncScheduler, type SchedulerOptions, type SyncMode } from './scheduler.js';
export { backoffUntil, consecutiveFailures, DEFAULT_BACKOFF, type BackoffPolicy, type RunOutcome } from './backoff.js';
