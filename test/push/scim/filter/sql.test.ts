/**
 * SCIM filters evaluated in SQL against a small fixture, on the backend this
 * run selects (PGlite, or Postgres when DATABASE_URL is set). Each case checks
 * the exact resources a filter returns, including the request shapes Entra,
 * Okta and JumpCloud send.
 */
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges, type Actor, type LifecycleChange } from '../../../../src/core/lifecycle/index.js';
import {
  filterToSql,
  GROUP_FILTER_CATALOG,
  parseScimFilter,
  USER_FILTER_CATALOG,
  type FilterCatalog,
} from '../../../../src/push/scim/filter/index.js';
import { queryRows } from '../../../../src/core/store/index.js';
import { groupCreate, makeConnection, makeTenant, userCreate } from '../../../support/factories.js';
import { createTestStore, type TestStore } from '../../../support/store.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const actor: Actor = { type: 'scim', id: 'filter-test' };
let store: TestStore;
let tenantId: string;
let connectionId: string;
/** Fixture key (u1…u8, g1…g3) → id, and back. */
const ids: Record<string, string> = {};
const keyOf = new Map<string, string>();

type UserSpec = { userName: string; email: string | null; externalId?: string | null; active?: boolean; given?: string; profile?: Record<string, unknown> | null };

const userSpecs = (): Record<string, UserSpec> => ({
  u1: {
    userName: 'Alice.Smith@Example.com',
    email: 'alice@example.com',
    externalId: 'ext-A1',
    given: 'Alice',
    profile: {
      emails: [
        { value: 'alice@example.com', type: 'work', primary: true },
        { value: 'alice@home.test', type: 'home' },
      ],
      title: 'Engineer',
      userType: 'Employee',
      [ENTERPRISE]: { employeeNumber: '7', department: 'R&D', manager: { value: ids.u2 } },
    },
  },
  u2: {
    userName: 'bob@example.com',
    email: 'bob@example.com',
    externalId: 'ext-B2',
    profile: { emails: [{ value: 'bob@example.com', type: 'work', primary: true }], title: 'Manager', [ENTERPRISE]: { employeeNumber: '8' } },
  },
  u3: { userName: 'carol@other.test', email: 'carol@other.test', active: false, profile: { emails: [{ value: 'carol@other.test', type: 'work' }], title: '' } },
  // E-mail only in the profile; `primary` as the string "True", as some IdPs send it.
  u4: { userName: 'dave@example.com', email: null, profile: { emails: [{ value: 'dave.work@corp.test', type: 'work', primary: 'True' }] } },
  // LIKE metacharacters in the data.
  u5: { userName: 'erin_100%@example.com', email: 'erin_100%@example.com', active: false, profile: null },
  // A profile whose `emails` is not an array must not break jsonb_array_elements.
  u6: { userName: 'frank@example.com', email: 'FRANK@EXAMPLE.COM', profile: { emails: 'not-an-array', title: 'Engineer' } },
  u7: { userName: 'grace@example.com', email: 'grace@example.com', externalId: 'EXT-G7', profile: { phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }], title: null } },
  u8: { userName: 'heidi\\x@example.com', email: null, externalId: null, profile: { [ENTERPRISE]: { employeeNumber: '70' } } },
});

beforeAll(async () => {
  store = await createTestStore();
  tenantId = (await makeTenant(store.db)).id;
  connectionId = (await makeConnection(store.db, tenantId)).id;
  for (const key of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'g1', 'g2', 'g3']) ids[key] = randomUUID();
  for (const [key, id] of Object.entries(ids)) keyOf.set(id, key);

  const changes: LifecycleChange[] = Object.entries(userSpecs()).map(([key, spec], i) =>
    userCreate(connectionId, i + 1, {
      id: ids[key]!,
      externalId: spec.externalId === undefined ? `ext-${i + 1}` : spec.externalId,
      active: spec.active ?? true,
      attributes: { userName: spec.userName, email: spec.email, displayName: `${spec.given ?? key} Smith`, givenName: spec.given ?? key, familyName: 'Smith', profile: spec.profile ?? null },
    }),
  );
  changes.push(
    groupCreate(connectionId, 'Engineering', { id: ids.g1! }),
    groupCreate(connectionId, 'Admins', { id: ids.g2! }),
    groupCreate(connectionId, 'Empty', { id: ids.g3! }),
    ...(['u1', 'u2', 'u6'] as const).map((u): LifecycleChange => ({ kind: 'membership.add', groupId: ids.g1!, userId: ids[u]! })),
    { kind: 'membership.add', groupId: ids.g2!, userId: ids.u2! },
  );
  await applyChanges(store.db, { tenantId, actor }, changes);
  // u1 … u8 last modified on 2024-01-01 … 2024-01-08.
  for (let n = 1; n <= 8; n++) {
    await store.db.execute(sql`update users set updated_at = ${`2024-01-0${n}T00:00:00Z`}::timestamptz where id = ${ids[`u${n}`]!}::uuid`);
  }
  // Another tenant with a user of the same userName: the caller's tenant/connection condition keeps it out.
  const otherTenant = (await makeTenant(store.db)).id;
  const otherConnection = (await makeConnection(store.db, otherTenant)).id;
  await applyChanges(store.db, { tenantId: otherTenant, actor }, [
    userCreate(otherConnection, 1, { attributes: { userName: 'alice.smith@example.com' } }),
  ]);
});
afterAll(() => store.close());

function condition(filter: string, catalog: FilterCatalog, alias: string): SQL {
  const parsed = parseScimFilter(filter);
  if (!parsed.ok) throw new Error(`parse failed: ${parsed.error.message}`);
  const translated = filterToSql(parsed.value, catalog, { alias });
  if (!translated.ok) throw new Error(`translation failed: ${translated.error.message}`);
  return translated.value;
}

/** Keys of the users the filter selects, as a caller would run it (scoped to tenant and connection). */
async function users(filter: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    store.db,
    sql`select u.id::text as id from users u where u.tenant_id = ${tenantId} and u.connection_id = ${connectionId} and ${condition(filter, USER_FILTER_CATALOG, 'u')}`,
  );
  return rows.map((r) => keyOf.get(r.id) ?? r.id).sort();
}

async function groups(filter: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    store.db,
    sql`select g.id::text as id from groups g where g.tenant_id = ${tenantId} and g.connection_id = ${connectionId} and ${condition(filter, GROUP_FILTER_CATALOG, 'g')}`,
  );
  return rows.map((r) => keyOf.get(r.id) ?? r.id).sort();
}

const ALL = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'];
const except = (...keys: string[]) => ALL.filter((k) => !keys.includes(k));

describe('User filters in the shapes IdPs send', () => {
  const cases: Array<[string, () => string, string[]]> = [
    ['Entra/Okta: userName eq matches case-insensitively', () => 'userName eq "alice.smith@example.com"', ['u1']],
    ['operator and attribute names are case-insensitive', () => 'USERNAME EQ "ALICE.SMITH@EXAMPLE.COM"', ['u1']],
    ['the core schema URN prefix is accepted', () => 'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com"', ['u2']],
    ["Entra's Test Connection (userName eq a random guid) matches nothing", () => `userName eq "${randomUUID()}"`, []],
    ['externalId eq matches exactly', () => 'externalId eq "ext-A1"', ['u1']],
    ['externalId is case-exact', () => 'externalId eq "ext-g7"', []],
    ['externalId ne includes users without one', () => 'externalId ne "EXT-G7"', except('u7')],
    ['id eq matches the uuid', () => `id eq "${ids.u3}"`, ['u3']],
    ['id eq with a non-uuid matches nothing (and does not fail)', () => 'id eq "not-a-uuid"', []],
    ['id ne with a non-uuid matches everyone', () => 'id ne "not-a-uuid"', ALL],
    ['Entra: emails[type eq "work"].value eq matches the work address', () => 'emails[type eq "work"].value eq "dave.work@corp.test"', ['u4']],
    ['a value path needs one element to match all of it', () => 'emails[type eq "work"].value eq "alice@home.test"', []],
    ['emails[type eq "work" and primary eq true] (primary as true or "True")', () => 'emails[type eq "work" and primary eq true]', ['u1', 'u2', 'u4']],
    ['JumpCloud: emails.value co reads the email column and the profile, case-insensitively', () => 'emails.value co "@example.com"', ['u1', 'u2', 'u5', 'u6', 'u7']],
    ['emails.value eq finds the email column case-insensitively', () => 'emails.value eq "frank@example.com"', ['u6']],
    ['emails co compares the value sub-attribute', () => 'emails co "home.test"', ['u1']],
    ['emails pr: an email column or a non-empty emails array', () => 'emails pr', except('u8')],
    ['emails.value ne means no e-mail equals it', () => 'emails.value ne "bob@example.com"', except('u2')],
    ['Okta: active eq false', () => 'active eq false', ['u3', 'u5']],
    ['not (active eq true)', () => 'not (active eq true)', ['u3', 'u5']],
    ['meta.lastModified gt an ISO time', () => 'meta.lastModified gt "2024-01-06T00:00:00Z"', ['u7', 'u8']],
    ['meta.lastModified ge with an offset', () => 'meta.lastModified ge "2024-01-06T01:00:00+01:00"', ['u6', 'u7', 'u8']],
    ['meta.created lt long ago matches nothing', () => 'meta.created lt "2000-01-01T00:00:00Z"', []],
    ['enterprise employeeNumber eq "7" (URN-qualified)', () => `${ENTERPRISE}:employeeNumber eq "7"`, ['u1']],
    ['enterprise employeeNumber sw', () => `${ENTERPRISE}:employeeNumber sw "7"`, ['u1', 'u8']],
    ['enterprise manager.value eq', () => `${ENTERPRISE}:manager.value eq "${ids.u2}"`, ['u1']],
    ['title pr: not null and not empty', () => 'title pr', ['u1', 'u2', 'u6']],
    ['not (title pr) includes absent, null and empty titles', () => 'not (title pr)', ['u3', 'u4', 'u5', 'u7', 'u8']],
    ['title eq null means title is absent', () => 'title eq null', ['u3', 'u4', 'u5', 'u7', 'u8']],
    ['title ne includes users without a title', () => 'title ne "Engineer"', except('u1', 'u6')],
    ['not (title eq x) includes users without a title', () => 'not (title eq "engineer")', except('u1', 'u6')],
    ['(a or b) and c', () => '(title eq "Engineer" or title eq "Manager") and active eq true', ['u1', 'u2', 'u6']],
    ['and binds tighter than or', () => 'title eq "Engineer" or title eq "Manager" and active eq false', ['u1', 'u6']],
    ['sw escapes _ in the value', () => 'userName sw "erin_"', ['u5']],
    ['co "%" is a literal percent sign', () => 'userName co "%"', ['u5']],
    ['co "\\\\" is a literal backslash', () => 'userName co "\\\\"', ['u8']],
    ['ew is case-insensitive on userName', () => 'userName ew "EXAMPLE.COM"', except('u3')],
    ['userName gt compares strings', () => 'userName gt "g"', ['u7', 'u8']],
    ['name.givenName eq', () => 'name.givenName eq "alice"', ['u1']],
    ['displayName co', () => 'displayName co "ALICE"', ['u1']],
    ['phoneNumbers[type eq "mobile"]', () => 'phoneNumbers[type eq "mobile"]', ['u7']],
    ["a user's groups by value", () => `groups[value eq "${ids.g2}"]`, ['u2']],
    ['groups pr', () => 'groups pr', ['u1', 'u2', 'u6']],
    ['SQL in a value is only data', () => `userName eq "x' or '1'='1"`, []],
    ['SQL in a LIKE value is only data', () => `userName co "' or 1=1 --"`, []],
  ];
  it.each(cases)('%s', async (_name, filter, expected) => {
    expect(await users(filter())).toEqual(expected);
  });
});

describe('Group filters', () => {
  const cases: Array<[string, () => string, string[]]> = [
    ['displayName eq matches case-insensitively', () => 'displayName eq "engineering"', ['g1']],
    ['externalId eq', () => 'externalId eq "g-Admins"', ['g2']],
    ['Okta: members[value eq id]', () => `members[value eq "${ids.u2}"]`, ['g1', 'g2']],
    ['Entra: id eq and members[value eq] finds the membership', () => `id eq "${ids.g1}" and members[value eq "${ids.u1}"]`, ['g1']],
    ['Entra: id eq and members[value eq] of a non-member matches nothing', () => `id eq "${ids.g2}" and members[value eq "${ids.u1}"]`, []],
    ['members.value eq', () => `members.value eq "${ids.u6}"`, ['g1']],
    ['members eq a non-uuid matches nothing', () => 'members eq "nobody"', []],
    ['members pr', () => 'members pr', ['g1', 'g2']],
    ['not (members pr)', () => 'not (members pr)', ['g3']],
  ];
  it.each(cases)('%s', async (_name, filter, expected) => {
    expect(await groups(filter())).toEqual(expected);
  });
});

describe('filters Roster cannot evaluate are invalidFilter', () => {
  const cases: Array<[string, FilterCatalog, RegExp]> = [
    ['active gt true', USER_FILTER_CATALOG, /'gt' cannot be applied to the boolean active/],
    ['active eq "yes"', USER_FILTER_CATALOG, /active is a boolean/],
    ['foo eq "x"', USER_FILTER_CATALOG, /unknown attribute 'foo' in a User filter/],
    [`${ENTERPRISE}:shoeSize eq "x"`, USER_FILTER_CATALOG, /unknown attribute/],
    ['meta.lastModified gt "yesterday"', USER_FILTER_CATALOG, /meta.lastModified is a dateTime/],
    ['meta.lastModified gt "2024-02-30T00:00:00Z"', USER_FILTER_CATALOG, /is a dateTime/],
    ['userName eq true', USER_FILTER_CATALOG, /userName is a string/],
    ['userName gt null', USER_FILTER_CATALOG, /'gt' cannot compare with null/],
    ['emails[foo eq "x"]', USER_FILTER_CATALOG, /'foo' is not a filterable sub-attribute of emails/],
    ['title[value eq "x"]', USER_FILTER_CATALOG, /needs a multi-valued attribute/],
    ['members[value eq "x"]', USER_FILTER_CATALOG, /unknown attribute 'members'/],
    ['members[display eq "x"]', GROUP_FILTER_CATALOG, /not a filterable sub-attribute of members/],
    ['userName eq "x"', GROUP_FILTER_CATALOG, /unknown attribute 'userName' in a Group filter/],
  ];
  it.each(cases)('%s', (filter, catalog, detail) => {
    const parsed = parseScimFilter(filter);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const result = filterToSql(parsed.value, catalog, { alias: 'u' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.scimType).toBe('invalidFilter');
    expect(result.error.message).toMatch(detail);
  });
});

describe('the SQL is index-shaped and parameterised', () => {
  const dialect = new PgDialect();
  const query = (filter: string) => dialect.sqlToQuery(condition(filter, USER_FILTER_CATALOG, 'u'));

  it('userName eq is lower(user_name) = lower($1), the unique index expression', () => {
    expect(query('userName eq "X"')).toMatchObject({ sql: 'lower("u"."user_name") = lower($1)', params: ['X'] });
  });

  it('externalId eq is a plain equality', () => {
    expect(query('externalId eq "e1"')).toMatchObject({ sql: '"u"."external_id" = $1', params: ['e1'] });
  });

  it('id eq casts only a uuid, and a non-uuid is false with nothing bound', () => {
    const id = randomUUID();
    expect(query(`id eq "${id}"`)).toMatchObject({ sql: '"u"."id" = $1::uuid', params: [id] });
    expect(query('id eq "1 or 1=1"')).toMatchObject({ sql: 'false', params: [] });
  });

  it('co binds an escaped LIKE pattern', () => {
    expect(query('userName co "a%b_c\\\\"')).toMatchObject({
      sql: `lower("u"."user_name") like lower($1) escape '\\'`,
      params: ['%a\\%b\\_c\\\\%'],
    });
  });

  it('the user name lookup is answered from the (tenant_id, lower(user_name)) index', async () => {
    const plan = await store.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return queryRows<Record<string, string>>(
        tx,
        sql`explain select u.id from users u where u.tenant_id = ${tenantId} and u.connection_id = ${connectionId} and ${condition('userName eq "bob@example.com"', USER_FILTER_CATALOG, 'u')}`,
      );
    });
    expect(plan.map((row) => Object.values(row)[0]).join('\n')).toContain('users_tenant_username_uq');
  });
});

describe('edge values reach the database without errors', () => {
  const cases: Array<[string, string[]]> = [
    ['meta.lastModified gt "0001-01-01T00:00:00Z"', ALL],
    ['meta.lastModified gt "2024-01-07T00:00:00.123456789Z"', ['u8']],
    ['meta.lastModified gt "2024-01-05T00:00:00"', ['u6', 'u7', 'u8']],
    ['meta.lastModified ge "2024-01-05T14:00:00+14:00"', ['u5', 'u6', 'u7', 'u8']],
    [`userName eq "${'x'.repeat(10_000)}"`, []],
  ];
  it.each(cases)('%s', async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });
});

describe('a catalog is data: a number attribute in the profile', () => {
  const catalog: FilterCatalog = {
    ...USER_FILTER_CATALOG,
    attributes: {
      ...USER_FILTER_CATALOG.attributes,
      logincount: { kind: 'scalar', name: 'loginCount', type: 'number', caseExact: false, storage: { kind: 'json', path: ['loginCount'] } },
    },
  };
  beforeAll(async () => {
    await store.db.execute(sql`update users set profile = coalesce(profile, '{}'::jsonb) || '{"loginCount": 12}'::jsonb where id = ${ids.u7!}::uuid`);
    await store.db.execute(sql`update users set profile = coalesce(profile, '{}'::jsonb) || '{"loginCount": "many"}'::jsonb where id = ${ids.u8!}::uuid`);
  });
  const run = async (filter: string) => {
    const rows = await queryRows<{ id: string }>(
      store.db,
      sql`select u.id::text as id from users u where u.tenant_id = ${tenantId} and ${condition(filter, catalog, 'u')}`,
    );
    return rows.map((r) => keyOf.get(r.id)).sort();
  };

  it('compares numerically, and a non-number in the document reads as absent', async () => {
    expect(await run('loginCount gt 9')).toEqual(['u7']);
    expect(await run('loginCount le 12.0')).toEqual(['u7']);
    expect(await run('loginCount ne 12')).toEqual(except('u7'));
  });

  it('rejects co on a number', () => {
    const parsed = parseScimFilter('loginCount co 1');
    expect(parsed.ok && filterToSql(parsed.value, catalog, { alias: 'u' })).toMatchObject({ ok: false, error: { scimType: 'invalidFilter' } });
  });
});
