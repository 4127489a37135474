/** Building the ldap provider against a test slapd, and reading a run's events. */
import { silentLogger } from '../../../../src/core/logging/index.js';
import { createLdapProvider } from '../../../../src/pull/providers/ldap/index.js';
import type { DirectoryEvent, DirectoryProvider, DirectoryRun, ProviderStats } from '../../../../src/pull/providers/types.js';
import type { Slapd } from '../../../support/slapd.js';

export function ldapSettings(slapd: Slapd, extra: Record<string, unknown> = {}): Record<string, unknown> {
  // The test server has no TLS; 127.0.0.1 is a trusted host in the test config (vitest.config.ts).
  return { url: slapd.url, bindDn: slapd.rootDn, baseDn: slapd.baseDn, startTls: false, inactiveAttribute: 'pwdAccountLockedTime', ...extra };
}

export function connect(slapd: Slapd, extra: Record<string, unknown> = {}, password = slapd.rootPw): { provider: DirectoryProvider; stats: ProviderStats } {
  const stats: ProviderStats = { apiRequests: 0, throttled: 0 };
  const provider = createLdapProvider({ settings: ldapSettings(slapd, extra), secrets: { bindPassword: password }, logger: silentLogger(), stats, concurrency: 4 });
  return { provider, stats };
}

export async function drain(run: DirectoryRun): Promise<DirectoryEvent[]> {
  const events: DirectoryEvent[] = [];
  for await (const page of run.pages) events.push(...page);
  return events;
}

export const usersIn = (events: DirectoryEvent[]) => events.flatMap((e) => (e.type === 'user' ? [e.user] : []));
export const membersIn = (events: DirectoryEvent[], groupId: string) =>
  events.find((e): e is Extract<DirectoryEvent, { type: 'members' }> => e.type === 'members' && e.groupExternalId === groupId);
