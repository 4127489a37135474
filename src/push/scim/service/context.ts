/** What a SCIM request's work needs: the database, the caller's scope, and who is acting. */
import type { ApplyOptions, LifecycleChange } from '../../../core/lifecycle/index.js';
import type { CompiledMapping } from '../../../core/mapping/index.js';
import type { Result } from '../errors.js';
import type { ConnectionScope, Db } from '../../../core/store/index.js';
import type { GroupRowForScim } from '../resources/group.js';
import type { UserRowForScim } from '../resources/user.js';
import type { WriteCoalescer } from './coalescer.js';
import type { RowLoader } from './loader.js';

export interface ScimRequestContext {
  db: Db;
  scope: ConnectionScope;
  /** Tenant and actor (`scim`, the token id) for the lifecycle layer. */
  apply: ApplyOptions;
  /** `https://host/scim/v2` or `.../enterprise-idps/{id}`, for `meta.location`. */
  baseUrl: string;
  /** The connection's kind: a POST links existing users only on a pull connection. */
  connectionKind: string;
  /** Where writes go: the lifecycle layer, batched with the caller's concurrent writes. */
  writes: WriteCoalescer;
  /** The connection's attribute expressions, evaluated over each User a client sends; null when it has none. */
  mapping: CompiledMapping | null;
  /** Users by id, read together with other requests' reads. */
  userRows: RowLoader<UserRowForScim>;
  /** Groups by id, likewise. */
  groupRows: RowLoader<GroupRowForScim>;
}

/** Apply the changes through the lifecycle layer, then `read` the answer after the commit. */
export function write<R>(ctx: ScimRequestContext, changes: LifecycleChange[], read: (db: Db) => Promise<R>): Promise<R> {
  return ctx.writes.apply(ctx.apply, changes, read);
}

/** Parsers return results; at the service edge a failure becomes the thrown ScimError. */
export function orThrow<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}
