/**
 * userName collisions (pure). A userName is unique within a tenant,
 * case-insensitively, whatever connection its user came from: a user of
 * connection B may want a name a user of connection A holds, or two users of
 * one listing may map to the same name. Such a user is held back (not
 * created, not renamed), everything else applies, and the run says so
 * (`partial`); the cursor then stays where it was, so the next run tries
 * again and the user appears once the other holder lets go of the name.
 *
 * Why detect before applying rather than retry a failed batch without its
 * offending rows: the lifecycle layer stays all-or-nothing per batch and
 * tells only the *first* conflict of a batch, so a retry loop would cost one
 * rolled-back batch per colliding user (a second connection arriving with
 * 5,000 overlapping users would roll back 5,000 times). The reconciler
 * instead asks the store once for the holders of every name the plan claims
 * (store.ts, findUserNameHolders: one indexed query per 10k names) and
 * decides here. A name taken between that query and the apply (a SCIM push
 * racing the sync) is still caught when applied: that chunk is applied again
 * without the user (apply-plan.ts), so a rare race costs a few rollbacks,
 * never the run.
 *
 * Names are compared by the key the unique index compares: Postgres
 * `lower()`, asked of the database with the holders. JavaScript's
 * toLowerCase folds some letters differently (`İ` becomes `i` plus a
 * combining dot there, a plain `i` in Postgres), and a key computed here
 * would let two names the index calls one through to the apply.
 */
import type { ChangeOf, LifecycleChange } from '../../core/lifecycle/index.js';

/** A stored user holding a userName. */
export interface NameHolder {
  userId: string;
  userName: string;
  /** `tenant/connection` of the holder. */
  connection: string;
}

export interface UserNameConflict {
  /** The IdP id of the user held back (or its stored id, for a rename). */
  user: string;
  userName: string;
  /** The stored user's id, for a rename held back (a create has none yet). */
  userId?: string;
  /**
   * Who holds the name: a stored user's connection, another user of this
   * listing, or (found only when applied) the database's refusal.
   */
  heldBy: { connection: string } | { listing: string } | { applying: string };
}

export interface Admission {
  /** The changes to apply: colliding creates left out, colliding renames without their new userName. */
  changes: LifecycleChange[];
  /** Ids of the users not created: their memberships are not drawn either. */
  notCreated: Set<string>;
  conflicts: UserNameConflict[];
}

/** What the store says about the claimed names. */
export interface NameLookup {
  /** Each claimed userName (as given) to the database's lower() of it: the key the unique index compares. */
  keys: ReadonlyMap<string, string>;
  /** Who holds each key. */
  holders: ReadonlyMap<string, NameHolder>;
}

/** The userNames the changes create or set, as given (the names to look up). */
export function claimedUserNames(changes: LifecycleChange[]): string[] {
  const names = new Set<string>();
  for (const c of changes) {
    if (c.kind === 'user.create') names.add(c.attributes.userName);
    else if (c.kind === 'user.update' && typeof c.attributes.userName === 'string') names.add(c.attributes.userName);
  }
  return [...names];
}

/**
 * Admit the claims in apply order. A name is free when nobody holds it, when
 * its holder is the very user claiming it (a case change, or an update that
 * keeps the name), or when a delete applied *before* the claim removes its
 * holder (the plan puts the delete of a deleted-and-recreated user first).
 * A holder renamed away in the same run does not free the name in time (one
 * UPDATE statement checks the unique index row by row): the claim waits a run.
 * `listedEarlier`: users of this listing already stored, by id (their external ids).
 */
export function admitUserNames(changes: LifecycleChange[], lookup: NameLookup, listedEarlier: ReadonlyMap<string, string> = new Map()): Admission {
  const { keys, holders } = lookup;
  // Every claimed name was looked up; the fallback only keeps a caller's mistake from passing silently as "free".
  const key = (userName: string) => keys.get(userName) ?? userName.toLowerCase();
  const deleted = new Set<string>();
  const claimedBy = new Map<string, string>();
  const conflicts: UserNameConflict[] = [];
  const notCreated = new Set<string>();
  const out: LifecycleChange[] = [];
  const takenBy = (name: string, self: string | null): UserNameConflict['heldBy'] | null => {
    const other = claimedBy.get(name);
    if (other !== undefined) return { listing: other };
    const holder = holders.get(name);
    if (!holder || holder.userId === self || deleted.has(holder.userId)) return null;
    // A holder this run created while listing (early-creates.ts) was claimed in this listing.
    const listed = listedEarlier.get(holder.userId);
    return listed !== undefined ? { listing: listed } : { connection: holder.connection };
  };
  for (const c of changes) {
    if (c.kind === 'user.delete') deleted.add(c.userId);
    if (c.kind === 'user.create') {
      const name = key(c.attributes.userName);
      const who = c.externalId ?? c.attributes.userName;
      const heldBy = takenBy(name, null);
      if (heldBy) {
        conflicts.push({ user: who, userName: c.attributes.userName, heldBy });
        if (c.id) notCreated.add(c.id);
        continue;
      }
      claimedBy.set(name, who);
    } else if (c.kind === 'user.update' && typeof c.attributes.userName === 'string') {
      const name = key(c.attributes.userName);
      const heldBy = takenBy(name, c.userId);
      if (heldBy) {
        conflicts.push({ user: c.userId, userId: c.userId, userName: c.attributes.userName, heldBy });
        out.push(withoutRename(c));
        continue;
      }
      claimedBy.set(name, c.userId);
    }
    out.push(c);
  }
  return { changes: conflicts.length ? out : changes, notCreated, conflicts };
}

/**
 * The rest of the update still applies; without the source hash, so the
 * stored hash stays the old one and the next run plans the rename again.
 */
export function withoutRename(c: ChangeOf<'user.update'>): ChangeOf<'user.update'> {
  const { userName: _held, ...attributes } = c.attributes;
  return { kind: 'user.update', userId: c.userId, attributes };
}

/** Who holds the name, in words (the report's line and the provisioning log's reason). */
export function heldByWords(c: UserNameConflict): string {
  return 'connection' in c.heldBy
    ? `held by a user of ${c.heldBy.connection}`
    : 'listing' in c.heldBy
      ? `also claimed by ${c.heldBy.listing} in this listing`
      : `refused when applied: ${c.heldBy.applying}`;
}

/** One line for the run's report: how many, the first few names, who holds them. */
export function describeConflicts(conflicts: UserNameConflict[], shown = 5): string {
  const first = conflicts.slice(0, shown).map((c) => `"${c.userName}" (${heldByWords(c)})`);
  const more = conflicts.length > shown ? ` and ${conflicts.length - shown} more` : '';
  return (
    `${conflicts.length} user(s) not created or renamed because their userName is taken: ${first.join(', ')}${more}; ` +
    'they are tried again on the next run'
  );
}
