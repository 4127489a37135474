/**
 * The lifecycle layer's entry point. A batch of changes is applied in one
 * transaction, in order; consecutive changes of the same kind travel as one
 * bulk statement (a reconcile of 100k users is a few dozen round trips, not
 * 100k). IdP-mapped roles are recomputed for every user the batch touched
 * before the transaction commits, so no reader ever sees a deactivated user
 * still holding a mapped role.
 */
import { inTransaction, type Db } from '../store/index.js';
import { ValidationError } from '../errors/index.js';
import { emptyCounts, type Actor, type ApplyResult, type ChangeKind, type ChangeOf, type LifecycleChange } from './changes.js';
import { addMembers, createGroups, deleteGroups, removeMembers, updateGroups } from './groups.js';
import { addMappings, createRoles, grantRoles, recomputeIdpRoles, removeMappings, revokeRoles } from './roles.js';
import { translateDbError } from '../store/index.js';
import { assertIds, chunks, type ApplyContext } from './sql.js';
import { createUsers, deactivateUsers, deleteUsers, reactivateUsers, updateUsers } from './users.js';

interface Handler<K extends ChangeKind> {
  /** Identity of the thing changed: a run never holds two changes of one key, so bulk order cannot matter. */
  key(change: ChangeOf<K>): string;
  apply(ctx: ApplyContext, changes: ChangeOf<K>[]): Promise<void>;
  /**
   * Users whose IdP roles the change may move, known before it runs. A handler
   * that has this issues one statement before it awaits anything, so the role
   * recompute can be sent right behind it in the same packet.
   */
  affects?(change: ChangeOf<K>): string;
  /**
   * True when one such change is one statement, issued before the handler
   * awaits anything, that writes all or nothing, with only reads after it:
   * the transaction can then commit without waiting for its answer (see
   * inTransaction's `commitAhead`), one round trip fewer for a SCIM write.
   */
  oneStatement?(change: ChangeOf<K>): boolean;
}

const byUser = (c: { userId: string }) => c.userId;
const byUserId = byUser;
const byGroup = (c: { groupId: string }) => c.groupId;
const byMembership = (c: { groupId: string; userId: string }) => `${c.groupId}/${c.userId}`;
const byUserRole = (c: { userId: string; roleId: string }) => `${c.userId}/${c.roleId}`;
const always = () => true;

/** The typed registry: a change kind without a handler does not compile. */
const HANDLERS: { [K in ChangeKind]: Handler<K> } = {
  'user.create': { key: (c) => c.id ?? `name:${c.attributes.userName?.toLowerCase()}`, apply: createUsers, oneStatement: always },
  // With a source hash, the update first asks which users really changed.
  'user.update': { key: byUser, apply: updateUsers, oneStatement: (c) => c.sourceHash === undefined },
  'user.deactivate': { key: byUser, apply: deactivateUsers, affects: byUserId, oneStatement: always },
  'user.reactivate': { key: byUser, apply: reactivateUsers, affects: byUserId, oneStatement: always },
  'user.delete': { key: byUser, apply: deleteUsers, oneStatement: always },
  'group.create': { key: (c) => c.id ?? `ext:${c.connectionId}/${c.externalId ?? c.displayName}`, apply: createGroups },
  'group.update': { key: byGroup, apply: updateGroups },
  'group.delete': { key: byGroup, apply: deleteGroups },
  'membership.add': { key: byMembership, apply: addMembers, affects: byUserId, oneStatement: always },
  'membership.remove': { key: byMembership, apply: removeMembers, affects: byUserId, oneStatement: always },
  'role.grant': { key: byUserRole, apply: grantRoles },
  'role.revoke': { key: byUserRole, apply: revokeRoles },
  'role.create': { key: (c) => c.name, apply: createRoles },
  'mapping.add': { key: (c) => `${c.roleId}/${c.match.matchBy}/${c.match.groupRef}/${c.connectionId ?? ''}`, apply: addMappings },
  'mapping.remove': { key: (c) => c.mappingId, apply: removeMappings },
};

interface Run {
  kind: ChangeKind;
  changes: LifecycleChange[];
}

/** Split the batch into runs of one kind with no key twice, keeping the order. */
export function splitIntoRuns(changes: LifecycleChange[]): Run[] {
  const runs: Run[] = [];
  let current: Run | undefined;
  let keys = new Set<string>();
  for (const change of changes) {
    const handler = HANDLERS[change.kind] as Handler<ChangeKind> | undefined;
    if (!handler) throw new ValidationError(`unknown change kind "${(change as { kind?: unknown }).kind}"`);
    const key = handler.key(change as never);
    if (!current || current.kind !== change.kind || keys.has(key)) {
      current = { kind: change.kind, changes: [] };
      keys = new Set();
      runs.push(current);
    }
    keys.add(key);
    current.changes.push(change);
  }
  return runs;
}

export interface ApplyOptions {
  tenantId: string;
  actor: Actor;
}

/**
 * Apply `changes` for one tenant, all or nothing. Throws a typed error
 * (ValidationError, NotFoundError, ConflictError) and applies nothing when
 * any change cannot be applied.
 */
export async function applyChanges(db: Db, options: ApplyOptions, changes: LifecycleChange[]): Promise<ApplyResult> {
  return (await applyInTransaction(db, options, changes)).result;
}

/**
 * applyChanges, then `read` run right after the commit and sent with it: a
 * write that answers with the row it wrote (a SCIM PATCH) saves a round trip.
 * `read` sees the committed state. With no changes it is just the read.
 */
export async function applyThenRead<R>(
  db: Db,
  options: ApplyOptions,
  changes: LifecycleChange[],
  read: (db: Db) => Promise<R>,
): Promise<{ result: ApplyResult; read: R }> {
  const { result, read: value } = await applyInTransaction(db, options, changes, read);
  return { result, read: value as R };
}

async function applyInTransaction<R>(
  db: Db,
  options: ApplyOptions,
  changes: LifecycleChange[],
  read?: (db: Db) => Promise<R>,
): Promise<{ result: ApplyResult; read: R | undefined }> {
  assertIds('tenant id', [options.tenantId]);
  const runs = splitIntoRuns(changes);
  const result: ApplyResult = { counts: emptyCounts(), rowsWritten: 0, auditEvents: 0, createdIds: [] };
  // Nothing to apply: the read alone (a read that answers undefined is not asked twice).
  if (runs.length === 0) return { result, read: read ? await read(db) : undefined };
  try {
    const done = await inTransaction(
      db,
      async (tx, pipelined) => {
        const ctx: ApplyContext = {
          tx,
          tenantId: options.tenantId,
          actor: options.actor,
          result,
          affectedUsers: new Set(),
          recomputeAll: false,
        };
        let recomputed = false;
        for (const [r, run] of runs.entries()) {
          const handler = HANDLERS[run.kind] as Handler<ChangeKind>;
          const parts = chunks(run.changes);
          for (const [p, part] of parts.entries()) {
            const last = r === runs.length - 1 && p === parts.length - 1;
            if (last && pipelined && handler.affects && !ctx.recomputeAll && ctx.affectedUsers.size + part.length <= 1000) {
              await applyWithRecompute(ctx, handler, part);
              recomputed = true;
            } else {
              await handler.apply(ctx, part as never);
            }
          }
        }
        if (!recomputed) await recomputeIdpRoles(ctx);
      },
      { ...(read ? { readAfterCommit: read } : {}), ...transactionShape(runs) },
    );
    return { result, read: done.read };
  } catch (err) {
    throw translateDbError(err);
  }
}

/**
 * A batch of one change whose handler is one statement has nothing to check
 * before COMMIT; if no role can move either, that statement is the whole
 * transaction (a SCIM POST is one round trip, its read-back included).
 */
function transactionShape(runs: Run[]): { commitAhead?: boolean; oneStatement?: boolean } {
  if (runs.length !== 1 || runs[0]!.changes.length !== 1) return {};
  const handler = HANDLERS[runs[0]!.kind] as Handler<ChangeKind>;
  if (!handler.oneStatement?.(runs[0]!.changes[0] as never)) return {};
  return handler.affects ? { commitAhead: true } : { oneStatement: true };
}

/**
 * The last statement of a batch and the role recompute, pipelined: the users
 * the change may affect are declared up front (a superset is harmless: a user
 * whose roles are right is left alone), so the recompute need not wait for
 * the statement's answer. Both run in order on the transaction's connection.
 */
async function applyWithRecompute(ctx: ApplyContext, handler: Handler<ChangeKind>, part: LifecycleChange[]): Promise<void> {
  for (const change of part) ctx.affectedUsers.add(handler.affects!(change as never));
  const applying = handler.apply(ctx, part as never);
  const recomputing = recomputeIdpRoles(ctx);
  const [applied, recompute] = await Promise.allSettled([applying, recomputing]);
  // The statement's own error first: a failed statement makes the recompute fail too.
  if (applied.status === 'rejected') throw applied.reason;
  if (recompute.status === 'rejected') throw recompute.reason;
}
