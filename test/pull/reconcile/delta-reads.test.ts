/**
 * A delta reads the stored state only when it has something to lay over it
 * (issue 15, "no-change resync"): its pages wait until it is known whether
 * any event came. These tests pin that the shortcut never skips what a run
 * must do: a delta with events applies them, a scope is still applied to the
 * stored users, a fall-back to a full listing still deactivates who is
 * missing, and a failed listing is not taken for "nothing changed".
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import { ProviderError, type DirectoryEvent, type DirectoryProvider, type SyncMode } from '../../../src/pull/providers/index.js';
import { syncConnection } from '../../../src/pull/reconcile/run.js';
import { findConnectionById, queryRows, type ConnectionRow } from '../../../src/core/store/index.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';
import { groupEvent, members, userEvent } from './fixtures.js';

let store: TestStore;
let connectionId: string;
let name = 0;

/** What the scripted IdP answers next: a mode, its pages, or a failure after them. */
interface Answer {
  mode: SyncMode;
  pages: DirectoryEvent[][];
  failAfterPages?: boolean;
}
let answers: Answer[] = [];
const cursorsSeen: unknown[] = [];
let served = 0;

const provider: DirectoryProvider = {
  test: () => Promise.reject(new Error('not used')),
  fetchUser: () => Promise.reject(new Error('not used')),
  async run({ cursor }) {
    cursorsSeen.push(cursor);
    const answer = answers.shift();
    if (!answer) throw new Error('the test gave the IdP no answer');
    served += 1;
    const token = `token-${served}`;
    return {
      mode: answer.mode,
      pages: (async function* () {
        for (const page of answer.pages) yield page;
        if (answer.failAfterPages) throw new ProviderError('network', 'the IdP went away');
      })(),
      nextCursor: () => token,
    };
  },
};

const connection = async (): Promise<ConnectionRow> => (await findConnectionById(store.db, connectionId))!;
const sync = async (answer: Answer) => {
  answers = [answer];
  return syncConnection({ db: store.db, logger: silentLogger(), actor: { type: 'cli', id: 'tester' }, providerFor: () => provider }, await connection(), {
    label: 'acme/idp',
    secrets: {},
  });
};
const activeUsers = async () =>
  (await queryRows<{ external_id: string }>(store.db, sql`select external_id from users where connection_id = ${connectionId}::uuid and active order by external_id`)).map((r) => r.external_id);
const auditCount = async () => (await queryRows<{ n: number }>(store.db, sql`select count(*)::int as n from audit_events where connection_id = ${connectionId}::uuid`))[0]!.n;
const savedProviderCursor = async () => ((await connection()).deltaCursor as { provider?: unknown } | null)?.provider;

const everyone: DirectoryEvent[][] = [[userEvent('ann'), userEvent('bob'), userEvent('cy', { email: 'cy@contractor.test' })], [groupEvent('staff'), members('staff', ['ann', 'bob', 'cy'])]];

beforeEach(async () => {
  store ??= await createTestStore();
  const ctx = operationContext(store);
  name += 1;
  await op(ctx, 'tenant.create', { slug: `acme${name}` });
  const created = await op(ctx, 'connection.create', { tenant: `acme${name}`, name: 'idp', kind: 'okta', settings: { orgUrl: 'https://acme.okta.test', apiToken: 'unused' } });
  connectionId = created.id;
  // Deactivating one of three users is over the default deletion threshold: these runs are not about the guard.
  await op(ctx, 'connection.update', { connection: `acme${name}/idp`, deletionThreshold: '100%' });
  const first = await sync({ mode: 'full', pages: everyone });
  expect(first.status).toBe('succeeded');
});
afterAll(() => store?.close());

describe('a delta that brings nothing', () => {
  it('plans nothing, reports what the last run synced, writes no directory row and keeps the new cursor', async () => {
    const events = await auditCount();
    const report = await sync({ mode: 'delta', pages: [[], []] });
    expect(report.status).toBe('succeeded');
    expect(report.mode).toBe('delta');
    expect([report.usersSynced, report.groupsSynced]).toEqual([3, 1]);
    expect(report.counts.rowsWritten).toBe(0);
    expect(await auditCount()).toBe(events);
    // The IdP was asked from the first run's cursor, and the run kept the IdP's next one.
    expect(cursorsSeen.at(-1)).toBe(`token-${served - 1}`);
    expect(await savedProviderCursor()).toBe(`token-${served}`);
    // And again: the counts carried in the cursor carry on.
    const again = await sync({ mode: 'delta', pages: [] });
    expect([again.status, again.usersSynced, again.groupsSynced]).toEqual(['succeeded', 3, 1]);
  });

  it('still applies a scope narrowed since the last run to the stored users', async () => {
    await op(operationContext(store), 'connection.update', { connection: `acme${name}/idp`, settings: { orgUrl: 'https://acme.okta.test', apiToken: 'unused', scope: { excludeEmailPatterns: ['*@contractor.test'] } } });
    const report = await sync({ mode: 'delta', pages: [] });
    expect(report.status).toBe('succeeded');
    expect(report.counts.usersDeactivated).toBe(1);
    expect(await activeUsers()).toEqual(['ann', 'bob']);
  });

  it('is not taken for "nothing changed" when the listing failed', async () => {
    const before = await savedProviderCursor();
    const report = await sync({ mode: 'delta', pages: [], failAfterPages: true });
    expect(report.status).not.toBe('succeeded');
    expect(await savedProviderCursor()).toBe(before);
  });
});

describe('a delta with events', () => {
  it('reads the stored state after its pages and applies them', async () => {
    const report = await sync({ mode: 'delta', pages: [[userEvent('bob', { displayName: 'Robert' })], [userEvent('dee')], [members('staff', ['dee'], [], 'add')]] });
    expect(report.status).toBe('succeeded');
    expect([report.counts.usersUpdated, report.counts.usersCreated, report.counts.membershipsAdded]).toEqual([1, 1, 1]);
    expect([report.usersSynced, report.groupsSynced]).toEqual([4, 1]);
    const [bob] = await queryRows<{ display_name: string }>(store.db, sql`select display_name from users where connection_id = ${connectionId}::uuid and external_id = 'bob'`);
    expect(bob!.display_name).toBe('Robert');
    // The counts a later empty delta reports are this run's.
    const empty = await sync({ mode: 'delta', pages: [] });
    expect([empty.usersSynced, empty.groupsSynced]).toEqual([4, 1]);
  });

  it('deactivates a user the delta removed, though its only page is small', async () => {
    const report = await sync({ mode: 'delta', pages: [[{ type: 'user.removed', externalId: 'cy', reason: 'soft-deleted' }]] });
    expect(report.counts.usersDeactivated).toBe(1);
    expect(await activeUsers()).toEqual(['ann', 'bob']);
  });
});

describe('an IdP that answers a delta request with a full listing', () => {
  it('still deactivates whoever the listing leaves out', async () => {
    const report = await sync({ mode: 'full', pages: [[userEvent('ann'), userEvent('bob')], [groupEvent('staff'), members('staff', ['ann', 'bob'])]] });
    expect(report.mode).toBe('full');
    expect(report.counts.usersDeactivated).toBe(1);
    expect(await activeUsers()).toEqual(['ann', 'bob']);
  });
});
