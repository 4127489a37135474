export { hashScimToken, authenticateScim, LastUsedRecorder, type ScimCaller } from './auth.js';
export { takeToken, type RateDecision } from './rate-limit.js';
export { ScimError, scimErrors, scimErrorBody, toScimError, type ScimType, type Result } from './errors.js';
