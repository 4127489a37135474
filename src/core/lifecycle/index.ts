export { applyChanges, applyThenRead, splitIntoRuns, type ApplyOptions } from './apply.js';
export type * from './changes.js';
export { emptyCounts } from './changes.js';
