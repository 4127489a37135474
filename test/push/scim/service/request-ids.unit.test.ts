/** Which request each object of a coalesced SCIM batch came from (pure). */
import { describe, expect, it } from 'vitest';
import { requestsByObject } from '../../../../src/push/scim/service/coalescer.js';

const request = (requestId: string) => ({ tenantId: 't', actor: { type: 'scim' as const, id: 'token:1', requestId } });

describe('requestsByObject', () => {
  it('names each object by the ids its events carry, and an object two requests changed by neither', () => {
    const map = requestsByObject([
      { options: request('r1'), changes: [{ kind: 'user.update', userId: 'u1', attributes: { displayName: 'A' } }] },
      { options: request('r2'), changes: [{ kind: 'membership.add', groupId: 'g1', userId: 'u2' }] },
      { options: request('r3'), changes: [{ kind: 'user.deactivate', userId: 'u1' }] },
    ]);
    expect(map).toEqual({ u1: null, g1: 'r2', u2: 'r2' });
  });
});
