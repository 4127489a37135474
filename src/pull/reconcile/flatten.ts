/**
 * Nested groups flattened: a user in a child group is a member of every
 * ancestor. Cycles happen in real directories (Entra and Okta allow them
 * through nesting chains), so each walk keeps its own visited set.
 */

export interface GroupEdges {
  /** Direct user members by group external id. */
  users: ReadonlyMap<string, ReadonlySet<string>>;
  /** Direct child groups by group external id. */
  children: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Every user of `group`, directly or through any depth of nesting. */
export function flattenGroup(edges: GroupEdges, group: string): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>([group]);
  const queue = [group];
  while (queue.length) {
    const g = queue.pop()!;
    for (const u of edges.users.get(g) ?? []) out.add(u);
    for (const c of edges.children.get(g) ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        queue.push(c);
      }
    }
  }
  return out;
}

/** Flattened members of each of `groups`. */
export function flattenAll(edges: GroupEdges, groups: Iterable<string>): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  const empty: ReadonlySet<string> = new Set();
  for (const g of groups) {
    // A group without child groups needs no walk, nor a copy (memory: 500k memberships).
    const children = edges.children.get(g);
    out.set(g, children && children.size ? flattenGroup(edges, g) : (edges.users.get(g) ?? empty));
  }
  return out;
}
