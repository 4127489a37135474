/** The provisioning log's item shape (pure): moved fields, audit events, outcomes and held changes. */
import { describe, expect, it } from 'vitest';
import { auditItem, heldItem, movedFields, outcomeItem } from '../../../src/admin/operations/log-items.js';
import type { AuditEventRow, ChangeOutcomeRow, EntityNames } from '../../../src/core/store/index.js';

const names: EntityNames = {
  users: new Map([['u1', { userName: 'ann@x', externalId: 'e1' }]]),
  groups: new Map([['g1', { displayName: 'Staff', externalId: 'eg1' }]]),
};
const at = new Date('2026-01-02T03:04:05Z');
const audit = (over: Partial<AuditEventRow>): AuditEventRow => ({
  id: 1, tenantId: 't', connectionId: 'c', action: 'user.updated', entityType: 'user', entityId: 'u1', actorType: 'scim', actorId: 'token:1',
  runId: null, requestId: 'req-1', reason: null, before: null, after: null, txId: '1', createdAt: at, ...over,
});

describe('movedFields', () => {
  it('keeps only the fields that moved, without bookkeeping columns', () => {
    expect(movedFields({ user_name: 'a', display_name: 'A', updated_at: 1, source_hash: 'h1' }, { user_name: 'a', display_name: 'B', updated_at: 2, source_hash: 'h2' })).toEqual({
      before: { display_name: 'A' },
      after: { display_name: 'B' },
    });
  });

  it('keeps the whole record of a create or a delete', () => {
    expect(movedFields(null, { id: 'u1', user_name: 'a', tenant_id: 't' })).toEqual({ before: null, after: { user_name: 'a' } });
  });
});

describe('items', () => {
  it('turns an update event into its outcome, the user\'s names and its request', () => {
    const item = auditItem(audit({ before: { display_name: 'A', user_name: 'ann@x' }, after: { display_name: 'B', user_name: 'ann@x' } }), names);
    expect(item).toEqual({
      at: at.toISOString(), kind: 'user', outcome: 'updated', action: 'user.updated',
      entity: { type: 'user', id: 'u1', externalId: 'e1', userName: 'ann@x' },
      before: { display_name: 'A' }, after: { display_name: 'B' }, reason: null,
      source: { type: 'scim', runId: null, requestId: 'req-1', actorId: 'token:1' },
    });
  });

  it('names a membership\'s user and group', () => {
    const item = auditItem(audit({ action: 'membership.added', entityType: 'group', entityId: 'g1', after: { groupId: 'g1', userId: 'u1' } }), names);
    expect(item).toMatchObject({ kind: 'membership', outcome: 'added', entity: { type: 'membership', id: 'u1', userName: 'ann@x', group: { id: 'g1', displayName: 'Staff' } } });
  });

  it('turns an outcome row into an item with its would-be action', () => {
    const row: ChangeOutcomeRow = {
      id: 1, tenantId: 't', connectionId: 'c', runId: null, requestId: 'r1', source: 'scim', entityType: 'user', entityId: 'u1', externalId: null,
      userName: 'ann@x', outcome: 'failed', reason: 'SCIM 409 uniqueness: taken', detail: { action: 'user.patch', actorId: 'token:1' }, createdAt: at,
    };
    expect(outcomeItem(row)).toMatchObject({ kind: 'user', outcome: 'failed', action: 'user.patch', source: { type: 'scim', requestId: 'r1', actorId: 'token:1' } });
  });

  it('renders a held change with the names from the store and why it waits', () => {
    const item = heldItem({ kind: 'user.deactivate', userId: 'u1', reason: 'disabled in the IdP' }, names, { id: 'run', finishedAt: at, status: 'held', error: 'held: too many' });
    expect(item).toMatchObject({ outcome: 'held', action: 'user.deactivate', entity: { type: 'user', id: 'u1', userName: 'ann@x', externalId: 'e1' }, reason: 'disabled in the IdP; held: too many' });
    const rejected = heldItem({ kind: 'membership.remove', userId: 'u1', groupId: 'g1' }, names, { id: 'run', finishedAt: at, status: 'rejected', error: null });
    expect(rejected).toMatchObject({ kind: 'membership', entity: { group: { displayName: 'Staff' } }, reason: expect.stringContaining('rejected') });
  });
});
