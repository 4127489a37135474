/**
 * JumpCloud's wire shapes (zod), as IDP-NOTES "JumpCloud" records them. Loose
 * objects: JumpCloud adds fields over time, and a mapped attribute may be any
 * top-level field of a system user. Only what the provider reads is checked.
 */
import { z } from 'zod';

const optionalText = z.string().nullish();

/** A v1 system user (`GET /api/systemusers`, `/api/systemusers/{id}`, `POST /api/search/systemusers`). */
export const systemUser = z.looseObject({
  _id: z.string().min(1),
  username: z.string().min(1),
  email: optionalText,
  firstname: optionalText,
  lastname: optionalText,
  displayname: optionalText,
  /** STAGED | ACTIVATED | SUSPENDED (absent on old records: `activated`/`suspended` then say). */
  state: optionalText,
  activated: z.boolean().nullish(),
  suspended: z.boolean().nullish(),
  account_locked: z.boolean().nullish(),
});
export type SystemUser = z.infer<typeof systemUser>;

/** v1 listings: `{ totalCount, results }`. */
export const systemUserPage = z.looseObject({ totalCount: z.number().int().min(0), results: z.array(systemUser) });
/** A v1 listing asked only for `fields=_id` (a count, a probe): the records hold nothing else. */
export const systemUserCount = z.looseObject({ totalCount: z.number().int().min(0), results: z.array(z.looseObject({ _id: z.string() })) });

/** A v2 user group (`GET /api/v2/usergroups`, a bare array, and `/api/v2/usergroups/{id}`). */
export const userGroup = z.looseObject({ id: z.string().min(1), name: z.string(), description: optionalText, type: optionalText });
export type UserGroup = z.infer<typeof userGroup>;
export const userGroupPage = z.array(userGroup);

/** A graph connection of `GET /api/v2/usergroups/{id}/members`: `to` is the member. */
export const memberPage = z.array(z.looseObject({ to: z.looseObject({ id: z.string().min(1), type: z.string() }) }));

/** `GET /api/v2/users/{id}/memberof`: the groups a user is in. */
export const memberOfPage = z.array(z.looseObject({ id: z.string().min(1), type: z.string() }));

const objectRef = z.looseObject({ object_id: z.string().nullish(), type: z.string().nullish() });

/**
 * A Directory Insights event (`POST {insights}/events`). `resource` names what
 * changed; `association` the two ends of an association_change.
 */
export const insightsEvent = z.looseObject({
  id: z.string().nullish(),
  event_type: z.string(),
  timestamp: z.string().nullish(),
  success: z.boolean().nullish(),
  resource: z.looseObject({ id: z.string().nullish(), type: z.string().nullish() }).nullish(),
  association: z
    .looseObject({ op: z.string().nullish(), connection: z.looseObject({ from: objectRef.nullish(), to: objectRef.nullish() }).nullish() })
    .nullish(),
});
export type InsightsEvent = z.infer<typeof insightsEvent>;
export const insightsPage = z.array(insightsEvent);
