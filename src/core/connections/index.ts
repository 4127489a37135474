export * from './schedule.js';
export * from './full-schedule.js';
