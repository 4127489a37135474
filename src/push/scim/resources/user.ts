/**
 * The SCIM User resource (RFC 7643 §4.1, enterprise extension §4.3) and how
 * it maps onto a stored user: core fields live in columns (indexed, used by
 * sync and the lifecycle rules), everything else in `profile` as SCIM JSON.
 */
import { overLimit } from '../../../core/input/index.js';
import type { UserAttributes } from '../../../core/lifecycle/index.js';
import type { ScimUserRow } from '../../../core/store/index.js';
import { fail, ok, scimErrors, type Result } from '../errors.js';
import { CORE_USER_SCHEMA, CUSTOM_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, metaOf, withoutNulls } from './common.js';

export type ScimUser = Record<string, unknown> & { id: string; userName: string };

/** A stored user as SCIM renders it (the store's raw row with its version). */
export type UserRowForScim = ScimUserRow;

/** Attributes a client may send that are not kept: read-only or write-only (RFC 7643 §7). */
// The custom extension is computed by the connection's expressions: what a client sends back of it is not kept.
const NOT_STORED = new Set(['schemas', 'id', 'meta', 'password', 'groups', 'username', 'externalid', 'active', 'displayname', CUSTOM_USER_SCHEMA.toLowerCase()]);

export function renderUser(row: UserRowForScim, location: string): ScimUser {
  const profile = row.profile ?? {};
  const name = { ...(profile.name as Record<string, unknown> | undefined), givenName: row.given_name, familyName: row.family_name };
  const emails =
    profile.emails ?? (row.email ? [{ value: row.email, type: 'work', primary: true }] : undefined);
  const schemas = [CORE_USER_SCHEMA];
  if (profile[ENTERPRISE_USER_SCHEMA]) schemas.push(ENTERPRISE_USER_SCHEMA);
  const custom = row.custom_attributes && Object.keys(row.custom_attributes).length ? row.custom_attributes : null;
  if (custom) schemas.push(CUSTOM_USER_SCHEMA);
  return withoutNulls({
    schemas,
    id: row.id,
    externalId: row.external_id,
    userName: row.user_name,
    ...profile,
    name,
    displayName: row.display_name,
    emails,
    active: row.active,
    ...(custom ? { [CUSTOM_USER_SCHEMA]: custom } : {}),
    meta: metaOf('User', row, location),
  }) as ScimUser;
}

/** SCIM booleans as some IdPs send them: Entra sends "True"/"False" strings. */
export function scimBoolean(value: unknown, attribute: string): Result<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return ok(value.trim().toLowerCase() === 'true');
  return fail(scimErrors.invalidValue(`"${attribute}" must be a boolean`));
}

function optionalString(body: Record<string, unknown>, key: string): Result<string | null> {
  const value = body[key];
  if (value === undefined || value === null || value === '') return ok(null);
  if (typeof value !== 'string') return fail(scimErrors.invalidValue(`"${key}" must be a string`));
  return ok(value);
}

/** Find a key case-insensitively (RFC 7643 §2.1: attribute names are case-insensitive). */
function pick(body: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

/**
 * Entra, in one of its documented modes, sends the manager at the core level:
 * `"manager": {"value": "<id>"}` or `"manager": "<id>"`. It is the enterprise
 * extension's manager (RFC 7643 §4.3), kept there only, so that reading and
 * filtering find it in one place. A manager sent inside the extension wins.
 */
function moveCoreManager(profile: Record<string, unknown>): Result<void> {
  const key = Object.keys(profile).find((k) => k.toLowerCase() === 'manager');
  if (key === undefined) return ok(undefined);
  const raw = profile[key];
  delete profile[key];
  const fields = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : { value: raw };
  const value = pick(fields, 'value');
  if (value === undefined || value === null || value === '') return ok(undefined);
  if (typeof value !== 'string') return fail(scimErrors.invalidValue('"manager" must be a user id, or {"value": "<user id>"}'));
  const extensionKey = Object.keys(profile).find((k) => k.toLowerCase() === ENTERPRISE_USER_SCHEMA.toLowerCase()) ?? ENTERPRISE_USER_SCHEMA;
  const extension = profile[extensionKey];
  if (extension !== undefined && (typeof extension !== 'object' || extension === null || Array.isArray(extension))) {
    return fail(scimErrors.invalidValue(`"${ENTERPRISE_USER_SCHEMA}" must be an object`));
  }
  const current = (extension ?? {}) as Record<string, unknown>;
  if (pick(current, 'manager') !== undefined) return ok(undefined);
  profile[extensionKey] = { ...current, manager: { value } };
  return ok(undefined);
}

export interface ParsedUser {
  externalId: string | null;
  /** As sent; true when the body left it out (a new user is active). */
  active: boolean;
  /**
   * Whether the body said `active`. RFC 7643 does not require it, so a PUT
   * that leaves it out does not change the user's state: a leaver is never
   * reactivated by an IdP that omits it.
   */
  activeSent: boolean;
  attributes: Required<Pick<UserAttributes, 'userName'>> & Omit<UserAttributes, 'userName'>;
}

/**
 * A full User from a POST or PUT body (or the result of a PATCH). Unknown
 * attributes are kept in the profile as sent; read-only ones are ignored.
 */
export function parseUser(input: unknown): Result<ParsedUser> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return fail(scimErrors.invalidSyntax('the request body must be a SCIM User object'));
  }
  const body = input as Record<string, unknown>;
  const userName = pick(body, 'userName');
  if (typeof userName !== 'string' || userName.trim() === '') return fail(scimErrors.invalidValue('"userName" is required'));
  const active = pick(body, 'active');
  const activeResult = active === undefined || active === null ? ok(true) : scimBoolean(active, 'active');
  if (!activeResult.ok) return activeResult;
  const externalId = optionalString({ externalId: pick(body, 'externalId') }, 'externalId');
  if (!externalId.ok) return externalId;
  const displayName = optionalString({ displayName: pick(body, 'displayName') }, 'displayName');
  if (!displayName.ok) return displayName;

  const profile: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (NOT_STORED.has(key.toLowerCase()) || value === null || value === undefined) continue;
    profile[key] = value;
  }
  const manager = moveCoreManager(profile);
  if (!manager.ok) return manager;
  const name = (pick(body, 'name') ?? null) as Record<string, unknown> | null;
  if (name !== null && (typeof name !== 'object' || Array.isArray(name))) return fail(scimErrors.invalidValue('"name" must be an object'));
  const emails = pick(body, 'emails');
  if (emails !== undefined && emails !== null && !Array.isArray(emails)) return fail(scimErrors.invalidValue('"emails" must be an array'));
  const emailList = (emails ?? []) as Array<Record<string, unknown>>;
  const primaryEmail = emailList.find((e) => e?.primary === true) ?? emailList.find((e) => e?.type === 'work') ?? emailList[0];
  const nameField = (k: string) => {
    const v = name ? pick(name, k) : undefined;
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const email = typeof primaryEmail?.value === 'string' ? primaryEmail.value : null;
  const tooLong =
    overLimit('userName', userName, 'userName') ??
    overLimit('externalId', externalId.value) ??
    overLimit('email', email, 'emails.value') ??
    overLimit('displayName', displayName.value);
  if (tooLong) return fail(scimErrors.invalidValue(tooLong));
  return ok({
    externalId: externalId.value,
    active: activeResult.value,
    activeSent: active !== undefined && active !== null,
    attributes: {
      userName: userName.trim(),
      displayName: displayName.value,
      givenName: nameField('givenName'),
      familyName: nameField('familyName'),
      email,
      profile: Object.keys(profile).length ? profile : null,
    },
  });
}
