/** Zitadel: what Roster knows of the kind without loading @zitadel/client (see ../descriptor.ts). */
import { z } from 'zod';
import type { PullDescriptor } from '../descriptor.js';
import { endpointUrl, posInt, pullCommon, text } from '../settings-fields.js';

// A personal access token (a machine user's PAT), or that machine user's key file (JWT profile grant).
const settings = z
  .strictObject({
    baseUrl: endpointUrl(),
    personalAccessToken: text().optional(),
    /** The JSON key file as downloaded from the console: a string, or the parsed object. */
    serviceAccountKey: z.union([text(), z.record(z.string(), z.unknown())]).optional(),
    /** Read this organization (header x-zitadel-orgid, organization filters); default: the credential's own. */
    organizationId: text().optional(),
    requestTimeoutMs: posInt().optional(),
    serverErrorRetries: z.number().int().min(0).max(10).optional(),
    retryDelayMs: z.number().int().min(0).optional(),
    deltaOverlapSeconds: z.number().int().min(0).optional(),
    ...pullCommon,
  })
  .superRefine((v, ctx) => {
    if (v.personalAccessToken !== undefined && v.serviceAccountKey !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['personalAccessToken'], message: 'cannot be combined with serviceAccountKey; use one way to authenticate' });
    } else if (v.personalAccessToken === undefined && v.serviceAccountKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['personalAccessToken'], message: 'is required (or serviceAccountKey, the machine user\'s JSON key file)' });
    }
  });

export const zitadel: PullDescriptor<'zitadel'> = {
  kind: 'zitadel',
  direction: 'pull',
  settings,
  secretFields: ['personalAccessToken', 'serviceAccountKey'],
  endpointFields: ['baseUrl'],
  // Groups are project roles: they do not nest, and the lookup lists every grant of the user.
  groupsComplete: true,
  open: async (context) => (await import('./index.js')).createZitadelProvider(context),
};
