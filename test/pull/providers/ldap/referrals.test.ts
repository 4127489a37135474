/**
 * Referrals against a real OpenLDAP (test/support/slapd.ts): a `referral`
 * entry (RFC 3296, `ref: ldap://…`) under the base DN makes slapd hand a
 * subtree search a continuation reference in place of that subtree, and a
 * search based under it the result 10, referral. Roster reports both and
 * follows neither (src/pull/providers/ldap/referrals.ts): a run that was
 * handed a reference fails after reading what it could, so users in the
 * subtree it did not read are neither deactivated nor deleted; the
 * connection test names the URL.
 */
import { Client, Control } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncReport } from '../../../../src/pull/reconcile/report.js';
import type { UserPage } from '../../../../src/admin/operations/users.js';
import type { DirectoryEvent } from '../../../../src/pull/providers/types.js';
import { MANAGE_DSA_IT_OID } from '../../../../src/pull/providers/ldap/referrals.js';
import { op, operationContext } from '../../../admin/operations/support.js';
import { createTestStore } from '../../../support/store.js';
import { person, startSlapd, type Slapd } from '../../../support/slapd.js';
import { connect, ldapSettings, usersIn } from './support.js';

const PEOPLE = 'ou=people,dc=roster,dc=test';
const BRANCH = 'ou=branch,dc=roster,dc=test';
const ELSEWHERE = 'ldap://ldap2.example:389/ou=branch,dc=roster,dc=test';

let slapd: Slapd;

/** Replace the real ou=branch (and cy in it) by a referral to another server, as a directory split across servers has it. */
async function branchMovesAway(): Promise<void> {
  await slapd.del(`uid=cy,${BRANCH}`);
  await slapd.del(BRANCH);
  // ManageDsaIT: the referral object itself is written, not acted on.
  const client = new Client({ url: slapd.url });
  try {
    await client.bind(slapd.rootDn, slapd.rootPw);
    await client.add(BRANCH, { objectClass: ['referral', 'extensibleObject'], ou: 'branch', ref: ELSEWHERE }, new Control(MANAGE_DSA_IT_OID));
  } finally {
    await client.unbind();
  }
}

/** The pages a run yields until it throws, and what it threw. */
async function drainUntilThrown(pages: AsyncIterable<DirectoryEvent[]>): Promise<{ events: DirectoryEvent[]; error: unknown }> {
  const events: DirectoryEvent[] = [];
  try {
    for await (const page of pages) events.push(...page);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

beforeAll(async () => {
  slapd = await startSlapd();
  for (const uid of ['ann', 'bo']) await slapd.add(`uid=${uid},${PEOPLE}`, person(uid));
  await slapd.add(BRANCH, { objectClass: 'organizationalUnit', ou: 'branch' });
  await slapd.add(`uid=cy,${BRANCH}`, person('cy'));
});

afterAll(async () => {
  await slapd?.stop();
});

describe('a referral under the base DN', () => {
  it('fails full and delta runs after reading the rest, without deactivating or deleting the users it could not read', async () => {
    const store = await createTestStore();
    try {
      const ctx = operationContext(store);
      await op(ctx, 'tenant.create', { slug: 'acme' });
      await op(ctx, 'connection.create', { tenant: 'acme', name: 'ldap', kind: 'ldap', settings: { ...ldapSettings(slapd), bindPassword: slapd.rootPw } });
      expect(await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/ldap' })).toMatchObject({ status: 'succeeded', mode: 'full', counts: { usersCreated: 3 } });

      await branchMovesAway();
      await slapd.add(`uid=di,${PEOPLE}`, person('di'));
      for (const full of [false, true]) {
        const report = await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/ldap', full });
        expect(report).toMatchObject({ status: 'partial', mode: full ? 'full' : 'delta', counts: { usersDeactivated: 0, usersDeleted: 0 } });
        expect(report.error).toContain(`the directory returned a referral to ${ELSEWHERE}??sub`);
        expect(report.error).toMatch(/point baseDn at that server or add it as another connection/);
      }
      const { users } = await op<UserPage>(ctx, 'user.list', { tenant: 'acme' });
      // cy lives on the other server now: still active; di, read in the same runs, was created.
      expect(users.map((u) => [u.userName, u.active]).sort()).toEqual([['ann', true], ['bo', true], ['cy', true], ['di', true]]);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('the provider yields what it read, then throws naming the URL, and gives no cursor', async () => {
    const run = await connect(slapd, { pageSize: 1 }).provider.run({ cursor: null });
    const { events, error } = await drainUntilThrown(run.pages);
    expect(usersIn(events).map((u) => u.userName).sort()).toEqual(['ann', 'bo', 'di']);
    expect(error).toMatchObject({ name: 'ProviderError', kind: 'not-found', message: expect.stringMatching(/referral to ldap:\/\/ldap2\.example:389\/ou=branch.*This run is incomplete and deactivates nobody/) });
    expect(run.nextCursor()).toBeNull();
  });

  it('a base DN under the referral: the connection test names the URL, a run fails with result 10', async () => {
    const { provider } = connect(slapd, { baseDn: BRANCH });
    const result = await provider.test();
    expect(result.ok).toBe(false);
    expect(result.checks.at(-1)).toEqual({
      name: `base DN ${BRANCH}`,
      ok: false,
      detail: `the directory returned a referral to ${ELSEWHERE}: point baseDn at that server or add it as another connection`,
    });
    const below = await connect(slapd, { baseDn: `ou=east,${BRANCH}` }).provider.test();
    expect(below.checks.at(-1)?.detail).toMatch(`referral to ${ELSEWHERE}`);
    const run = await provider.run({ cursor: null });
    await expect(drainUntilThrown(run.pages).then((r) => r.error)).resolves.toMatchObject({ kind: 'not-found', status: 10, message: expect.stringMatching(/LDAP result 10 referral .*does not follow referrals/) });
  });
});
