/**
 * Longest values Roster stores in its indexed text columns, in characters.
 *
 * A btree index entry must fit in a third of a page (2,704 bytes with 8 kB
 * pages): a longer userName, email, externalId or group displayName would
 * fail at insert, as a 500 on SCIM or the API and as a failed run on a sync.
 * The caps keep every such value below that in the worst case (4 UTF-8 bytes
 * a character, before `lower()`), with room to spare; they are far above any
 * real directory's values (Entra UPNs stop at 113 characters, emails at 254).
 * A user's displayName is not indexed: its cap only keeps rows sane.
 */
export const FIELD_LIMITS = {
  userName: 512,
  email: 512,
  externalId: 512,
  /** A user's displayName (not indexed). */
  displayName: 1024,
  /** A group's displayName (indexed, case-insensitively). */
  groupDisplayName: 512,
} as const;

export type LimitedField = keyof typeof FIELD_LIMITS;

/** The message for a value over its field's cap, or undefined when it fits (null and undefined fit). */
export function overLimit(field: LimitedField, value: string | null | undefined, label: string = field): string | undefined {
  if (typeof value !== 'string') return undefined;
  const max = FIELD_LIMITS[field];
  return value.length > max ? `"${label}" is ${value.length} characters long; at most ${max} are accepted` : undefined;
}
