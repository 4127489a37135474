/**
 * How the fake's resources look on the wire: Google's error body, a list
 * page, a user in its projection, an etag.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users
 *
 * No vitest imports: the benchmark and `roster demo` serve through this.
 */
import type { FakeUser } from './directory.js';

/** The error shape of Google APIs (JSON error body with `errors[].reason`). */
export function googleError(code: number, reason: string, message: string, status: string) {
  return { error: { code, message, errors: [{ message, domain: reason.endsWith('Exceeded') ? 'usageLimits' : 'global', reason }], status } };
}

/** A list page: the array is absent when empty, `nextPageToken` only when more follow. */
export function page(kind: string, field: string, items: unknown[], nextPageToken: string | null) {
  return { kind, etag: etag(String(items.length)), ...(items.length ? { [field]: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) };
}

/**
 * A user as users.get / users.list return it. `projection` (default basic)
 * decides the custom fields: basic none, custom the schemas named in
 * customFieldMask, full all of them (users.list, query parameter `projection`).
 */
export function userJson(u: FakeUser, params: URLSearchParams) {
  const { customSchemas, ...rest } = u;
  const projection = params.get('projection') ?? 'basic';
  let custom: Record<string, unknown> | undefined;
  if (customSchemas && typeof customSchemas === 'object') {
    if (projection === 'full') custom = customSchemas as Record<string, unknown>;
    else if (projection === 'custom') {
      const mask = new Set((params.get('customFieldMask') ?? '').split(',').map((s) => s.trim()));
      custom = Object.fromEntries(Object.entries(customSchemas).filter(([schema]) => mask.has(schema)));
    }
  }
  return { kind: 'admin#directory#user', etag: etag(u.id), ...rest, ...(custom && Object.keys(custom).length ? { customSchemas: custom } : {}) };
}

export function etag(seed: string): string {
  return `"fake-${seed}"`;
}
