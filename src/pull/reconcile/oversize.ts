import { overLimit } from '../../core/input/limits.js';
import type { DirectoryUser } from '../providers/types.js';

/**
 * Records with a value longer than Roster stores (src/core/input/limits.ts: past
 * it, the index insert fails and the whole apply with it). Such a record is
 * held back, never the run: a new one is not created, a stored one keeps its
 * stored attributes (and, without the new source hash, is planned again next
 * run). The report's warnings name the first few.
 */
export class HeldBack {
  readonly groups = new Set<string>();
  /** Each record held back and why, for the provisioning log (values cut short: they may be the oversize ones). */
  readonly held: HeldRecord[] = [];
  private readonly users: string[] = [];
  private readonly groupNotes: string[] = [];
  private readonly userNotes: string[] = [];

  user(r: DirectoryUser): boolean {
    const why = oversizeUser(r);
    if (!why) return false;
    this.users.push(r.externalId);
    this.held.push({ entityType: 'user', externalId: shortId(r.externalId), name: shortId(r.userName), reason: why });
    if (this.userNotes.length < SHOWN) this.userNotes.push(`"${shortId(r.externalId)}" (${why})`);
    return true;
  }

  group(externalId: string, displayName: string): boolean {
    const why = oversizeGroup(externalId, displayName);
    if (!why) return false;
    this.groups.add(externalId);
    this.held.push({ entityType: 'group', externalId: shortId(externalId), name: shortId(displayName), reason: why });
    if (this.groupNotes.length < SHOWN) this.groupNotes.push(`"${shortId(externalId)}" (${why})`);
    return true;
  }

  warnings(): string[] {
    const line = (n: number, what: string, notes: string[]) =>
      `${n} ${what}(s) held back, not created or updated, because a value is longer than Roster stores: ${notes.join(', ')}${n > notes.length ? ` and ${n - notes.length} more` : ''}`;
    const out: string[] = [];
    if (this.users.length) out.push(line(this.users.length, 'user', this.userNotes));
    if (this.groups.size) out.push(line(this.groups.size, 'group', this.groupNotes));
    return out;
  }
}

/** Why a user's record cannot be stored as it is, or undefined when it can. */
export function oversizeUser(r: DirectoryUser): string | undefined {
  return overLimit('userName', r.userName) ?? overLimit('email', r.email) ?? overLimit('externalId', r.externalId) ?? overLimit('displayName', r.displayName);
}

/** Why a group cannot be stored as it is, or undefined when it can. */
export function oversizeGroup(externalId: string, displayName: string): string | undefined {
  return overLimit('groupDisplayName', displayName, 'displayName') ?? overLimit('externalId', externalId);
}

export interface HeldRecord {
  entityType: 'user' | 'group';
  externalId: string;
  /** userName or display name. */
  name: string;
  reason: string;
}

const SHOWN = 3;
/** An IdP id in a warning, cut short: it may itself be the oversize value. */
const shortId = (id: string) => (id.length > 64 ? `${id.slice(0, 64)}…` : id);
