/**
 * The `ldap` provider's directory for the sync benchmark: not a fake but a
 * real slapd (test/support/slapd.ts), in the fake process so that its
 * seeding is not counted in the Roster process. Users are inetOrgPerson
 * entries under ou=people, groups groupOfNames under ou=groups whose `member`
 * values are user DNs. The whole directory is one LDIF loaded by `slapadd`
 * before slapd starts (1.0–1.6 s for 10k users, start included, where one
 * `ldapadd` through the server took 5.6–7.6 s with dbnosync, 24 s without:
 * measured on a loaded 2-core machine); slapadd gives entries their
 * entryUUID and entryCSN and the suffix its contextCSN, as the server would.
 *
 * Requests served are read from the server's cn=Monitor: the bind and
 * search operations it completed (each page of a paged search is one search
 * operation), less the monitor's own reads.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'ldapts';
import { prng } from '../../test/fakes/prng.js';
import { BASE_DN, startSlapd, type Slapd } from '../../test/support/slapd.js';
import type { TlsMaterial } from '../../test/fakes/tls.js';

/** The provider's default page size (src/pull/providers/ldap/settings.ts), set explicitly so the minimum below follows it. */
export const LDAP_PAGE_SIZE = 500;

const uidOf = (i: number) => `u${String(i).padStart(6, '0')}`;
const userDn = (baseDn: string, i: number) => `uid=${uidOf(i)},ou=people,${baseDn}`;

/**
 * The directory as LDIF: `users` people, `groups` groups and `memberships`
 * member values, each user in ⌊memberships/users⌋ or one more distinct
 * groups drawn with a seeded PRNG (the same directory every run).
 */
function directoryLdif(baseDn: string, users: number, groups: number, memberships: number, seed: number): string {
  const random = prng(seed);
  const members: number[][] = Array.from({ length: groups }, () => []);
  const perUser = Math.min(groups, Math.floor(memberships / users));
  const extra = memberships - perUser * users;
  for (let u = 0; u < users; u++) {
    const want = Math.min(groups, perUser + (u < extra ? 1 : 0));
    const chosen = new Set<number>();
    while (chosen.size < want) chosen.add(Math.floor(random() * groups));
    for (const g of chosen) members[g]!.push(u);
  }
  const out: string[] = [];
  for (let u = 0; u < users; u++) {
    const uid = uidOf(u);
    out.push(`dn: ${userDn(baseDn, u)}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: User ${u}`, `givenName: User`, `sn: N${u}`, `mail: ${uid}@roster.test`, '');
  }
  for (let g = 0; g < groups; g++) {
    out.push(`dn: cn=g${String(g).padStart(5, '0')},ou=groups,${baseDn}`, 'objectClass: groupOfNames', `cn: g${String(g).padStart(5, '0')}`);
    // groupOfNames needs a member (RFC 4519): an empty group names the base entry, which is nobody.
    if (members[g]!.length === 0) out.push(`member: ${baseDn}`);
    for (const u of members[g]!) out.push(`member: ${userDn(baseDn, u)}`);
    out.push('');
  }
  return out.join('\n');
}

export interface LdapDirectory {
  settings: Record<string, unknown>;
  minimumRequests: number;
  served(): Promise<number>;
  change(step: number, round: number): number;
  close(): Promise<void>;
  seedMs: number;
}

export async function startLdapDirectory(users: number, groups: number, memberships: number, seed: number, tls: TlsMaterial): Promise<LdapDirectory> {
  const work = mkdtempSync(path.join(tmpdir(), 'roster-bench-ldap-'));
  const started = performance.now();
  let slapd: Slapd;
  try {
    const file = path.join(work, 'directory.ldif');
    writeFileSync(file, directoryLdif(BASE_DN, users, groups, memberships, seed));
    // ~1.5 KB of map per user with its indexes and memberships (18 MB at 10k): room for the changes too.
    slapd = await startSlapd({ tls, monitor: true, noSync: true, preload: { file }, mapSizeMb: Math.max(64, Math.ceil(users / 1000) * 8) });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const seedMs = Math.round(performance.now() - started);
  const auth = ['-x', '-H', slapd.url, '-D', slapd.rootDn, '-w', slapd.rootPw];

  // cn=Monitor counts every operation the server completed, the monitor's own reads included.
  const monitor = new Client({ url: slapd.url });
  let monitorReads = 0;
  const completed = async () => {
    let n = 0;
    for (const op of ['Bind', 'Search']) {
      const { searchEntries } = await monitor.search(`cn=${op},cn=Operations,cn=Monitor`, { scope: 'base', attributes: ['monitorOpCompleted'] });
      n += Number(searchEntries[0]?.monitorOpCompleted);
      monitorReads++;
    }
    // The read under way is not completed yet: the earlier ones are, and are not the sync's.
    return n - (monitorReads - 2);
  };
  let before = await completed();
  const pages = (n: number) => Math.max(1, Math.ceil(n / LDAP_PAGE_SIZE));
  return {
    settings: {
      url: slapd.url,
      // StartTLS with the test CA, as a deployment would be; the root DN is not size-limited.
      caCert: readFileSync(tls.caPath, 'utf8'),
      bindDn: slapd.rootDn,
      bindPassword: slapd.rootPw,
      baseDn: slapd.baseDn,
      flavor: 'openldap',
      pageSize: LDAP_PAGE_SIZE,
    },
    // One bind, the contextCSN read, and one paged listing each of users and of groups with their members.
    minimumRequests: 1 + 1 + pages(users) + pages(groups),
    async served() {
      const now = await completed();
      const n = now - before;
      before = now;
      return n;
    },
    change(step, round) {
      const ldif: string[] = [];
      let n = 0;
      for (let u = 0; u < users; u += step, n++) ldif.push(`dn: ${userDn(slapd.baseDn, u)}`, 'changetype: modify', 'replace: cn', `cn: Renamed ${round} ${u}`, '-', '');
      execFileSync('ldapmodify', auth, { input: ldif.join('\n'), stdio: ['pipe', 'ignore', 'pipe'] });
      return n;
    },
    async close() {
      await monitor.unbind().catch(() => undefined);
      await slapd.stop();
    },
    seedMs,
  };
}
