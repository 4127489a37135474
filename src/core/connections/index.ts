export * from './settings.js';
export * from './schedule.js';
export * from './full-schedule.js';
export * from './open.js';
