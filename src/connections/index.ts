export * from './settings.js';
export * from './schedule.js';
