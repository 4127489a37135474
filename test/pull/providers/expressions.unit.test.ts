/** Attribute expressions where the provider's users come out, and what they do to the source hash. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import { compileMapping } from '../../../src/core/mapping/index.js';
import { applyExpressions, withExpressions } from '../../../src/pull/providers/expressions.js';
import type { DirectoryEvent, DirectoryProvider, DirectoryUser } from '../../../src/pull/providers/types.js';
import { userHash } from '../../../src/pull/reconcile/hash.js';
import { plainUser } from '../../../src/pull/providers/zitadel/map.js';

const ann: DirectoryUser = { externalId: 'e1', userName: 'Ann@X.test', email: 'ann@x.test', displayName: 'Ann', givenName: 'Ann', familyName: 'Lee', active: true };

describe('the source hash', () => {
  it('is the one stored before custom attributes existed when a connection has no expressions', () => {
    // The hash as Roster computed it before this change: an upgraded connection's next no-change run writes nothing.
    const before = createHash('sha256')
      .update('{"displayName":"Ann","email":"ann@x.test","familyName":"Lee","givenName":"Ann","profile":null,"userName":"Ann@X.test","v":1}')
      .digest('base64url')
      .slice(0, 27);
    expect(userHash(ann)).toBe(before);
  });

  it('changes with a custom attribute, and not with the raw record', () => {
    const withCustom = { ...ann, customAttributes: { costCenter: 'CC-1' } };
    expect(userHash(withCustom)).not.toBe(userHash(ann));
    expect(userHash({ ...withCustom, customAttributes: { costCenter: 'CC-2' } })).not.toBe(userHash(withCustom));
    expect(userHash({ ...withCustom, source: { anything: 1 } })).toBe(userHash(withCustom));
  });
});

describe('applying expressions to a provider', () => {
  const mapping = compileMapping({ fields: { userName: '$lowercase(upn)', displayName: 'nothing' }, custom: { costCenter: 'ext.cc' } })!;

  it('replaces the named fields, sets custom attributes and drops the raw record', async () => {
    const { user, errors } = await applyExpressions({ ...ann, source: { upn: 'ANN@X.TEST', ext: { cc: 'CC-1' } } }, mapping);
    expect(user).toEqual({ ...ann, userName: 'ann@x.test', displayName: null, customAttributes: { costCenter: 'CC-1' } });
    expect('source' in user).toBe(false);
    expect(errors).toEqual([]);
  });

  it('keeps the IdP\'s userName when the expression gives nothing, and says so', async () => {
    const { user, errors } = await applyExpressions({ ...ann, source: {} }, mapping);
    expect(user.userName).toBe('Ann@X.test');
    expect(errors).toEqual([{ field: 'fields.userName', message: expect.stringMatching(/kept/) }]);
  });

  it('maps every user of every page and of fetchUser, and leaves other events alone', async () => {
    const page: DirectoryEvent[] = [
      { type: 'user', user: { ...ann, source: { upn: 'A@B', ext: { cc: 'x' } } } },
      { type: 'group', group: { externalId: 'g', displayName: 'G' } },
    ];
    const inner: DirectoryProvider = {
      test: async () => ({ ok: true, checks: [] }),
      run: async () => ({ mode: 'full', pages: (async function* () { yield page; })(), nextCursor: () => 'c1' }),
      fetchUser: async () => ({ user: { ...ann, source: { upn: 'ONE@B' } }, groups: [] }),
    };
    const provider = withExpressions(inner, mapping, silentLogger());
    const run = await provider.run({ cursor: null });
    const pages: DirectoryEvent[][] = [];
    for await (const p of run.pages) pages.push(p);
    expect(pages[0]![0]).toEqual({ type: 'user', user: { ...ann, userName: 'a@b', displayName: null, customAttributes: { costCenter: 'x' } } });
    expect(pages[0]![1]).toBe(page[1]);
    expect(run.nextCursor()).toBe('c1');
    expect((await provider.fetchUser({ userName: 'x' }))!.user).toMatchObject({ userName: 'one@b', customAttributes: { costCenter: null } });
  });
});

describe('a Zitadel user as expressions see it', () => {
  it('is plain JSON: oneof cases as fields, 64-bit numbers as strings, no protobuf type names', () => {
    const user = { $typeName: 'zitadel.user.v2.User', userId: 'u1', details: { $typeName: 'x', sequence: 5n }, type: { case: 'human', value: { $typeName: 'h', profile: { nickName: 'CC-1' } } } };
    expect(plainUser(user as never)).toEqual({ userId: 'u1', details: { sequence: '5' }, human: { profile: { nickName: 'CC-1' } } });
  });
});
