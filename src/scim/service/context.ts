/** What a SCIM request's work needs: the database, the caller's scope, and who is acting. */
import type { ApplyOptions } from '../../lifecycle/index.js';
import type { Db } from '../../store/index.js';
import type { Result } from '../errors.js';
import type { ScimScope } from '../queries.js';

export interface ScimRequestContext {
  db: Db;
  scope: ScimScope;
  /** Tenant and actor (`scim`, the token id) for the lifecycle layer. */
  apply: ApplyOptions;
  /** `https://host/scim/v2` or `.../enterprise-idps/{id}`, for `meta.location`. */
  baseUrl: string;
  /** The connection's kind: a POST links existing users only on a pull connection. */
  connectionKind: string;
}

/** Parsers return results; at the service edge a failure becomes the thrown ScimError. */
export function orThrow<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}
