/**
 * The SCIM PATCH engine (RFC 7644 §3.5.2) as pure functions:
 * parse the request once, then apply it to a User or plan it for a Group.
 */
export { parsePatchRequest } from './request.js';
export { parsePatchPath } from './path.js';
export { applyUserPatch } from './user-patch.js';
export { planGroupPatch, type GroupPatchOptions } from './group-patch.js';
export {
  PATCH_OP_SCHEMA,
  CORE_USER_SCHEMA,
  CORE_GROUP_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  type GroupPatchPlan,
  type PatchOpKind,
  type PatchOperation,
  type PathOperation,
  type PatchPath,
  type ResourceEntry,
  type ResourceOperation,
  type ScimEnterpriseUser,
  type ScimManager,
  type ScimMultiValue,
  type ScimUser,
  type ValueFilter,
} from './types.js';
