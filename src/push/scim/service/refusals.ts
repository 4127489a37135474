/**
 * SCIM writes Roster refused, in the provisioning log: a userName another
 * user holds (409 uniqueness) or a value Roster cannot take for a user it
 * knows (400) is a `failed` row with the SCIM error the IdP was sent, so an
 * admin asking "why is Jane not updated?" sees the IdP's attempt and its
 * answer. One small insert after the refused transaction rolled back (never
 * inside it); a failure to record is logged, never the request's answer.
 */
import { findUserById, insertChangeOutcomes } from '../../../core/store/index.js';
import type { Logger } from '../../../core/logging/index.js';
import { scimErrorResponse } from '../errors.js';
import type { ScimRequestContext } from './context.js';

export interface RefusedWrite {
  /** `user.create` (POST), `user.replace` (PUT), `user.patch` (PATCH). */
  action: string;
  /** The user the URL names (PUT, PATCH). */
  userId?: string;
  body: unknown;
}

const textOf = (value: unknown) => (typeof value === 'string' && value.length <= 256 ? value : null);

/** Record the refusal when it is one the log keeps, then rethrow the error for the SCIM answer. */
export async function recordRefusal(ctx: ScimRequestContext, logger: Logger, err: unknown, write: RefusedWrite): Promise<never> {
  const { status, body } = scimErrorResponse(err);
  try {
    // A 400 is the log's only when it is about a user Roster holds; a malformed request about nobody is not.
    const known = write.userId ? await findUserById(ctx.db, ctx.scope.tenantId, write.userId) : undefined;
    const keep = status === 409 || (status === 400 && known !== undefined && known.connectionId === ctx.scope.connectionId);
    if (keep) {
      const sent = (write.body ?? {}) as { userName?: unknown; externalId?: unknown };
      await insertChangeOutcomes(ctx.db, [
        {
          tenantId: ctx.scope.tenantId,
          connectionId: ctx.scope.connectionId,
          requestId: ctx.apply.actor.requestId ?? null,
          source: 'scim',
          entityType: 'user',
          entityId: known?.id ?? null,
          externalId: known?.externalId ?? textOf(sent.externalId),
          userName: known?.userName ?? textOf(sent.userName),
          outcome: 'failed',
          reason: `SCIM ${status}${body.scimType ? ` ${body.scimType}` : ''}: ${body.detail}`,
          detail: { action: write.action, status, scimType: body.scimType ?? null, error: body.detail, actorId: ctx.apply.actor.id ?? null },
        },
      ]);
    }
  } catch (recordErr) {
    logger.warn('could not record a refused SCIM write in the provisioning log', { error: recordErr });
  }
  throw err;
}
