export { connectionHealth, formatSeconds, DEFAULT_SCIM_PUSH_WINDOW_SECONDS, DEFAULT_SYNC_INTERVAL_SECONDS } from './health.js';
export type { Health, HealthFacts, HealthVerdict } from './health.js';
export { connectionReport, connectionReports, DEFAULT_REPORT_RUNS, type ConnectionReport, type RunSummary } from './report.js';
