/**
 * A toy IdP, built the way a new provider is: a folder with its descriptor
 * (this file) and its provider (./provider.ts, imported on first open). Its
 * directory is the list of people its settings name, which is all a test of
 * the registry needs.
 */
import { z } from 'zod';
import type { PullDescriptor } from '../../../src/pull/providers/index.js';
import { pullCommon, text } from '../../../src/pull/providers/settings-fields.js';

const settings = z.strictObject({
  /** Who is in the toy directory: sign-in names, one user each. */
  people: z.array(text()).min(1),
  /** The toy's credential: a secret, so it is stored encrypted and shown as "(set)". */
  token: text(),
  ...pullCommon,
});

export const toy: PullDescriptor<'toy'> = {
  kind: 'toy',
  direction: 'pull',
  settings,
  secretFields: ['token'],
  endpointFields: [],
  groupsComplete: true,
  open: async (context) => (await import('./provider.js')).createToyProvider(context),
};
