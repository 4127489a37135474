export { inspectJson, unstorableText, MAX_JSON_DEPTH, type InputProblem } from './json.js';
export { FIELD_LIMITS, overLimit, type LimitedField } from './limits.js';
