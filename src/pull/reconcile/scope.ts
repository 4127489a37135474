/**
 * The connection's scope filter: only members (flattened) of the named
 * groups, minus users whose email matches an excluded pattern. A user out of
 * scope is, to the reconciler, a user absent from the directory.
 */

export interface ScopeSettings {
  /** Group external ids or display names (display names compare case-insensitively). */
  groups?: string[] | undefined;
  /** Globs: `*` any run of characters, `?` one character; case-insensitive. */
  excludeEmailPatterns?: string[] | undefined;
}

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export interface ScopeFilter {
  /** Whether scope names groups at all (otherwise every user is in scope but for exclusions). */
  byGroup: boolean;
  /** External ids of the scope groups found in the directory. */
  groupIds: string[];
  /** Scope group references that matched no group (reported, never fatal). */
  unmatched: string[];
  excludesEmail(email: string | null | undefined): boolean;
  /** The excluded pattern the email matches (as configured), if any: the reason the log gives. */
  excludedBy(email: string | null | undefined): string | undefined;
}

export function createScopeFilter(scope: ScopeSettings | undefined, groups: Iterable<[externalId: string, displayName: string]>): ScopeFilter {
  const globs = scope?.excludeEmailPatterns ?? [];
  const patterns = globs.map(globToRegExp);
  const refs = scope?.groups ?? [];
  const groupIds = new Set<string>();
  const matched = new Set<string>();
  if (refs.length) {
    const byId = new Set(refs);
    const byName = new Set(refs.map((r) => r.toLowerCase()));
    for (const [id, name] of groups) {
      if (byId.has(id)) {
        groupIds.add(id);
        matched.add(id);
      } else if (byName.has(name.toLowerCase())) {
        groupIds.add(id);
        matched.add(name.toLowerCase());
      }
    }
  }
  return {
    byGroup: refs.length > 0,
    groupIds: [...groupIds],
    unmatched: refs.filter((r) => !matched.has(r) && !matched.has(r.toLowerCase())),
    excludesEmail: (email) => !!email && patterns.some((p) => p.test(email)),
    excludedBy: (email) => {
      if (!email) return undefined;
      const i = patterns.findIndex((p) => p.test(email));
      return i < 0 ? undefined : globs[i];
    },
  };
}
