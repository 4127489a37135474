import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { GROUP_FILTER_CATALOG, sortColumn, USER_FILTER_CATALOG } from '../../../../src/push/scim/filter/index.js';

const dialect = new PgDialect();
const sortSql = (path: string, catalog = USER_FILTER_CATALOG) => {
  const result = sortColumn(path, catalog, { alias: 'u' });
  if (!result.ok) throw new Error(result.error.message);
  return result.value && dialect.sqlToQuery(result.value).sql;
};

describe('sortColumn maps sortBy (RFC 7644 §3.4.2.3) to a column', () => {
  it('sorts a case-insensitive string by lower(column)', () => {
    expect(sortSql('userName')).toBe('lower("u"."user_name")');
    expect(sortSql('urn:ietf:params:scim:schemas:core:2.0:User:name.familyName')).toBe('lower("u"."family_name")');
    expect(sortSql('displayName', GROUP_FILTER_CATALOG)).toBe('lower("u"."display_name")');
  });

  it('sorts case-exact strings, uuids and dates by the column itself', () => {
    expect(sortSql('externalId')).toBe('"u"."external_id"');
    expect(sortSql('id')).toBe('"u"."id"');
    expect(sortSql('meta.lastModified')).toBe('"u"."updated_at"');
  });

  it('ignores (ok, undefined) a known attribute that is not a column', () => {
    expect(sortColumn('title', USER_FILTER_CATALOG, { alias: 'u' })).toEqual({ ok: true, value: undefined });
    expect(sortColumn('emails.value', USER_FILTER_CATALOG, { alias: 'u' })).toEqual({ ok: true, value: undefined });
  });

  it('answers invalidValue for an unknown or malformed attribute', () => {
    for (const path of ['shoeSize', 'userName desc', 'members']) {
      const result = sortColumn(path, USER_FILTER_CATALOG, { alias: 'u' });
      expect(result).toMatchObject({ ok: false, error: { scimType: 'invalidValue' } });
    }
  });
});
