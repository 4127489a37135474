/**
 * User PATCH: Okta's shapes and the RFC 7644 §3.5.2 rules they rely on
 * (multi-valued add/replace/remove, primary, read-only and ignored attributes).
 */
import { describe, expect, it } from 'vitest';
import { ENTERPRISE, USER_ID, errorOf, expectScimError, patchBody, patchUser, storedUser, tryPatchUser } from './fixtures.js';

describe('User PATCH: Okta shapes', () => {
  it('deactivates with a no-path replace {"active": false} (Okta SCIM 2.0 reference)', () => {
    const user = patchUser(storedUser(), {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(user.active).toBe(false);
  });

  it('accepts and ignores the user\'s own id inside a no-path replace', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'replace', value: { id: USER_ID, active: false, displayName: 'A. L.' } }));
    expect(user.id).toBe(USER_ID);
    expect(user.displayName).toBe('A. L.');
    expect(user.active).toBe(false);
  });

  it('ignores a password sync (Okta sends {"password": ...} in a no-path replace)', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'replace', value: { password: 't1meMa$heen' } }));
    expect(user).not.toHaveProperty('password');
    expect(user).toEqual(storedUser());
  });
});

describe('User PATCH: RFC 7644 §3.5.2 rules', () => {
  it('merges a no-path replace of the enterprise extension object, keeping other attributes', () => {
    const before = storedUser({ [ENTERPRISE]: { costCenter: 'CC1', department: 'Old' } });
    const user = patchUser(before, patchBody({ op: 'replace', value: { [ENTERPRISE]: { department: 'X', manager: 'mgr-9' } } }));
    expect(user[ENTERPRISE]).toEqual({ costCenter: 'CC1', department: 'X', manager: { value: 'mgr-9' } });
  });

  it('sets a user by the core-URN-qualified userName path', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:userName', value: 'b@x.io' }));
    expect(user.userName).toBe('b@x.io');
  });

  it('merges a complex attribute on replace, leaving unnamed sub-attributes (§3.5.2.3)', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'replace', path: 'name', value: { givenName: 'Augusta' } }));
    expect(user.name).toEqual({ givenName: 'Augusta', familyName: 'Lovelace' });
  });

  it('appends on add to a multi-valued attribute and merges an equal value instead of duplicating it', () => {
    const user = patchUser(
      storedUser(),
      patchBody({ op: 'add', path: 'emails', value: [{ value: 'ADA@example.com', type: 'work' }, { value: 'ada@home.io', type: 'home' }] }),
    );
    expect(user.emails).toEqual([
      { value: 'ADA@example.com', type: 'work', primary: true },
      { value: 'ada@home.io', type: 'home' },
    ]);
  });

  it('replaces a multi-valued attribute wholesale on replace', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'replace', path: 'emails', value: [{ value: 'n@x.io', type: 'other' }] }));
    expect(user.emails).toEqual([{ value: 'n@x.io', type: 'other' }]);
  });

  it('keeps one primary email: setting primary on a new one clears the old (RFC 7643 §2.4)', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'add', path: 'emails', value: [{ value: 'p@x.io', type: 'home', primary: true }] }));
    expect(user.emails?.map((e) => [e.value, e.primary])).toEqual([
      ['ada@example.com', false],
      ['p@x.io', true],
    ]);
  });

  it('keeps one primary when a value path sets primary "True"', () => {
    const before = storedUser({ emails: [{ value: 'a@x.io', type: 'work', primary: true }, { value: 'b@x.io', type: 'home' }] });
    const user = patchUser(before, patchBody({ op: 'replace', path: 'emails[type eq "home"].primary', value: 'True' }));
    expect(user.emails?.map((e) => e.primary)).toEqual([false, true]);
  });

  it('removes the elements a value filter matches', () => {
    const before = storedUser({ emails: [{ value: 'a@x.io', type: 'work' }, { value: 'b@x.io', type: 'home' }] });
    const user = patchUser(before, patchBody({ op: 'remove', path: 'emails[type eq "home"]' }));
    expect(user.emails).toEqual([{ value: 'a@x.io', type: 'work' }]);
  });

  it('matches value filters case-insensitively on names and values (type is caseExact:false)', () => {
    const before = storedUser({ emails: [{ value: 'a@x.io', type: 'Work' }] });
    const user = patchUser(before, patchBody({ op: 'replace', path: 'emails[TYPE eq "work"].value', value: 'z@x.io' }));
    expect(user.emails).toEqual([{ value: 'z@x.io', type: 'Work' }]);
  });

  it('removes one sub-attribute of the matched elements', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'remove', path: 'emails[type eq "work"].primary' }));
    expect(user.emails).toEqual([{ value: 'ada@example.com', type: 'work' }]);
  });

  it('removes values listed in a remove with a value array', () => {
    const before = storedUser({ roles: [{ value: 'Admin' }, { value: 'Reader' }] });
    const user = patchUser(before, patchBody({ op: 'remove', path: 'roles', value: [{ value: 'Admin' }] }));
    expect(user.roles).toEqual([{ value: 'Reader' }]);
  });

  it('treats remove of a missing attribute, sub-attribute or unmatched filter as a no-op', () => {
    const user = patchUser(
      storedUser(),
      patchBody(
        { op: 'remove', path: 'nickName' },
        { op: 'remove', path: 'name.middleName' },
        { op: 'remove', path: 'phoneNumbers[type eq "fax"]' },
        { op: 'remove', path: `${ENTERPRISE}:manager` },
      ),
    );
    expect(user).toEqual(storedUser());
  });

  it('clears a sub-attribute sent as null and drops an emptied complex attribute', () => {
    const user = patchUser(
      storedUser(),
      patchBody({ op: 'replace', path: 'name.givenName', value: null }, { op: 'replace', path: 'name.familyName', value: '' }),
    );
    expect(user).not.toHaveProperty('name');
  });

  it('applies operations in order, each on the result of the previous (§3.5.2)', () => {
    const user = patchUser(
      storedUser(),
      patchBody({ op: 'replace', path: 'title', value: 'A' }, { op: 'remove', path: 'title' }, { op: 'add', path: 'title', value: 'B' }),
    );
    expect(user.title).toBe('B');
  });

  it('keeps an unknown core attribute as sent (lenient)', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'add', path: 'favouriteColour', value: 'teal' }));
    expect(user.favouriteColour).toBe('teal');
  });

  it('ignores client-sent groups and meta inside a no-path value', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'replace', value: { groups: [{ value: 'g1' }], meta: { version: 'W/"x"' }, title: 'T' } }));
    expect(user.groups).toBeUndefined();
    expect(user.meta).toEqual(storedUser().meta);
    expect(user.title).toBe('T');
  });
});

describe('User PATCH: errors', () => {
  it('answers mutability to a change of id', () => {
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', value: { id: 'other-id' } }))), 'mutability');
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', path: 'id', value: 'other-id' }))), 'mutability');
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'remove', path: 'id' }))), 'mutability');
  });

  it('answers mutability to a path aimed at meta', () => {
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', path: 'meta.created', value: 'x' }))), 'mutability');
  });

  it('answers invalidValue to an active that is not a boolean', () => {
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', path: 'active', value: 'no' }))), 'invalidValue');
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', value: { active: 0 } }))), 'invalidValue');
  });

  it('answers invalidValue to clearing userName or giving it a non-string', () => {
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', path: 'userName', value: '' }))), 'invalidValue');
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', path: 'userName', value: 42 }))), 'invalidValue');
  });

  it('answers invalidValue to an email value that is not an object', () => {
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'add', path: 'emails', value: ['a@x.io'] }))), 'invalidValue');
  });

  it('answers noTarget when a non-equality filter matches nothing and so cannot create the element', () => {
    const error = errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', path: 'emails[value co "nobody"].type', value: 'home' })));
    expectScimError(error, 'noTarget');
  });

  it('answers invalidPath to a sub-attribute of a multi-valued attribute without a filter', () => {
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', path: 'emails.value', value: 'x' }))), 'invalidPath');
  });

  it('answers invalidPath to a value filter on a single-valued attribute', () => {
    expectScimError(errorOf(tryPatchUser(storedUser(), patchBody({ op: 'replace', path: 'userName[value eq "x"]', value: 'y' }))), 'invalidPath');
  });
});

/**
 * `active` is not required (RFC 7643 §4.1.1), but Roster's promise hangs on it: an
 * "unassigned" active would read as active and silently reactivate a leaver. Removing
 * or clearing it is refused with `mutability`; the user keeps its state.
 */
describe('User PATCH: removing active', () => {
  const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
  it('refuses remove of active (plain or URN path) with mutability, and says what to send instead', () => {
    for (const path of ['active', 'Active', `${CORE}:active`]) {
      const error = errorOf(tryPatchUser(storedUser({ active: false }), patchBody({ op: 'remove', path })));
      expectScimError(error, 'mutability');
      expect(error.message).toMatch(/"active" cannot be removed.*replace.*true or false/);
    }
  });

  it('refuses clearing active with null or "" (with a path or in a no-path value)', () => {
    for (const body of [
      patchBody({ op: 'replace', path: 'active', value: null }),
      patchBody({ op: 'replace', path: 'active', value: '' }),
      patchBody({ op: 'replace', value: { active: null } }),
      patchBody({ op: 'add', value: { displayName: 'X', active: '' } }),
    ]) {
      expectScimError(errorOf(tryPatchUser(storedUser({ active: false }), body)), 'mutability');
    }
  });
});
