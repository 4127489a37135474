/**
 * Group PATCH plans for the bodies Entra ID, Okta, JumpCloud and Microsoft's
 * SCIM reference collection send. A plan never needs the current member list.
 */
import { describe, expect, it } from 'vitest';
import { parsePatchRequest, planGroupPatch } from '../../../../src/push/scim/patch/index.js';
import { GROUP_ID, errorOf, expectScimError, patchBody, planGroup, tryPlanGroup, unwrap } from './fixtures.js';

const ID1 = '23a35c27-23d3-4c03-b4c5-6443c09e7173';
const ID2 = '0b2e6a8f-1c3d-4e5f-8a9b-0c1d2e3f4a5b';
const ID3 = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';

describe('Group PATCH plan: Entra ID', () => {
  it('adds members in bulk with "Add" and a value array', () => {
    const plan = planGroup(patchBody({ op: 'Add', path: 'members', value: [{ value: ID1 }, { value: ID2 }] }));
    expect(plan).toEqual({ members: { add: [ID1, ID2], remove: [] } });
  });

  it('removes members listed in a "Remove" value array (without aadOptscim062020)', () => {
    const plan = planGroup(patchBody({ op: 'Remove', path: 'members', value: [{ value: ID1 }] }));
    expect(plan.members).toEqual({ add: [], remove: [ID1] });
  });

  it('renames with "Replace" displayName', () => {
    const plan = planGroup(patchBody({ op: 'Replace', path: 'displayName', value: 'Sales EMEA' }));
    expect(plan).toEqual({ displayName: 'Sales EMEA', members: { add: [], remove: [] } });
  });

  it('reads a core-Group-URN-qualified displayName path', () => {
    const plan = planGroup(patchBody({ op: 'Replace', path: 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName', value: 'Ops' }));
    expect(plan.displayName).toBe('Ops');
  });

  it('clears externalId sent as ""', () => {
    expect(planGroup(patchBody({ op: 'Replace', path: 'externalId', value: '' })).externalId).toBeNull();
    expect(planGroup(patchBody({ op: 'Replace', path: 'externalId', value: 'e-9' })).externalId).toBe('e-9');
  });
});

describe('Group PATCH plan: Okta', () => {
  it('adds members with display names', () => {
    const plan = planGroup({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: ID1, display: 'test.user@okta.local' }] }],
    });
    expect(plan.members.add).toEqual([ID1]);
  });

  it('removes a member by members[value eq "id"]', () => {
    const plan = planGroup(patchBody({ op: 'remove', path: `members[value eq "${ID1}"]` }));
    expect(plan.members).toEqual({ add: [], remove: [ID1] });
  });

  it('removes several members joined by or', () => {
    const plan = planGroup(patchBody({ op: 'remove', path: `members[value eq "${ID1}" or value eq "${ID2}"]` }));
    expect(plan.members.remove).toEqual([ID1, ID2]);
  });

  it('renames with a no-path replace carrying the group id, which is ignored', () => {
    const plan = planGroup(patchBody({ op: 'replace', value: { id: GROUP_ID, displayName: 'Test SCIMv2' } }));
    expect(plan).toEqual({ displayName: 'Test SCIMv2', members: { add: [], remove: [] } });
  });

  it('replaces the member list wholesale', () => {
    const plan = planGroup(patchBody({ op: 'replace', path: 'members', value: [{ value: ID1 }, { value: ID2 }] }));
    expect(plan.members).toEqual({ add: [], remove: [], replaceWith: [ID1, ID2] });
  });
});

describe('Group PATCH plan: JumpCloud', () => {
  it('adds members with op "add" and path "members"', () => {
    const plan = planGroup(patchBody({ op: 'add', path: 'members', value: [{ value: ID3, display: 'jane' }] }));
    expect(plan.members.add).toEqual([ID3]);
  });

  it('renames with a no-path replace of displayName', () => {
    expect(planGroup(patchBody({ op: 'replace', value: { displayName: 'Engineering' } })).displayName).toBe('Engineering');
  });
});

describe('Group PATCH plan: Microsoft SCIM reference collection', () => {
  it('accepts members with "displayName" instead of "display" ("Patch add user4 to group1")', () => {
    const plan = planGroup({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ name: 'addMember', op: 'add', path: 'members', value: [{ displayName: 'new User', value: ID1 }] }],
    });
    expect(plan.members.add).toEqual([ID1]);
    expect(plan.members.displays).toEqual({ [ID1]: 'new User' });
  });

  it('keeps the display an IdP sent with added members, and none for removals', () => {
    const plan = planGroup(
      patchBody(
        { op: 'add', path: 'members', value: [{ value: ID1, display: 'Ada' }] },
        { op: 'remove', path: 'members', value: [{ value: ID2, display: 'Bob' }] },
      ),
    );
    expect(plan.members.displays).toEqual({ [ID1]: 'Ada' });
  });

  it('accepts a bare-string member value, which the collection expects to succeed ("Group patch add member")', () => {
    const plan = planGroup({
      id: GROUP_ID,
      Operations: [{ op: 'add', path: 'members', value: 'string id 1' }],
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    });
    expect(plan.members.add).toEqual(['string id 1']);
  });

  it('removes all members with remove "members" and no value ("Patch remove all users")', () => {
    const plan = planGroup(patchBody({ op: 'remove', path: 'members' }));
    expect(plan.members).toEqual({ add: [], remove: [], replaceWith: [] });
  });
});

describe('Group PATCH plan: folding operations in order', () => {
  it('replaces with [] to empty the group', () => {
    expect(planGroup(patchBody({ op: 'replace', path: 'members', value: [] })).members.replaceWith).toEqual([]);
  });

  it('folds an add after a replace into replaceWith', () => {
    const plan = planGroup(
      patchBody({ op: 'replace', path: 'members', value: [{ value: ID1 }] }, { op: 'add', path: 'members', value: [{ value: ID2 }, { value: ID1 }] }),
    );
    expect(plan.members).toEqual({ add: [], remove: [], replaceWith: [ID1, ID2] });
  });

  it('folds a remove after a replace into replaceWith', () => {
    const plan = planGroup(
      patchBody({ op: 'replace', path: 'members', value: [{ value: ID1 }, { value: ID2 }] }, { op: 'remove', path: `members[value eq "${ID1}"]` }),
    );
    expect(plan.members).toEqual({ add: [], remove: [], replaceWith: [ID2] });
  });

  it('lets the later of an add and a remove of the same id win', () => {
    const addThenRemove = planGroup(patchBody({ op: 'add', path: 'members', value: [{ value: ID1 }] }, { op: 'remove', path: 'members', value: [{ value: ID1 }] }));
    expect(addThenRemove.members).toEqual({ add: [], remove: [ID1] });
    const removeThenAdd = planGroup(patchBody({ op: 'remove', path: 'members', value: [{ value: ID1 }] }, { op: 'add', path: 'members', value: [{ value: ID1 }] }));
    expect(removeThenAdd.members).toEqual({ add: [ID1], remove: [] });
  });

  it('removes everything, then adds: the result is exactly the added ids', () => {
    const plan = planGroup(patchBody({ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [{ value: ID3 }] }));
    expect(plan.members).toEqual({ add: [], remove: [], replaceWith: [ID3] });
  });

  it('handles a no-path replace carrying members as a wholesale replace', () => {
    const plan = planGroup(patchBody({ op: 'replace', value: { displayName: 'G', members: [{ value: ID2 }] } }));
    expect(plan).toEqual({ displayName: 'G', members: { add: [], remove: [], replaceWith: [ID2] } });
  });

  it('returns unknown member ids as sent (the caller filters them)', () => {
    expect(planGroup(patchBody({ op: 'add', path: 'members', value: [{ value: 'no-such-user' }] })).members.add).toEqual(['no-such-user']);
  });

  it('plans without a group id too, ignoring an id in a no-path value', () => {
    const ops = unwrap(parsePatchRequest(patchBody({ op: 'replace', value: { id: 'whatever', displayName: 'X' } })));
    expect(unwrap(planGroupPatch(ops)).displayName).toBe('X');
  });
});

describe('Group PATCH plan: errors', () => {
  it('answers invalidValue to a member that is not an object with a string value', () => {
    for (const value of [[{ display: 'x' }], [{ value: 42 }], [null], [{ value: '' }], 7]) {
      expectScimError(errorOf(tryPlanGroup(patchBody({ op: 'add', path: 'members', value }))), 'invalidValue');
    }
  });

  it('answers mutability to a no-path replace that changes the group id', () => {
    expectScimError(errorOf(tryPlanGroup(patchBody({ op: 'replace', value: { id: 'another', displayName: 'x' } }))), 'mutability');
  });

  it('answers invalidFilter to a members filter that would need the member list', () => {
    expectScimError(errorOf(tryPlanGroup(patchBody({ op: 'remove', path: 'members[display eq "Babs"]' }))), 'invalidFilter');
  });

  it('answers invalidPath to add or replace with a members filter', () => {
    expectScimError(errorOf(tryPlanGroup(patchBody({ op: 'add', path: `members[value eq "${ID1}"]`, value: [{ value: ID1 }] }))), 'invalidPath');
  });

  it('answers invalidValue to removing or clearing displayName', () => {
    expectScimError(errorOf(tryPlanGroup(patchBody({ op: 'remove', path: 'displayName' }))), 'invalidValue');
    expectScimError(errorOf(tryPlanGroup(patchBody({ op: 'replace', path: 'displayName', value: '' }))), 'invalidValue');
  });

  it('answers noTarget to a remove without a path', () => {
    expectScimError(errorOf(tryPlanGroup(patchBody({ op: 'remove', value: [{ value: ID1 }] }))), 'noTarget');
  });
});
