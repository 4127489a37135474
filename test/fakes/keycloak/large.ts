/**
 * A generated realm for the sync benchmark (bench/sync) and paging tests:
 * N users, G top-level groups and M direct memberships, each user in
 * ⌊M/N⌋ (or one more) distinct groups drawn with a seeded PRNG, so every
 * run serves the same realm. Built with admin events off, as a realm
 * imported before "Save admin events" was turned on: the change feed starts
 * empty, and only changes made afterwards (through the realm's methods)
 * record their events.
 *
 * LargeKeycloakRealm keeps the listing orders the fake serves (users by
 * username, groups by name, a parent's children) until a change, so that
 * paging 100,000 users does not sort them once per page.
 */
import { prng } from '../prng.js';
import { FakeKeycloakRealm, type FakeKcGroup, type FakeKcUser, type NewKcUser } from './directory.js';

export class LargeKeycloakRealm extends FakeKeycloakRealm {
  private usersSorted: FakeKcUser[] | null = null;
  private tops: FakeKcGroup[] | null = null;
  private children: Map<string, FakeKcGroup[]> | null = null;

  private invalidate(): void {
    this.usersSorted = null;
    this.tops = null;
    this.children = null;
  }

  override userList(): FakeKcUser[] {
    return (this.usersSorted ??= super.userList());
  }

  override topGroups(): FakeKcGroup[] {
    return (this.tops ??= super.topGroups());
  }

  override childrenOf(id: string): FakeKcGroup[] {
    if (!this.children) {
      const byParent = new Map<string, FakeKcGroup[]>();
      for (const g of this.groups.values()) {
        if (!g.parentId) continue;
        const list = byParent.get(g.parentId);
        if (list) list.push(g);
        else byParent.set(g.parentId, [g]);
      }
      for (const list of byParent.values()) list.sort((a, b) => a.name.localeCompare(b.name));
      this.children = byParent;
    }
    return this.children.get(id) ?? [];
  }

  override addUser(u: NewKcUser): FakeKcUser {
    this.invalidate();
    return super.addUser(u);
  }

  override updateUser(id: string, patch: Partial<Omit<FakeKcUser, 'id' | 'createdTimestamp'>>): FakeKcUser {
    // A new username moves the user in the listing order.
    if (patch.username !== undefined) this.invalidate();
    return super.updateUser(id, patch);
  }

  override deleteUser(id: string): void {
    this.invalidate();
    super.deleteUser(id);
  }

  override addGroup(name: string, parentId: string | null = null): FakeKcGroup {
    this.invalidate();
    return super.addGroup(name, parentId);
  }

  override renameGroup(id: string, name: string): void {
    this.invalidate();
    super.renameGroup(id, name);
  }

  override moveGroup(id: string, parentId: string | null): void {
    this.invalidate();
    super.moveGroup(id, parentId);
  }

  override deleteGroup(id: string): void {
    this.invalidate();
    super.deleteGroup(id);
  }
}

export interface GeneratedRealmOptions {
  users: number;
  groups: number;
  memberships: number;
  seed?: number;
}

const pad = (i: number, width: number) => String(i).padStart(width, '0');

/** The realm, its users (`user000000`…) and groups (`group00000`…) in creation order. */
export function generateRealm(options: GeneratedRealmOptions, realm = new LargeKeycloakRealm()): { realm: LargeKeycloakRealm; users: FakeKcUser[]; groups: FakeKcGroup[] } {
  const random = prng(options.seed ?? 42);
  const saving = realm.adminEventsEnabled;
  realm.adminEventsEnabled = false;
  const users: FakeKcUser[] = new Array(options.users);
  for (let i = 0; i < options.users; i++) {
    const username = `user${pad(i, 6)}`;
    users[i] = realm.addUser({ username, email: `${username}@example.com`, firstName: 'User', lastName: `N${i}` });
  }
  const groups: FakeKcGroup[] = new Array(options.groups);
  for (let g = 0; g < options.groups; g++) groups[g] = realm.addGroup(`group${pad(g, 5)}`);
  const perUser = Math.min(options.groups, Math.floor(options.memberships / Math.max(1, options.users)));
  const extra = options.memberships - perUser * options.users;
  for (let u = 0; u < options.users; u++) {
    const want = Math.min(options.groups, perUser + (u < extra ? 1 : 0));
    const chosen = new Set<number>();
    while (chosen.size < want) chosen.add(Math.floor(random() * options.groups));
    for (const g of chosen) groups[g]!.members.add(users[u]!.id);
  }
  realm.adminEventsEnabled = saving;
  return { realm, users, groups };
}
