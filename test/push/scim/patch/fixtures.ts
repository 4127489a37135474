/** Small factories for PATCH engine tests: request bodies and a stored user. */
import { expect } from 'vitest';
import type { ScimError, Result } from '../../../../src/push/scim/errors.js';
import {
  applyUserPatch, parsePatchRequest, planGroupPatch, type GroupPatchPlan, type ScimUser,
} from '../../../../src/push/scim/patch/index.js';

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const USER_ID = '8c7d2a4e-5f0b-4a51-9f3e-2b6a1c0d9e11';
export const GROUP_ID = 'b1f0c9d2-3e4a-4c6b-8d7e-9f0a1b2c3d4e';

/** A PatchOp body in the RFC 7644 §3.5.2 envelope. */
export function patchBody(...operations: unknown[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** A user as Roster renders it, before the PATCH. */
export function storedUser(overrides: Partial<ScimUser> = {}): ScimUser {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    id: USER_ID,
    externalId: 'ext-1',
    userName: 'ada@example.com',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    displayName: 'Ada Lovelace',
    active: true,
    emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
    meta: { resourceType: 'User', created: '2026-01-01T00:00:00Z', lastModified: '2026-01-01T00:00:00Z' },
    ...overrides,
  };
}

export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.scimType}: ${result.error.message}`);
  return result.value;
}

export function errorOf<T>(result: Result<T>): ScimError {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

/** Parses the body and applies it to the user; fails the test on an error. */
export function patchUser(user: ScimUser, body: unknown): ScimUser {
  return unwrap(applyUserPatch(user, unwrap(parsePatchRequest(body))));
}

/** Parses the body and applies it, returning the result (for error cases). */
export function tryPatchUser(user: ScimUser, body: unknown): Result<ScimUser> {
  const ops = parsePatchRequest(body);
  return ops.ok ? applyUserPatch(user, ops.value) : ops;
}

export function planGroup(body: unknown, groupId = GROUP_ID): GroupPatchPlan {
  return unwrap(planGroupPatch(unwrap(parsePatchRequest(body)), { groupId }));
}

export function tryPlanGroup(body: unknown, groupId = GROUP_ID): Result<GroupPatchPlan> {
  const ops = parsePatchRequest(body);
  return ops.ok ? planGroupPatch(ops.value, { groupId }) : ops;
}

export function expectScimError(error: ScimError, scimType: string): void {
  expect(error.status).toBe(400);
  expect(error.scimType).toBe(scimType);
}
