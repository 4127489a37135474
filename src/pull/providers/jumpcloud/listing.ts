/**
 * JumpCloud's listings, one API page at a time.
 *
 * Users: `GET /api/systemusers?limit&skip&sort=_id&fields` → `{ totalCount,
 * results }`; the listing ends on a short page or once `totalCount` users
 * were read (so a directory of exactly 100 users costs one request, not two).
 * Groups and members (v2): bare arrays; a short page ends paging.
 *
 * Skip paging shifts when a record before the read position is deleted
 * during the listing: the record after the page boundary is then never
 * listed, and a complete-looking snapshot would lose a user who still exists.
 * A falling `totalCount` between two user pages is that deletion: the
 * listing is then refused (a bad-response ProviderError), so the run is
 * incomplete and removes nobody; the next run lists again.
 */
import { ProviderError } from '../types.js';
import type { JumpCloudClient } from './client.js';
import { fieldsFor } from './map.js';
import { memberOfPage, memberPage, systemUser, systemUserCount, systemUserPage, userGroup, userGroupPage, type SystemUser, type UserGroup } from './wire.js';

const enc = encodeURIComponent;

export async function* userPages(client: JumpCloudClient): AsyncGenerator<SystemUser[]> {
  const limit = client.settings.pageSize;
  const fields = fieldsFor(client.settings.mapping, client.settings.source);
  let skip = 0;
  let highest = 0;
  for (;;) {
    const { data } = await client.request(systemUserPage, {
      url: client.apiUrl('/api/systemusers', { limit, skip, sort: '_id', fields }),
      what: 'listing JumpCloud users',
    });
    if (data.totalCount < highest) {
      throw new ProviderError('bad-response', `listing JumpCloud users: users were deleted while the listing was read (${highest} → ${data.totalCount}), so skip paging may have passed over others; the listing is incomplete and the next run reads it again`);
    }
    highest = data.totalCount;
    yield data.results;
    skip += data.results.length;
    if (data.results.length < limit || skip >= data.totalCount) return;
  }
}

/** How many users JumpCloud holds now (one request of one item). */
export async function userCount(client: JumpCloudClient): Promise<number> {
  const { data } = await client.request(systemUserCount, { url: client.apiUrl('/api/systemusers', { limit: 1, skip: 0, fields: '_id' }), what: 'counting JumpCloud users' });
  return data.totalCount;
}

/** Pages of a v2 bare-array listing, ended by a short page. */
async function* v2Pages<T>(client: JumpCloudClient, read: (limit: number, skip: number) => Promise<T[]>): AsyncGenerator<T[]> {
  const limit = client.settings.pageSize;
  for (let skip = 0; ; skip += limit) {
    const page = await read(limit, skip);
    yield page;
    if (page.length < limit) return;
  }
}

export const groupPages = (client: JumpCloudClient): AsyncGenerator<UserGroup[]> =>
  v2Pages(client, async (limit, skip) =>
    (await client.request(userGroupPage, { url: client.apiUrl('/api/v2/usergroups', { limit, skip }), what: 'listing JumpCloud user groups' })).data);

/** Direct members of a user group: user ids (user groups hold users only, and do not nest). */
export const memberPages = (client: JumpCloudClient, groupId: string): AsyncGenerator<string[]> =>
  v2Pages(client, async (limit, skip) => {
    const { data } = await client.request(memberPage, {
      url: client.apiUrl(`/api/v2/usergroups/${enc(groupId)}/members`, { limit, skip }),
      what: `listing members of JumpCloud user group ${groupId}`,
    });
    return data.flatMap((c) => (c.to.type === 'user' ? [c.to.id] : []));
  });

/** The user groups a user is in (`/api/v2/users/{id}/memberof`): ids. */
export const memberOfPages = (client: JumpCloudClient, userId: string): AsyncGenerator<string[]> =>
  v2Pages(client, async (limit, skip) => {
    const { data } = await client.request(memberOfPage, {
      url: client.apiUrl(`/api/v2/users/${enc(userId)}/memberof`, { limit, skip }),
      what: `listing the groups of JumpCloud user ${userId}`,
    });
    return data.flatMap((g) => (g.type === 'user_group' ? [g.id] : []));
  });

/** Null when JumpCloud has no such record (404). */
async function orNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof ProviderError && e.kind === 'not-found') return null;
    throw e;
  }
}

export const getUser = (client: JumpCloudClient, id: string): Promise<SystemUser | null> =>
  orNull(async () => (await client.request(systemUser, {
    url: client.apiUrl(`/api/systemusers/${enc(id)}`, { fields: fieldsFor(client.settings.mapping, client.settings.source) }),
    what: `reading JumpCloud user ${id}`,
  })).data);

export const getGroup = (client: JumpCloudClient, id: string): Promise<UserGroup | null> =>
  orNull(async () => (await client.request(userGroup, { url: client.apiUrl(`/api/v2/usergroups/${enc(id)}`), what: `reading JumpCloud user group ${id}` })).data);

/** Users whose `field` equals `value` exactly (`POST /api/search/systemusers`, filter), at most two: a caller wants one. */
export async function findUsers(client: JumpCloudClient, field: string, value: string): Promise<SystemUser[]> {
  const { data } = await client.request(systemUserPage, {
    method: 'POST',
    // Paging in the query, as on every v1 listing; the filter (and fields) in the body, as the search routes take them.
    url: client.apiUrl('/api/search/systemusers', { limit: 2, skip: 0 }),
    body: { filter: { and: [{ [field]: value }] }, fields: fieldsFor(client.settings.mapping, client.settings.source) },
    what: `looking up the JumpCloud user with ${field} ${value}`,
  });
  return data.results;
}
