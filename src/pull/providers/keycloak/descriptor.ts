/** Keycloak: what Roster knows of the kind without loading @keycloak/keycloak-admin-client (see ../descriptor.ts). */
import { z } from 'zod';
import type { PullDescriptor } from '../descriptor.js';
import { endpointUrl, posInt, pullCommon, text } from '../settings-fields.js';

const settings = z.strictObject({
  /** The server's root, e.g. https://sso.example.com (with `/auth` before Keycloak 17). */
  baseUrl: endpointUrl(),
  /** The realm whose users and groups are synced (and where the service-account client lives). */
  realm: text(),
  /** A confidential client with service accounts enabled; its service account holds view-users, query-groups and view-events. */
  clientId: text(),
  clientSecret: text(),
  /** `max` of every listing (users, groups, members, admin events); default 100. */
  pageSize: z.number().int().min(1).max(1000).optional(),
  requestTimeoutMs: posInt().optional(),
  serverErrorRetries: z.number().int().min(0).max(10).optional(),
  retryDelayMs: z.number().int().min(0).optional(),
  ...pullCommon,
});

export const keycloak: PullDescriptor<'keycloak'> = {
  kind: 'keycloak',
  direction: 'pull',
  settings,
  secretFields: ['clientSecret'],
  // The token endpoint and the admin API both live under baseUrl.
  endpointFields: ['baseUrl'],
  // /users/{id}/groups lists direct groups only: a login only adds memberships; parents come from the scheduled sync.
  groupsComplete: false,
  open: async (context) => (await import('./index.js')).createKeycloakProvider(context),
};
