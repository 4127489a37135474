/**
 * A connection's SCIM bearer tokens: created and shown once (only here, in
 * the 201 answer), listed by name and prefix with last use, revoked at once.
 */
import { z } from 'zod';
import { ops } from '../../operations/index.js';
import { tokenCreate } from '../../operations/tokens.js';
import { defineRoute, operate } from '../route.js';
import { resolveConnectionById, resolveScimToken } from '../../operations/resolve.js';
import { connectionParams } from './connections.js';

const tokenParams = connectionParams.extend({ tokenId: z.string().min(1).describe('The token\'s id') });

export const scimTokenRoutes = [
  defineRoute({
    method: 'POST',
    path: '/connections/{id}/scim-tokens',
    operationId: 'createScimToken',
    summary: 'Create a SCIM bearer token (the token is in this answer only)',
    description: 'The connection must be of kind scim, or take SCIM pushes (PATCH scimPush: true). "expires": 90d, 12h, 2w or a date.',
    tag: 'scim-tokens',
    scope: 'admin',
    params: connectionParams,
    body: tokenCreate.input.omit({ connection: true }),
    status: 201,
    response: 'ScimTokenCreated',
    errors: [404],
    async handle({ params, body, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return operate(deps, caller, ops.tokenCreate, { ...body, connection: connection.id });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/connections/{id}/scim-tokens',
    operationId: 'listScimTokens',
    summary: 'List a connection\'s SCIM tokens: name, prefix, created, last used, expiry, revoked',
    tag: 'scim-tokens',
    scope: 'admin',
    params: connectionParams,
    status: 200,
    response: 'ScimTokenList',
    errors: [404],
    async handle({ params, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      return { tokens: await operate(deps, caller, ops.tokenList, { connection: connection.id }) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/connections/{id}/scim-tokens/{tokenId}',
    operationId: 'revokeScimToken',
    summary: 'Revoke a SCIM token: refused from the next request on',
    description: 'Revoking a revoked token is not an error; it keeps its first revocation time.',
    tag: 'scim-tokens',
    scope: 'admin',
    params: tokenParams,
    status: 204,
    errors: [404],
    async handle({ params, caller, deps }) {
      const connection = await resolveConnectionById(deps.db, params.id, caller);
      const token = await resolveScimToken(deps.db, connection, params.tokenId);
      await operate(deps, caller, ops.tokenRevoke, { id: token.id });
    },
  }),
];
