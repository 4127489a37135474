/** Microsoft Entra ID: what Roster knows of the kind without loading the Graph SDK (see ../descriptor.ts). */
import { z } from 'zod';
import type { PullDescriptor } from '../descriptor.js';
import { endpointUrl, posInt, pullCommon, text } from '../settings-fields.js';

const settings = z.strictObject({
  tenantId: text(),
  clientId: text(),
  clientSecret: text(),
  graphBaseUrl: endpointUrl().optional(),
  authorityHost: endpointUrl().optional(),
  requestTimeoutMs: posInt().optional(),
  serverErrorRetries: z.number().int().min(0).max(10).optional(),
  retryDelayMs: z.number().int().min(0).max(60_000).optional(),
  ...pullCommon,
});

export const entra: PullDescriptor<'entra'> = {
  kind: 'entra',
  direction: 'pull',
  settings,
  secretFields: ['clientSecret'],
  endpointFields: ['authorityHost', 'graphBaseUrl'],
  // Graph's transitiveMemberOf lists nested groups too.
  groupsComplete: true,
  open: async (context) => (await import('./index.js')).createEntraProvider(context),
};
