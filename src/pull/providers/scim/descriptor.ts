/**
 * SCIM connections are pushed to by the IdP (src/push/scim); Roster opens no
 * provider for them. Their bearer tokens live in scim_tokens, not in the settings.
 */
import { z } from 'zod';
import { expressionsSetting } from '../../../core/mapping/index.js';
import type { PushDescriptor } from '../descriptor.js';

const settings = z.strictObject({
  /** PATCH answers 200 with the resource (default) or 204 No Content (RFC 7644 §3.5.2 allows both). */
  patchResponse: z.enum(['resource', 'no-content']).optional(),
  /** JSONata expressions over the SCIM resource as pushed (enterprise and custom schema attributes included). */
  expressions: expressionsSetting(),
});

export const scim: PushDescriptor<'scim'> = {
  kind: 'scim',
  direction: 'push',
  settings,
  secretFields: [],
  endpointFields: [],
};
