/**
 * An ldap connection through the operations layer, against a real slapd:
 * created with its secret split off, tested, synced, answering a login live,
 * and its bind password never following a changed server URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logging/index.js';
import { LoginSyncService } from '../../../src/login/index.js';
import type { OperationContext } from '../../../src/admin/operations/index.js';
import type { SyncReport } from '../../../src/pull/reconcile/report.js';
import { op, operationContext } from '../../admin/operations/support.js';
import { person, startSlapd, type Slapd } from '../../support/slapd.js';
import { createTestStore, type TestStore } from '../../support/store.js';

describe('an ldap connection', () => {
  let slapd: Slapd;
  let store: TestStore;
  let ctx: OperationContext;

  beforeAll(async () => {
    slapd = await startSlapd();
    await slapd.add(`uid=ann,ou=people,${slapd.baseDn}`, person('ann'));
    await slapd.add(`cn=eng,ou=groups,${slapd.baseDn}`, { objectClass: 'groupOfNames', cn: 'eng', member: `uid=ann,ou=people,${slapd.baseDn}` });
    store = await createTestStore();
    ctx = operationContext(store);
    await op(ctx, 'tenant.create', { slug: 'acme' });
  });

  afterAll(async () => {
    await store?.close();
    await slapd?.stop();
  });

  it('is created with its bind password kept secret, tested and synced', async () => {
    const settings = { url: slapd.url, bindDn: slapd.rootDn, bindPassword: slapd.rootPw, baseDn: slapd.baseDn, startTls: false };
    const created = await op(ctx, 'connection.create', { tenant: 'acme', name: 'dir', kind: 'ldap', settings });
    expect(created).toMatchObject({ kind: 'ldap', settings: { url: slapd.url, bindPassword: '(set)' } });
    const tested = await op(ctx, 'connection.test', { connection: 'acme/dir' });
    expect(tested).toMatchObject({ ok: true, kind: 'ldap' });
    const report = await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/dir' });
    expect(report).toMatchObject({ status: 'succeeded', mode: 'full', counts: { usersCreated: 1, groupsCreated: 1 } });
    expect((await op<SyncReport>(ctx, 'sync.run', { connection: 'acme/dir' })).mode).toBe('delta');
  });

  it('answers a login live, with the groups naming the user', async () => {
    const logins = new LoginSyncService({ store, keyring: ctx.keyring, logger: silentLogger() });
    const answer = await logins.login('acme', { userName: 'ann' }, { type: 'login', id: 'test' });
    expect(answer).toMatchObject({ allowed: true, source: 'live', groups: [{ displayName: 'eng' }] });
  });

  it('asks for the bind password again when the server URLs change', async () => {
    const settings = { urls: ['ldap://127.0.0.1:1/', slapd.url], bindDn: slapd.rootDn, baseDn: slapd.baseDn, startTls: false };
    await expect(op(ctx, 'connection.update', { connection: 'acme/dir', settings })).rejects.toThrow(/give "bindPassword" again/);
    await op(ctx, 'connection.update', { connection: 'acme/dir', settings: { ...settings, bindPassword: slapd.rootPw } });
    expect(await op(ctx, 'connection.test', { connection: 'acme/dir' })).toMatchObject({ ok: true });
  });

  it('is tested against the outbound URL policy first, every URL of `urls` included', async () => {
    const trusted = process.env.ROSTER_TRUSTED_HOSTS;
    process.env.ROSTER_TRUSTED_HOSTS = '';
    try {
      const result = await op(ctx, 'connection.test', { connection: 'acme/dir' });
      expect(result).toMatchObject({ ok: false, checks: [{ name: 'outbound URL policy (urls)', ok: false, detail: expect.stringMatching(/loopback address/) }] });
    } finally {
      process.env.ROSTER_TRUSTED_HOSTS = trusted;
    }
  });
});
