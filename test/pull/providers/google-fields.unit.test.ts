/**
 * Partial responses (`fields`): the fake's reading of Google's selection
 * syntax, and the provider's selection of user fields, held to mapUser: a
 * user cut down to what the provider asks maps exactly as the whole user.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING, mapUser, userFieldSelection } from '../../../src/pull/providers/google/map.js';
import { applyFields, FieldSelectionError, parseFields } from '../../fakes/google/fields.js';

type GoogleUser = Parameters<typeof mapUser>[0];

/** A user with every field mapUser reads, and more that it does not. */
function richUser(): GoogleUser {
  return {
    kind: 'admin#directory#user',
    etag: '"e"',
    id: '100200300',
    primaryEmail: 'ada@example.com',
    name: { givenName: 'Ada', familyName: 'Lovelace', fullName: 'Ada Lovelace', displayName: 'Countess' },
    suspended: false,
    archived: true,
    isAdmin: false,
    creationTime: '2024-01-01T00:00:00.000Z',
    lastLoginTime: '2026-01-01T00:00:00.000Z',
    emails: [{ address: 'ada@example.com', primary: true }],
    recoveryEmail: 'ada@home.example',
    orgUnitPath: '/Engineering',
    organizations: [{ title: 'Analyst', department: 'Engines', costCenter: 'CC-1', name: 'Babbage Ltd', primary: true }],
    externalIds: [{ value: 'E1', type: 'organization' }],
    relations: [{ value: 'charles@example.com', type: 'manager' }],
    phones: [{ value: '+44 20 0000', type: 'work', primary: true }],
    customSchemas: { HR: { login: 'ada' } },
  };
}

describe('fake Google: the `fields` selection', () => {
  const sample = { kind: 'k', nextPageToken: 't', users: [{ id: '1', name: { givenName: 'A', familyName: 'B' }, x: 1 }, { id: '2', x: 2 }] };

  it('keeps the fields listed, applying a sub-selector to each element of an array', () => {
    expect(applyFields(sample, parseFields('nextPageToken,users(id,name/givenName)'))).toEqual({
      nextPageToken: 't',
      users: [{ id: '1', name: { givenName: 'A' } }, { id: '2' }],
    });
  });

  it('reads a/b as b inside a, * as every field, and a whole field over a part of it', () => {
    expect(applyFields(sample, parseFields('users/id'))).toEqual({ users: [{ id: '1' }, { id: '2' }] });
    expect(applyFields(sample, parseFields('users(*)'))).toEqual({ users: sample.users });
    expect(applyFields(sample, parseFields('users/name/familyName,users(name)'))).toEqual({ users: [{ name: sample.users[0]!.name }, {}] });
  });

  it('refuses a malformed selection', () => {
    for (const bad of ['users(id', 'users()', ',id', 'id,', 'users/', 'a b', 'users(id))']) {
      expect(() => parseFields(bad), bad).toThrow(FieldSelectionError);
    }
  });
});

describe('Google provider: the user fields it asks for', () => {
  it('maps a user cut down to its selection exactly as the whole user', () => {
    const user = richUser();
    const selection = userFieldSelection(DEFAULT_MAPPING)!;
    const cut = applyFields(user, parseFields(selection)) as GoogleUser;
    expect(cut).not.toHaveProperty('emails');
    expect(cut).not.toHaveProperty('lastLoginTime');
    expect(mapUser(cut, DEFAULT_MAPPING)).toEqual(mapUser(user, DEFAULT_MAPPING));
  });

  it('adds the top-level field of every mapped path, custom schemas included', () => {
    const mapping = { ...DEFAULT_MAPPING, userName: 'customSchemas.HR.login', email: 'recoveryEmail' };
    const user = richUser();
    const cut = applyFields(user, parseFields(userFieldSelection(mapping)!)) as GoogleUser;
    const mapped = mapUser(cut, mapping);
    expect(mapped).toEqual(mapUser(user, mapping));
    expect(mapped).toMatchObject({ userName: 'ada', email: 'ada@home.example' });
  });

  it('asks for the whole user when a mapped path does not start with a plain field name', () => {
    expect(userFieldSelection({ ...DEFAULT_MAPPING, email: 'emails(0).address' })).toBeNull();
  });
});
