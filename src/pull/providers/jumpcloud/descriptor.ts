/** JumpCloud: what Roster knows of the kind without loading its provider (see ../descriptor.ts). */
import { z } from 'zod';
import type { PullDescriptor } from '../descriptor.js';
import { endpointUrl, posInt, pullCommon, text } from '../settings-fields.js';

const settings = z.strictObject({
  /** The console API (v1 systemusers, v2 usergroups); default https://console.jumpcloud.com. */
  baseUrl: endpointUrl().optional(),
  /** An admin's API key (`x-api-key`). */
  apiKey: text(),
  /** `x-org-id`: which organisation a multi-tenant (MSP) admin's key reads. */
  orgId: text().optional(),
  /** Directory Insights; default https://api.jumpcloud.com/insights/directory/v1. */
  insightsUrl: endpointUrl().optional(),
  /** Items asked for a page (JumpCloud's cap, and the default, is 100). */
  pageSize: z.number().int().min(1).max(100).optional(),
  requestTimeoutMs: posInt().optional(),
  serverErrorRetries: z.number().int().min(0).max(10).optional(),
  retryDelayMs: z.number().int().min(0).optional(),
  deltaOverlapSeconds: z.number().int().min(0).optional(),
  ...pullCommon,
});

export const jumpcloud: PullDescriptor<'jumpcloud'> = {
  kind: 'jumpcloud',
  direction: 'pull',
  settings,
  secretFields: ['apiKey'],
  // Both receive the API key.
  endpointFields: ['baseUrl', 'insightsUrl'],
  // JumpCloud user groups do not nest, and /v2/users/{id}/memberof lists every user group of a user.
  groupsComplete: true,
  open: async (context) => (await import('./index.js')).createJumpCloudProvider(context),
};
