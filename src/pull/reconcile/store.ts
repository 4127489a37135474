/**
 * What the reconciler makes of the store's reads: the connection's stored
 * state (one record per IdP id) and who holds the userNames a listing claims.
 * The queries themselves are in src/core/store; writes to users, groups and
 * memberships go through the lifecycle layer.
 */
import { readSyncedDirectory, readUserNameHolders, type Db } from '../../core/store/index.js';
import type { NameHolder, NameLookup } from './collisions.js';
import type { Nesting, StoredGroup, StoredState, StoredUser } from './plan.js';

/**
 * Who holds each of `names` (userNames as given) in the tenant, in any
 * connection, and the key the unique index compares for each name: the
 * database's own lower(), never a JavaScript re-implementation of it (the
 * two fold some letters differently).
 */
export async function findUserNameHolders(db: Db, tenantId: string, names: string[]): Promise<NameLookup> {
  const keys = new Map<string, string>();
  const holders = new Map<string, NameHolder>();
  for (const r of await readUserNameHolders(db, tenantId, names)) {
    keys.set(r.name, r.key);
    if (r.userId !== null) holders.set(r.key, { userId: r.userId, userName: r.userName!, connection: r.connection! });
  }
  return { keys, holders };
}

export async function loadStoredState(db: Db, tenantId: string, connectionId: string, nesting: Nesting): Promise<StoredState> {
  const { users, groups, memberships } = await readSyncedDirectory(db, tenantId, connectionId);
  // external_id is not unique in the table (SCIM clients reuse it); a pull
  // connection keeps one record per IdP id, so the first one wins.
  const seenUsers = new Set<string>();
  const seenGroups = new Set<string>();
  const storedUsers: StoredUser[] = [];
  for (const u of users) if (!seenUsers.has(u.externalId) && seenUsers.add(u.externalId)) storedUsers.push(u);
  const storedGroups: StoredGroup[] = [];
  for (const g of groups) if (!seenGroups.has(g.externalId) && seenGroups.add(g.externalId)) storedGroups.push(g);
  return {
    connectionId,
    users: storedUsers,
    groups: storedGroups,
    memberships: memberships.map((r) => ({ groupId: r.group_id, userIds: r.user_ids.split(' ') })),
    nesting,
  };
}
