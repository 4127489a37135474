/**
 * The registry of operations, and the one way to run one: validate the raw
 * input with the operation's schema, then run it. The CLI (in process) and
 * the server's command endpoint both come through `runOperation`.
 */
import { NotFoundError, ValidationError } from '../errors/index.js';
import { inspectJson } from '../input/index.js';
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from './api-keys.js';
import { webhookCreate, webhookDelete, webhookList } from './webhooks.js';
import { parseWith } from '../validation/index.js';
import { connectionCreate, connectionDelete, connectionList, connectionShow, connectionUpdate } from './connections.js';
import { mappingAdd, mappingList, mappingRemove } from './mappings.js';
import { connectionTest, syncRun } from './sync.js';
import { reportList, reportShow } from './reports.js';
import { roleCreate, roleGrant, roleList, roleRevoke } from './roles.js';
import { tenantCreate, tenantList } from './tenants.js';
import { tokenCreate, tokenList, tokenRevoke } from './tokens.js';
import type { Operation, OperationContext } from './types.js';
import { userList, userShow } from './users.js';

const ALL = [
  tenantCreate,
  tenantList,
  connectionCreate,
  connectionList,
  connectionShow,
  connectionUpdate,
  connectionDelete,
  roleCreate,
  roleList,
  roleGrant,
  roleRevoke,
  mappingAdd,
  mappingList,
  mappingRemove,
  userList,
  userShow,
  tokenCreate,
  tokenList,
  tokenRevoke,
  syncRun, connectionTest,
  apiKeyCreate, apiKeyList, apiKeyRevoke,
  reportShow, reportList,
  webhookCreate, webhookList, webhookDelete,
] as const;

export const OPERATIONS: ReadonlyMap<string, Operation> = new Map(ALL.map((op) => [op.name, op as unknown as Operation]));

export function getOperation(name: string): Operation {
  const op = OPERATIONS.get(name);
  if (!op) throw new NotFoundError(`unknown operation "${name}"`);
  return op;
}

export async function runOperation(ctx: OperationContext, name: string, rawInput: unknown): Promise<unknown> {
  const op = getOperation(name);
  // The CLI on an embedded database reaches here without HTTP (a settings file, an argument): the same checks as a request body.
  const problem = inspectJson(rawInput ?? {});
  if (problem) throw new ValidationError(problem.message, { details: { field: problem.path } });
  const input = parseWith(op.input, rawInput ?? {}, name);
  return op.run(ctx, input);
}

export type { Operation, OperationContext } from './types.js';
export type { ConnectionView } from './connections.js';
export type { TenantView } from './tenants.js';
export type { RoleView, GrantResult } from './roles.js';
export type { MappingView } from './mappings.js';
export type { UserPage, UserView } from './users.js';
export type { ScimTokenView } from './tokens.js';
export type { ApiKeyView } from './api-keys.js';
export type { WebhookView } from './webhooks.js';
