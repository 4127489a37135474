/** Okta: what Roster knows of the kind without loading the Okta SDK (see ../descriptor.ts). */
import { z } from 'zod';
import type { PullDescriptor } from '../descriptor.js';
import { endpointUrl, posInt, pullCommon, text } from '../settings-fields.js';

// Okta takes an SSWS API token, or an OAuth service app (client id + private key JWT).
const OKTA_OAUTH = ['clientId', 'privateKey', 'keyId'] as const;
const settings = z
  .strictObject({
    orgUrl: endpointUrl(),
    apiToken: text().optional(),
    clientId: text().optional(),
    privateKey: text().optional(),
    keyId: text().optional(),
    requestTimeoutMs: posInt().optional(),
    maxRetries: z.number().int().min(0).max(10).optional(),
    serverErrorRetries: z.number().int().min(0).max(10).optional(),
    retryDelayMs: z.number().int().min(0).optional(),
    rateLimitReserve: z.number().min(0).max(0.9).optional(),
    deltaOverlapSeconds: z.number().int().min(0).optional(),
    ...pullCommon,
  })
  .superRefine((v, ctx) => {
    const oauth = OKTA_OAUTH.filter((k) => v[k] !== undefined);
    if (v.apiToken !== undefined && oauth.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['apiToken'], message: 'cannot be combined with clientId/privateKey/keyId; use one way to authenticate' });
    } else if (v.apiToken === undefined && oauth.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['apiToken'], message: 'is required (or clientId, privateKey and keyId for OAuth)' });
    } else if (v.apiToken === undefined) {
      for (const k of OKTA_OAUTH) if (v[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is required for OAuth' });
    }
  });

export const okta: PullDescriptor<'okta'> = {
  kind: 'okta',
  direction: 'pull',
  settings,
  secretFields: ['apiToken', 'privateKey'],
  endpointFields: ['orgUrl'],
  // Okta groups do not nest: a user's groups are all of them.
  groupsComplete: true,
  open: async (context) => (await import('./index.js')).createOktaProvider(context),
};
