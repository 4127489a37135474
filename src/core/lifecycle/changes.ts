/**
 * The typed changes the lifecycle layer applies. Whatever brought a change
 * (a scheduled pull, a SCIM push, the login hook, an admin) expresses it as
 * one of these; nothing else writes users, groups, memberships or roles.
 */

/** Who brought a change; recorded on every audit event. */
export interface Actor {
  type: 'sync' | 'scim' | 'login' | 'admin' | 'cli' | 'system';
  /** Which one: a token id, an API key name, a CLI user. */
  id?: string | undefined;
  /** The sync run that produced the change, if any. */
  runId?: string | undefined;
  /** The request that brought the change (a SCIM request's id, a login sync's), kept on its audit events. */
  requestId?: string | undefined;
  /**
   * One transaction carrying several requests' changes (SCIM writes applied
   * together): each object's request, by the id of the user, group, role or
   * mapping its audit events name; `requestId` for any other.
   */
  requestIds?: Readonly<Record<string, string | null>> | undefined;
}

export interface UserAttributes {
  userName: string;
  email?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  /** Further SCIM-shaped attributes (emails, phoneNumbers, title, enterprise extension...); replaced whole when given. */
  profile?: Record<string, unknown> | null;
  /** Named custom attributes from the connection's expressions (src/core/mapping); replaced whole when given. */
  customAttributes?: Record<string, unknown> | null;
}

export interface CreateUser {
  kind: 'user.create';
  connectionId: string;
  /** Pre-assigned id (so later changes in the same batch can name the user); generated when absent. */
  id?: string;
  externalId?: string | null;
  attributes: UserAttributes;
  /** Created inactive when false (e.g. an IdP user that is suspended from the start). */
  active?: boolean;
  sourceHash?: string | null;
}

/** Sets the given attributes; omitted ones are kept. Writes nothing when nothing differs. */
export interface UpdateUser {
  kind: 'user.update';
  userId: string;
  attributes: Partial<UserAttributes> & { externalId?: string | null };
  /**
   * Fingerprint of the mapped source record. When every update of a batch
   * carries one, updates whose hash equals the stored hash are skipped without
   * comparing attributes: the producer promises equal hashes mean equal records.
   */
  sourceHash?: string | null;
}

export interface DeactivateUser {
  kind: 'user.deactivate';
  userId: string;
  /** Why (IdP disabled, left scope, SCIM active:false); kept on the audit event. */
  reason?: string;
}

export interface ReactivateUser {
  kind: 'user.reactivate';
  userId: string;
}

/** Hard delete: only when the directory really deleted the user. Audit history stays. */
export interface DeleteUser {
  kind: 'user.delete';
  userId: string;
}

export interface CreateGroup {
  kind: 'group.create';
  connectionId: string;
  id?: string;
  externalId?: string | null;
  displayName: string;
  profile?: Record<string, unknown> | null;
  sourceHash?: string | null;
}

export interface UpdateGroup {
  kind: 'group.update';
  groupId: string;
  displayName?: string;
  externalId?: string | null;
  profile?: Record<string, unknown> | null;
  sourceHash?: string | null;
}

export interface DeleteGroup {
  kind: 'group.delete';
  groupId: string;
}

export interface AddMember {
  kind: 'membership.add';
  groupId: string;
  userId: string;
  /** How the IdP names the member in this group (SCIM `members.display`), if it said. */
  display?: string | null;
}

export interface RemoveMember {
  kind: 'membership.remove';
  groupId: string;
  userId: string;
}

/** A manual grant: sync never touches it. */
export interface GrantRole {
  kind: 'role.grant';
  userId: string;
  roleId: string;
}

export interface RevokeRole {
  kind: 'role.revoke';
  userId: string;
  roleId: string;
}

export interface CreateRole {
  kind: 'role.create';
  id?: string;
  name: string;
  description?: string | null;
}

export type GroupMatch = { matchBy: 'display_name' | 'external_id'; groupRef: string };

/** Members of the matching IdP group get the role (source `idp`). */
export interface AddMapping {
  kind: 'mapping.add';
  id?: string;
  roleId: string;
  /** Only groups of this connection. Exactly one of `connectionId` and `tenantWide: true`. */
  connectionId?: string | null;
  /** Groups of every connection of the tenant match: an explicit choice, never a default. */
  tenantWide?: boolean;
  match: GroupMatch;
}

export interface RemoveMapping {
  kind: 'mapping.remove';
  mappingId: string;
}

export type LifecycleChange =
  | CreateUser
  | UpdateUser
  | DeactivateUser
  | ReactivateUser
  | DeleteUser
  | CreateGroup
  | UpdateGroup
  | DeleteGroup
  | AddMember
  | RemoveMember
  | GrantRole
  | RevokeRole
  | CreateRole
  | AddMapping
  | RemoveMapping;

export type ChangeKind = LifecycleChange['kind'];
export type ChangeOf<K extends ChangeKind> = Extract<LifecycleChange, { kind: K }>;

/** What an apply did, in the words of a sync report. */
export interface ApplyCounts {
  usersCreated: number;
  usersUpdated: number;
  usersDeactivated: number;
  usersReactivated: number;
  usersDeleted: number;
  groupsCreated: number;
  groupsUpdated: number;
  groupsDeleted: number;
  membershipsAdded: number;
  membershipsRemoved: number;
  rolesGranted: number;
  rolesRevoked: number;
  rolesCreated: number;
  mappingsAdded: number;
  mappingsRemoved: number;
}

export function emptyCounts(): ApplyCounts {
  return {
    usersCreated: 0,
    usersUpdated: 0,
    usersDeactivated: 0,
    usersReactivated: 0,
    usersDeleted: 0,
    groupsCreated: 0,
    groupsUpdated: 0,
    groupsDeleted: 0,
    membershipsAdded: 0,
    membershipsRemoved: 0,
    rolesGranted: 0,
    rolesRevoked: 0,
    rolesCreated: 0,
    mappingsAdded: 0,
    mappingsRemoved: 0,
  };
}

export interface ApplyResult {
  counts: ApplyCounts;
  /** Rows inserted, updated or deleted in users, groups, memberships, roles and mappings. */
  rowsWritten: number;
  auditEvents: number;
  /** Ids of created users, groups, roles and mappings, in the order of their create changes. */
  createdIds: string[];
}
