/**
 * User PATCH bodies as Microsoft Entra ID sends them (Microsoft's "Tutorial:
 * Develop and plan provisioning for a SCIM endpoint", "Known issues and
 * resolutions with SCIM 2.0 protocol compliance", and the SCIM reference
 * Postman collection in ../shared/conformance).
 */
import { describe, expect, it } from 'vitest';
import { applyUserPatch, parsePatchRequest } from '../../../../src/push/scim/patch/index.js';
import { ENTERPRISE, USER_ID, patchBody, patchUser, storedUser, unwrap } from './fixtures.js';

describe('User PATCH: Entra ID shapes', () => {
  it('deactivates with "Replace" active and the string "False" (non-compliant job, no aadOptscim062020)', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'Replace', path: 'active', value: 'False' }));
    expect(user.active).toBe(false);
  });

  it('reactivates with the string "True"', () => {
    const user = patchUser(storedUser({ active: false }), patchBody({ op: 'Replace', path: 'active', value: 'True' }));
    expect(user.active).toBe(true);
  });

  it('reads lower-case "false" and a boolean false alike (reference collection: "active with boolean")', () => {
    expect(patchUser(storedUser(), patchBody({ op: 'replace', path: 'active', value: 'false' })).active).toBe(false);
    expect(patchUser(storedUser(), patchBody({ op: 'Replace', path: 'active', value: false })).active).toBe(false);
  });

  it('deactivates with a no-path replace {"active": false} (aadOptscim062020 behaviour)', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'replace', value: { active: false } }));
    expect(user.active).toBe(false);
  });

  it('renames with "Replace" userName (reference collection: "Patch user omalley new username")', () => {
    const user = patchUser(storedUser(), {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'userName', value: 'newusername' }],
    });
    expect(user.userName).toBe('newusername');
  });

  it('replaces the work email and family name in one request (tutorial: "Update User [Multi-valued properties]")', () => {
    const user = patchUser(
      storedUser(),
      patchBody(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      ),
    );
    expect(user.emails).toEqual([{ value: 'updatedEmail@microsoft.com', type: 'work', primary: true }]);
    expect(user.name).toEqual({ givenName: 'Ada', familyName: 'updatedFamilyName' });
  });

  it('creates the work email when "Add" targets emails[type eq "work"].value on a user without one', () => {
    const user = patchUser(
      storedUser({ emails: [{ value: 'home@example.com', type: 'home' }] }),
      patchBody({ op: 'Replace', path: 'title', value: 'tester' }, { op: 'Add', path: 'emails[type eq "work"].value', value: 'joe@joe.com' }),
    );
    expect(user.title).toBe('tester');
    expect(user.emails).toEqual([
      { value: 'home@example.com', type: 'home' },
      { type: 'work', value: 'joe@joe.com' },
    ]);
  });

  it('creates the work email when "Replace" targets it on a user with no emails at all', () => {
    const user = patchUser(storedUser({ emails: undefined }), patchBody({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'w@x.io' }));
    expect(user.emails).toEqual([{ type: 'work', value: 'w@x.io' }]);
  });

  it('sets the mobile phone and work street address through value paths, creating them', () => {
    const user = patchUser(
      storedUser(),
      patchBody(
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
        { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
        { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Springfield' },
      ),
    );
    expect(user.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 555 0100' }]);
    expect(user.addresses).toEqual([{ type: 'work', streetAddress: '1 Main St', locality: 'Springfield' }]);
  });

  it('clears an attribute sent as "" (Entra clears with an empty string)', () => {
    const user = patchUser(storedUser({ title: 'Engineer' }), patchBody({ op: 'Replace', path: 'title', value: '' }));
    expect(user).not.toHaveProperty('title');
  });

  it('removes the work email when its value is replaced with ""', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'Replace', path: 'emails[type eq "work"].value', value: '' }));
    expect(user).not.toHaveProperty('emails');
  });

  it('removes the mobile phone with "Remove" of phoneNumbers[type eq "mobile"].value', () => {
    const before = storedUser({ phoneNumbers: [{ type: 'mobile', value: '+1 555 0100' }, { type: 'work', value: '+1 555 0199' }] });
    const user = patchUser(before, patchBody({ op: 'Remove', path: 'phoneNumbers[type eq "mobile"].value' }));
    expect(user.phoneNumbers).toEqual([{ type: 'work', value: '+1 555 0199' }]);
  });

  it('sets an enterprise attribute through a URN-qualified path', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'Add', path: `${ENTERPRISE}:employeeNumber`, value: '000111222' }));
    expect(user[ENTERPRISE]).toEqual({ employeeNumber: '000111222' });
    expect(user.schemas).toContain(ENTERPRISE);
  });

  it('sets the manager from a bare string id', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'Replace', path: `${ENTERPRISE}:manager`, value: 'mgr-1' }));
    expect(user[ENTERPRISE]?.manager).toEqual({ value: 'mgr-1' });
  });

  it('sets the manager from {"value": id}, dropping the previous manager\'s displayName', () => {
    const before = storedUser({ [ENTERPRISE]: { manager: { value: 'old', displayName: 'Old Boss' } } });
    const user = patchUser(before, patchBody({ op: 'Add', path: `${ENTERPRISE}:manager`, value: { value: 'mgr-2' } }));
    expect(user[ENTERPRISE]?.manager).toEqual({ value: 'mgr-2' });
  });

  it('removes the manager with "Remove", and drops the emptied extension from schemas', () => {
    const before = storedUser({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE], [ENTERPRISE]: { manager: { value: 'm' } } });
    const user = patchUser(before, patchBody({ op: 'Remove', path: `${ENTERPRISE}:manager` }));
    expect(user).not.toHaveProperty(ENTERPRISE);
    expect(user.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User']);
  });

  it('treats a core-level path "manager" (and "manager.value") as the enterprise manager', () => {
    const user = patchUser(storedUser(), patchBody({ op: 'Add', path: 'manager', value: 'mgr-3' }));
    expect(user[ENTERPRISE]).toEqual({ manager: { value: 'mgr-3' } });
    expect(user).not.toHaveProperty('manager');
    const byObject = patchUser(storedUser(), patchBody({ op: 'replace', value: { Manager: { value: 'mgr-4' } } }));
    expect(byObject[ENTERPRISE]).toEqual({ manager: { value: 'mgr-4' } });
    const bySub = patchUser(byObject, patchBody({ op: 'replace', path: 'manager.value', value: 'mgr-5' }));
    expect(bySub[ENTERPRISE]).toEqual({ manager: { value: 'mgr-5' } });
    const removed = patchUser(bySub, patchBody({ op: 'remove', path: 'manager' }));
    expect(removed).not.toHaveProperty(ENTERPRISE);
  });

  it('clears the manager sent as "" or {"value": ""}', () => {
    const before = storedUser({ [ENTERPRISE]: { department: 'R&D', manager: { value: 'm' } } });
    for (const value of ['', { value: '' }, null]) {
      const user = patchUser(before, patchBody({ op: 'Replace', path: `${ENTERPRISE}:manager`, value }));
      expect(user[ENTERPRISE]).toEqual({ department: 'R&D' });
    }
  });

  it('applies a no-path add with dotted, URN-qualified and value-path keys (aadOptscim062020 behaviour)', () => {
    const user = patchUser(
      storedUser({ emails: [] }),
      patchBody({
        op: 'add',
        value: {
          'name.givenName': 'Barbara',
          'name.familyName': 'Jensen',
          'emails[type eq "work"].value': 'babs@example.com',
          [`${ENTERPRISE}:department`]: 'Tour Operations',
          nickName: 'Babs',
        },
      }),
    );
    expect(user.name).toEqual({ givenName: 'Barbara', familyName: 'Jensen' });
    expect(user.emails).toEqual([{ type: 'work', value: 'babs@example.com' }]);
    expect(user[ENTERPRISE]).toEqual({ department: 'Tour Operations' });
    expect(user.nickName).toBe('Babs');
  });

  it('keeps an attribute of an Entra custom extension (lenient: unknown attributes are kept)', () => {
    const custom = 'urn:ietf:params:scim:schemas:extension:custom:2.0:User';
    const user = patchUser(storedUser(), patchBody({ op: 'Add', path: `${custom}:worksiteId`, value: '180' }));
    expect(user[custom]).toEqual({ worksiteId: '180' });
  });

  it('coerces primary sent as the string "True" inside a roles value', () => {
    const user = patchUser(
      storedUser(),
      patchBody({ op: 'Add', path: 'roles', value: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }] }),
    );
    expect(user.roles).toEqual([{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }]);
  });

  it('does not change the user it was given', () => {
    const before = storedUser();
    const snapshot = structuredClone(before);
    const ops = unwrap(parsePatchRequest(patchBody({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'x@y.z' }, { op: 'Replace', path: 'name.givenName', value: 'Z' })));
    const after = unwrap(applyUserPatch(before, ops));
    expect(before).toEqual(snapshot);
    expect(after.id).toBe(USER_ID);
    expect(after.emails?.[0]?.value).toBe('x@y.z');
  });
});
