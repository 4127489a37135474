/**
 * The operations, and the one way to run one: validate the raw input with
 * the operation's schema, then run it. Callers in process (the CLI, the API
 * routes, the scheduler) pass the typed object from `ops` and get its result
 * type back; the server's command endpoint, which receives an operation's
 * name from a CLI talking to it over HTTP, looks it up with `operationNamed`.
 */
import type { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors/index.js';
import { inspectJson } from '../../core/input/index.js';
import { parseWith } from '../../core/validation/index.js';
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from './api-keys.js';
import { connectionAttributePreview } from './attributes.js';
import { connectionCreate, connectionDelete, connectionList, connectionShow, connectionUpdate } from './connections.js';
import { mappingAdd, mappingList, mappingRemove } from './mappings.js';
import { reportList, reportShow } from './reports.js';
import { roleCreate, roleGrant, roleList, roleRevoke } from './roles.js';
import { syncProvision } from './provision.js';
import { connectionTest, syncRun } from './sync.js';
import { auditSearch, runChanges, runReject, userHistory } from './provisioning-log.js';
import { tenantCreate, tenantList } from './tenants.js';
import { tokenCreate, tokenList, tokenRevoke } from './tokens.js';
import type { Operation, OperationContext } from './types.js';
import { userList, userShow } from './users.js';
import { webhookCreate, webhookDelete, webhookList } from './webhooks.js';

/** Every operation, typed: `runOperation(ctx, ops.connectionCreate, input)` resolves to a ConnectionView. */
export const ops = {
  tenantCreate,
  tenantList,
  connectionCreate,
  connectionList,
  connectionShow,
  connectionUpdate,
  connectionDelete,
  connectionTest,
  connectionAttributePreview,
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
  syncRun,
  syncProvision,
  apiKeyCreate,
  apiKeyList,
  apiKeyRevoke,
  reportShow,
  reportList,
  webhookCreate,
  webhookList,
  webhookDelete,
  runChanges,
  runReject,
  userHistory,
  auditSearch,
} as const;

const BY_NAME: ReadonlyMap<string, Operation> = new Map(Object.values(ops).map((op): [string, Operation] => [op.name, op]));

/** The operation a command endpoint request names (the CLI sends `op.name`). */
export function operationNamed(name: string): Operation {
  const op = BY_NAME.get(name);
  if (!op) throw new NotFoundError(`unknown operation "${name}"`);
  return op;
}

export async function runOperation<S extends z.ZodType, R>(ctx: OperationContext, op: Operation<S, R>, rawInput: unknown): Promise<R> {
  // The CLI on an embedded database reaches here without HTTP (a settings file, an argument): the same checks as a request body.
  const problem = inspectJson(rawInput ?? {});
  if (problem) throw new ValidationError(problem.message, { details: { field: problem.path } });
  const input = parseWith(op.input, rawInput ?? {}, op.name);
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
