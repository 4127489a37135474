export { hashScimToken } from '../../core/security/credentials.js';
export { authenticateScim, ScimTokenCache, type ScimCaller } from './auth.js';
export { takeToken, type RateDecision } from './rate-limit.js';
export { SCIM_BODY_LIMIT, ScimError, scimErrors, scimErrorResponse, type ScimType, type Result } from './errors.js';
export { registerScim, SCIM_PREFIXES } from './routes.js';
