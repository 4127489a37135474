export * from './db.js';
export * from './embedded-lock.js';
export * as schema from './schema.js';
export type * from './schema.js';
