export { hashScimToken, authenticateScim, ScimTokenCache, type ScimCaller } from './auth.js';
export { takeToken, type RateDecision } from './rate-limit.js';
export { ScimError, scimErrors, scimErrorBody, toScimError, type ScimType, type Result } from './errors.js';
export { registerScim, SCIM_PREFIXES, SCIM_BODY_LIMIT } from './routes.js';
