/**
 * The one place a provider's output is held: its event pages folded into a
 * compact directory state. Records whose hash equals the stored one keep only
 * their hash (the plan needs no attributes to skip them), and ids are
 * interned so 500k membership facts share one string per id.
 */
import type { DirectoryEvent, DirectoryUser } from '../providers/types.js';
import { groupHash, userHash } from './hash.js';

export interface SnapshotUser {
  hash: string;
  active: boolean;
  email: string | null;
  /** The mapped record, only when it differs from what is stored (or is new). */
  record: DirectoryUser | null;
}

export interface SnapshotGroup {
  hash: string;
  displayName: string;
  profile: Record<string, unknown> | null;
}

/** Direct members of a group as the events said. `set` = the list is complete (not a delta). */
export interface DirectMembers {
  complete: boolean;
  users: Set<string>;
  groups: Set<string>;
  removedUsers: Set<string>;
  removedGroups: Set<string>;
}

export interface Snapshot {
  users: Map<string, SnapshotUser>;
  groups: Map<string, SnapshotGroup>;
  members: Map<string, DirectMembers>;
  removedUsers: Map<string, 'deleted' | 'soft-deleted'>;
  removedGroups: Set<string>;
  /** True once every page was read: only then may absence mean anything. */
  complete: boolean;
  pages: number;
}

export interface SnapshotBuilder {
  add(page: DirectoryEvent[]): void;
  /**
   * The user is now stored with this hash (created while the listing is read,
   * early-creates.ts): its record is dropped unless a later event changed it,
   * and a later event bringing the same record keeps none either.
   */
  stored(externalId: string, hash: string): void;
  /** Whether the user was stored before the run, or since (`stored`). */
  isStored(externalId: string): boolean;
  finish(complete: boolean): Snapshot;
  readonly snapshot: Snapshot;
}

/** `knownHashes`: stored source hashes by external id, to drop unchanged records early (the builder's own: `stored` adds to it). */
export function createSnapshotBuilder(knownHashes: Map<string, string> = new Map()): SnapshotBuilder {
  const strings = new Map<string, string>();
  const intern = (s: string) => {
    const known = strings.get(s);
    if (known !== undefined) return known;
    strings.set(s, s);
    return s;
  };
  const snapshot: Snapshot = { users: new Map(), groups: new Map(), members: new Map(), removedUsers: new Map(), removedGroups: new Set(), complete: false, pages: 0 };

  const membersOf = (groupId: string): DirectMembers => {
    let m = snapshot.members.get(groupId);
    if (!m) {
      m = { complete: false, users: new Set(), groups: new Set(), removedUsers: new Set(), removedGroups: new Set() };
      snapshot.members.set(intern(groupId), m);
    }
    return m;
  };

  const apply = (e: DirectoryEvent) => {
    switch (e.type) {
      case 'user': {
        const id = intern(e.user.externalId);
        const hash = userHash(e.user);
        snapshot.removedUsers.delete(id);
        snapshot.users.set(id, { hash, active: e.user.active, email: e.user.email, record: knownHashes.get(id) === hash ? null : e.user });
        return;
      }
      case 'user.removed':
        snapshot.users.delete(e.externalId);
        snapshot.removedUsers.set(intern(e.externalId), e.reason);
        return;
      case 'group': {
        const id = intern(e.group.externalId);
        snapshot.removedGroups.delete(id);
        snapshot.groups.set(id, { hash: groupHash(e.group), displayName: e.group.displayName, profile: e.group.profile ?? null });
        return;
      }
      case 'group.removed':
        snapshot.groups.delete(e.externalId);
        snapshot.members.delete(e.externalId);
        snapshot.removedGroups.add(intern(e.externalId));
        return;
      case 'members': {
        const m = membersOf(e.groupExternalId);
        if (e.mode === 'set') {
          // A `set` starts the complete list: whatever a delta said before is replaced.
          m.complete = true;
          m.users.clear();
          m.groups.clear();
          m.removedUsers.clear();
          m.removedGroups.clear();
        }
        const remove = e.mode === 'remove';
        for (const u of e.userExternalIds) {
          const id = intern(u);
          (remove ? m.users : m.removedUsers).delete(id);
          (remove ? m.removedUsers : m.users).add(id);
        }
        for (const g of e.groupExternalIds) {
          const id = intern(g);
          (remove ? m.groups : m.removedGroups).delete(id);
          (remove ? m.removedGroups : m.groups).add(id);
        }
        return;
      }
    }
  };

  return {
    snapshot,
    isStored: (externalId) => knownHashes.has(externalId),
    stored(externalId, hash) {
      knownHashes.set(externalId, hash);
      const u = snapshot.users.get(externalId);
      if (u && u.hash === hash) u.record = null;
    },
    add(page) {
      snapshot.pages += 1;
      for (const e of page) apply(e);
    },
    finish(complete) {
      snapshot.complete = complete;
      strings.clear();
      return snapshot;
    },
  };
}

/** Fold whole pages at once (tests, small directories). */
export function buildSnapshot(pages: DirectoryEvent[][], complete = true, knownHashes?: ReadonlyMap<string, string>): Snapshot {
  const b = createSnapshotBuilder(new Map(knownHashes));
  for (const p of pages) b.add(p);
  return b.finish(complete);
}
