/** Google Workspace: what Roster knows of the kind without loading googleapis (see ../descriptor.ts). */
import { z } from 'zod';
import type { PullDescriptor } from '../descriptor.js';
import { endpointUrl, posInt, pullCommon, text } from '../settings-fields.js';

const serviceAccountKey = z.looseObject(
  {
    type: z.literal('service_account').optional(),
    client_email: z.email(),
    private_key: text(),
  },
  { error: 'must be the service account JSON key (an object, or its JSON text)' },
);

const settings = z.strictObject({
  /** The admin the service account impersonates (domain-wide delegation). */
  subject: z.email(),
  // A key pasted as the JSON string Google downloads is accepted as well as the object.
  serviceAccountKey: z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, serviceAccountKey),
  customer: text().default('my_customer'),
  domain: text().optional(),
  rootUrl: endpointUrl().optional(),
  tokenUrl: endpointUrl().optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  retryBaseDelayMs: z.number().int().min(0).optional(),
  maxRetryDelayMs: z.number().int().min(0).optional(),
  requestTimeoutMs: posInt().optional(),
  ...pullCommon,
});

export const google: PullDescriptor<'google'> = {
  kind: 'google',
  direction: 'pull',
  settings,
  secretFields: ['serviceAccountKey'],
  // The token URL receives assertions signed with the key; the API root receives the access token.
  endpointFields: ['rootUrl', 'tokenUrl'],
  // groups?userKey= lists direct groups only: at login a Google user only gains memberships.
  groupsComplete: false,
  open: async (context) => (await import('./index.js')).createGoogleProvider(context),
};
