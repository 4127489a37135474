import { describe, expect, it } from 'vitest';
import { planProvision, type ProvisionInput } from '../../../src/admin/provision/index.js';
import type { DirectoryUser, UserWithGroups } from '../../../src/pull/providers/index.js';
import { userHash } from '../../../src/pull/reconcile/hash.js';

const CONN = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';
let ids = 0;
const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;

const person = (over: Partial<DirectoryUser> = {}): DirectoryUser => ({
  externalId: 'ext-ann',
  userName: 'ann@acme.test',
  email: 'ann@acme.test',
  displayName: 'Ann',
  givenName: 'Ann',
  familyName: 'Lee',
  active: true,
  ...over,
});
const live = (user: DirectoryUser, groups: string[] = []): UserWithGroups => ({ user, groups: groups.map((g) => ({ externalId: `g-${g}`, displayName: g })) });
const storedAnn = (over: Partial<DirectoryUser> & { active?: boolean } = {}) => {
  const u = person(over);
  return { id: 'u1', externalId: u.externalId, userName: u.userName, email: u.email, displayName: u.displayName, givenName: u.givenName, familyName: u.familyName, profile: null, active: u.active, sourceHash: userHash(u) };
};
const staff = { id: 'gid-staff', externalId: 'g-Staff', displayName: 'Staff', connectionId: CONN };
const mapping = (group: string, role: string, over: Partial<ProvisionInput['mappings'][number]> = {}) => ({
  roleId: `r-${role}`,
  roleName: role,
  matchBy: 'display_name' as const,
  groupRef: group,
  connectionId: CONN,
  tenantWide: false,
  ...over,
});
const input = (over: Partial<ProvisionInput>): ProvisionInput => ({
  connectionId: CONN,
  live: live(person()),
  stored: undefined,
  storedGroups: [],
  knownGroups: new Map(),
  groupsComplete: true,
  mappings: [],
  roles: [],
  userNames: { keys: new Map(), holders: new Map() },
  newId,
  ...over,
});
const stepOf = (plan: ReturnType<typeof planProvision>, name: string) => plan.steps.find((s) => s.step === name)!;

describe('planProvision', () => {
  it('creates a new user with their groups and says which roles the mappings grant', () => {
    const plan = planProvision(input({ live: live(person(), ['Staff']), mappings: [mapping('staff', 'staff'), mapping('Admins', 'admin')] }));
    expect(plan.outcome).toBe('created');
    expect(plan.changes.map((c) => c.kind)).toEqual(['user.create', 'group.create', 'membership.add']);
    expect(plan.steps.map((s) => [s.step, s.status])).toEqual([
      ['match', 'ok'],
      ['scope', 'ok'],
      ['attributes', 'ok'],
      ['groups', 'ok'],
    ]);
    expect(stepOf(plan, 'match').summary).toMatch(/^new/);
    expect(stepOf(plan, 'attributes').detail.changes).toContainEqual({ field: 'displayName', before: null, after: 'Ann' });
    expect(stepOf(plan, 'groups').detail).toMatchObject({ add: ['Staff'], createdGroups: ['Staff'], rolesGranted: ['staff'], rolesRevoked: [] });
  });

  it('writes nothing for a user the store already holds as the IdP has them', () => {
    const plan = planProvision(input({ stored: storedAnn(), live: live(person(), ['Staff']), storedGroups: [staff], knownGroups: new Map([['g-Staff', { id: 'gid-staff', displayName: 'Staff', sourceHash: null }]]) }));
    expect(plan).toMatchObject({ outcome: 'no-change', changes: [], userId: 'u1' });
    expect(stepOf(plan, 'match').summary).toMatch(/matched to stored user u1 .* by externalId ext-ann/);
    expect(stepOf(plan, 'attributes').summary).toBe('unchanged: no write');
    expect(stepOf(plan, 'groups').summary).toBe('memberships and roles unchanged');
  });

  it('shows a changed attribute field by field, before and after, and plans one update', () => {
    const plan = planProvision(input({ stored: storedAnn(), live: live(person({ displayName: 'Annabel', familyName: 'Lee-Smith' })) }));
    expect(plan.outcome).toBe('updated');
    expect(plan.changes).toMatchObject([{ kind: 'user.update', userId: 'u1' }]);
    expect(stepOf(plan, 'attributes').detail.changes).toEqual([
      { field: 'displayName', before: 'Ann', after: 'Annabel' },
      { field: 'familyName', before: 'Lee', after: 'Lee-Smith' },
    ]);
  });

  it('moves memberships and roles: joins and leaves groups, grants and revokes mapped roles, keeps manual ones', () => {
    const ops = { id: 'gid-ops', externalId: 'g-Ops', displayName: 'Ops', connectionId: CONN };
    const plan = planProvision(
      input({
        stored: storedAnn(),
        live: live(person(), ['Staff']),
        storedGroups: [ops],
        knownGroups: new Map([['g-Staff', { id: 'gid-staff', displayName: 'Staff', sourceHash: null }]]),
        mappings: [mapping('Staff', 'staff'), mapping('Ops', 'pager')],
        roles: [
          { id: 'r-pager', name: 'pager', source: 'idp' },
          { id: 'r-boss', name: 'boss', source: 'manual' },
        ],
      }),
    );
    expect(plan.outcome).toBe('updated');
    expect(plan.changes).toEqual([
      { kind: 'membership.add', groupId: 'gid-staff', userId: 'u1' },
      { kind: 'membership.remove', groupId: 'gid-ops', userId: 'u1' },
    ]);
    expect(stepOf(plan, 'groups').detail).toMatchObject({ add: ['Staff'], remove: ['Ops'], rolesGranted: ['staff'], rolesRevoked: ['pager'], manualRolesKept: ['boss'] });
    expect(stepOf(plan, 'groups').summary).toBe('join Staff; leave Ops; roles granted: staff; roles revoked: pager');
  });

  it('matches mappings by external id and tenant-wide ones across connections, as the recompute does', () => {
    const other = { id: 'gid-x', externalId: 'x-1', displayName: 'Elsewhere', connectionId: OTHER };
    const plan = planProvision(
      input({
        live: live(person(), ['Staff']),
        storedGroups: [],
        mappings: [mapping('g-Staff', 'by-id', { matchBy: 'external_id' }), mapping('Staff', 'other-conn', { connectionId: OTHER })],
      }),
    );
    expect(stepOf(plan, 'groups').detail.rolesGranted).toEqual(['by-id']);
    const stored = planProvision(input({ stored: storedAnn(), storedGroups: [other], mappings: [mapping('Elsewhere', 'wide', { connectionId: null, tenantWide: true })] }));
    expect(stepOf(stored, 'groups').detail.rolesGranted).toEqual(['wide']);
  });

  it('leaves out removals when the IdP lists direct groups only', () => {
    const ops = { id: 'gid-ops', externalId: 'g-Ops', displayName: 'Ops', connectionId: CONN };
    const plan = planProvision(input({ stored: storedAnn(), storedGroups: [ops], groupsComplete: false }));
    expect(plan).toMatchObject({ outcome: 'no-change', changes: [] });
    expect(stepOf(plan, 'groups').summary).toMatch(/removals wait for the next sync/);
  });

  it('deactivates a stored user out of scope, revoking their mapped roles, and creates nobody new out of scope', () => {
    const scope = { groups: ['Staff'] };
    const out = planProvision(input({ stored: storedAnn(), live: live(person(), ['Ops']), scope, roles: [{ id: 'r-staff', name: 'staff', source: 'idp' }] }));
    expect(out.outcome).toBe('deactivated');
    expect(out.changes).toEqual([{ kind: 'user.deactivate', userId: 'u1', reason: expect.stringMatching(/scope/) }]);
    expect(stepOf(out, 'scope')).toMatchObject({ status: 'ok', detail: { inScope: false } });
    expect(stepOf(out, 'scope').summary).toMatch(/in none of the scope groups \(Staff\)/);
    expect(stepOf(out, 'groups').detail.rolesRevoked).toEqual(['staff']);
    const fresh = planProvision(input({ live: live(person(), ['Ops']), scope }));
    expect(fresh).toMatchObject({ outcome: 'skipped', changes: [], userId: undefined });
    expect(stepOf(fresh, 'attributes').status).toBe('skipped');
    const excluded = planProvision(input({ stored: storedAnn({ active: false }), scope: { excludeEmailPatterns: ['*@acme.test'] } }));
    expect(excluded).toMatchObject({ outcome: 'no-change', changes: [] });
    expect(stepOf(excluded, 'scope').summary).toMatch(/matches an excluded pattern/);
  });

  it('creates a user disabled in the IdP inactive, as the reconciler does, and deactivates a stored one', () => {
    const fresh = planProvision(input({ live: live(person({ active: false }), ['Staff']), mappings: [mapping('Staff', 'staff')] }));
    expect(fresh.outcome).toBe('created');
    expect(fresh.changes[0]).toMatchObject({ kind: 'user.create', active: false });
    expect(stepOf(fresh, 'groups').detail.rolesGranted).toEqual([]);
    const stored = planProvision(input({ stored: storedAnn(), live: live(person({ active: false })), roles: [{ id: 'r-staff', name: 'staff', source: 'idp' }] }));
    expect(stored.outcome).toBe('deactivated');
    expect(stored.changes).toEqual([{ kind: 'user.deactivate', userId: 'u1', reason: 'disabled in the IdP (provisioned on demand)' }]);
    expect(stepOf(stored, 'attributes').detail.active).toEqual({ before: true, after: false });
    expect(stepOf(stored, 'groups').detail.rolesRevoked).toEqual(['staff']);
    const back = planProvision(input({ stored: storedAnn({ active: false }) }));
    expect(back).toMatchObject({ outcome: 'reactivated', changes: [{ kind: 'user.reactivate', userId: 'u1' }] });
  });

  it('says what a full sync would do to a stored user the IdP no longer has, and does nothing', () => {
    const gone = planProvision(input({ live: null, stored: storedAnn() }));
    expect(gone).toMatchObject({ outcome: 'not-found', changes: [], userId: 'u1' });
    expect(stepOf(gone, 'match')).toMatchObject({ status: 'ok', detail: { fullSyncWould: 'deactivate' } });
    expect(stepOf(gone, 'match').summary).toMatch(/next full sync would deactivate them/);
    expect(planProvision(input({ live: null, stored: storedAnn({ active: false }) })).steps[0]!.detail.fullSyncWould).toBe('nothing');
    expect(planProvision(input({ live: null }))).toMatchObject({ outcome: 'not-found', changes: [], userId: undefined });
  });

  it('holds back a new user whose userName another user holds, as a sync run does', () => {
    const userNames = { keys: new Map([['ann@acme.test', 'ann@acme.test']]), holders: new Map([['ann@acme.test', { userId: 'u9', userName: 'Ann@acme.test', connection: 'acme/okta' }]]) };
    const plan = planProvision(input({ live: live(person(), ['Staff']), userNames }));
    expect(plan).toMatchObject({ outcome: 'skipped', changes: [] });
    expect(plan.blocked).toMatch(/"ann@acme.test" \(held by a user of acme\/okta\)/);
    expect(stepOf(plan, 'attributes').status).toBe('failed');
    const rename = planProvision(input({ stored: storedAnn({ userName: 'old@acme.test' }), userNames }));
    expect(rename.outcome).toBe('updated');
    expect(rename.heldBack).toMatch(/acme\/okta/);
    expect(rename.changes[0]).toMatchObject({ kind: 'user.update' });
    expect((rename.changes[0] as { attributes: Record<string, unknown> }).attributes.userName).toBeUndefined();
  });

  it('does not create a user whose record is too long to store, and says why', () => {
    const plan = planProvision(input({ live: live(person({ userName: `${'a'.repeat(600)}@acme.test` }), ['Staff']) }));
    expect(plan).toMatchObject({ outcome: 'skipped', changes: [], userId: undefined });
    expect(plan.blocked).toMatch(/^the IdP.s record of this user cannot be stored: .*userName/);
    expect(stepOf(plan, 'attributes')).toMatchObject({ status: 'failed' });
    expect(stepOf(plan, 'groups')).toMatchObject({ status: 'skipped', detail: { rolesGranted: [] } });
  });

  it('times each step by the clock it is given', () => {
    let t = 0;
    const plan = planProvision(input({ now: () => (t += 5) }));
    expect(plan.steps.map((s) => s.ms)).toEqual([5, 5, 5, 5]);
  });
});
