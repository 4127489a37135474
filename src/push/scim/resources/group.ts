/** The SCIM Group resource (RFC 7643 §4.2). Members are users of the same connection. */
import { overLimit } from '../../../core/input/index.js';
import type { ScimGroupRow } from '../../../core/store/index.js';
import { fail, ok, scimErrors, type Result } from '../errors.js';
import { CORE_GROUP_SCHEMA, metaOf, withoutNulls } from './common.js';

/** A stored group as SCIM renders it (the store's raw row with its version). */
export type GroupRowForScim = ScimGroupRow;

export interface GroupMember {
  value: string;
  display: string | null;
  location: string;
}

/** `members` undefined = not requested (excludedAttributes=members): the key is left out entirely. */
export function renderGroup(row: GroupRowForScim, members: GroupMember[] | undefined, location: string): Record<string, unknown> {
  return withoutNulls({
    schemas: [CORE_GROUP_SCHEMA],
    id: row.id,
    externalId: row.external_id,
    ...(row.profile ?? {}),
    displayName: row.display_name,
    members: members?.map((m) => ({ value: m.value, display: m.display, $ref: m.location, type: 'User' })),
    meta: metaOf('Group', row, location),
  });
}

export interface ParsedGroup {
  displayName: string;
  externalId: string | null;
  /** Member ids as sent; the caller keeps the ones that name users of the connection. */
  memberIds: string[];
  /** The `display` (or `displayName`) sent with a member, by id. */
  memberDisplays: Record<string, string>;
  profile: Record<string, unknown> | null;
}

const NOT_STORED = new Set(['schemas', 'id', 'meta', 'displayname', 'externalid', 'members']);

export function parseGroup(input: unknown): Result<ParsedGroup> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return fail(scimErrors.invalidSyntax('the request body must be a SCIM Group object'));
  }
  const body = input as Record<string, unknown>;
  const get = (name: string) => body[Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase()) ?? ''];
  const displayName = get('displayName');
  if (typeof displayName !== 'string' || displayName.trim() === '') return fail(scimErrors.invalidValue('"displayName" is required'));
  const externalId = get('externalId');
  if (externalId !== undefined && externalId !== null && typeof externalId !== 'string') {
    return fail(scimErrors.invalidValue('"externalId" must be a string'));
  }
  const tooLong = overLimit('groupDisplayName', displayName.trim(), 'displayName') ?? overLimit('externalId', externalId as string | null | undefined);
  if (tooLong) return fail(scimErrors.invalidValue(tooLong));
  const members = get('members') ?? [];
  if (!Array.isArray(members)) return fail(scimErrors.invalidValue('"members" must be an array'));
  const memberIds: string[] = [];
  const memberDisplays: Record<string, string> = {};
  for (const m of members) {
    const member = (typeof m === 'string' ? { value: m } : m) as { value?: unknown; display?: unknown; displayName?: unknown } | null;
    const value = member?.value;
    if (typeof value !== 'string' || value === '') return fail(scimErrors.invalidValue('each member needs a "value" (the user id)'));
    memberIds.push(value);
    const display = member?.display ?? member?.displayName;
    if (typeof display === 'string' && display !== '') memberDisplays[value] = display;
  }
  const profile: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!NOT_STORED.has(key.toLowerCase()) && value !== null && value !== undefined) profile[key] = value;
  }
  return ok({
    displayName: displayName.trim(),
    externalId: (externalId as string | null | undefined) || null,
    memberIds: [...new Set(memberIds)],
    memberDisplays,
    profile: Object.keys(profile).length ? profile : null,
  });
}
