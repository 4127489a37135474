/**
 * A throwaway OpenLDAP server per test file: a temp directory with a
 * slapd.conf (core, cosine, inetorgperson, nis schemas; back_mdb; syncprov so
 * that `contextCSN` is kept on the suffix; ppolicy for pwdAccountLockedTime;
 * refint, so that a renamed or deleted user's DN follows in its groups, as on
 * most production servers), run in the foreground so the test owns its PID
 * (IDP-NOTES "LDAP and Active Directory"). Ready in ~60 ms.
 *
 * Seeding goes through ldapts bound as the root DN, or, with `preload`, one
 * slapadd before the start (bench/sync's big directories, the demo's sample
 * with fixed entryUUIDs); `stop()` kills the server mid-test (a listing then
 * fails as a dropped connection).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';

export const SLAPD = '/usr/sbin/slapd';
export const BASE_DN = 'dc=roster,dc=test';
export const ROOT_DN = `cn=admin,${BASE_DN}`;
export const ROOT_PW = 'roster-secret';

export interface SlapdOptions {
  /** Serve TLS too: StartTLS on `url`, and `ldapsUrl` (PEM files, e.g. from test/fakes/tls.ts createTestTls). */
  tls?: { certPath: string; keyPath: string; caPath: string };
  /** A `sizelimit` line for the database (slapd.conf(5)), e.g. `size.prtotal=3`; the root DN is never limited. */
  sizeLimit?: string;
  /** The slapd program (default SLAPD); a missing one fails as a host without OpenLDAP would. */
  binary?: string;
  /** The mdb map size in MB (default 64, enough for the tests; bench/sync's 100k-user directories need more). */
  mapSizeMb?: number;
  /**
   * Serve cn=Monitor (slapd-monitor(5), built into Debian's slapd), readable by
   * anyone: bench/sync counts the operations the server completed there.
   */
  monitor?: boolean;
  /** `dbnosync`: mdb does not flush each write to disk (bench/sync seeds thousands of entries; a throwaway server needs no durability). */
  noSync?: boolean;
  /**
   * Entries under the base entry, as LDIF text or a file, loaded with `slapadd -q -w`
   * before slapd starts, after the base entry and the two OUs: ~6x faster than adding
   * them through the server. slapadd keeps the operational attributes an entry gives
   * (entryUUID: the same LDIF gives the same ids on every start), gives the others
   * their entryUUID and entryCSN, and (-w) the suffix its contextCSN.
   */
  preload?: { text: string } | { file: string };
}

export interface Slapd {
  url: string;
  /** ldaps:// on its own port, when started with `tls`. */
  ldapsUrl: string | undefined;
  /** The same server through a proxy that can fail requests (`failRequestsContaining`). */
  faultyUrl: string;
  /**
   * Through `faultyUrl`: a request whose bytes contain `text` (a filter's value travels
   * verbatim in BER) drops its connection (`drop`, as a server or a network that fails
   * mid-listing does) or is never answered (`stall`, a hung server). Null: forward everything again.
   */
  failRequestsContaining(text: string | null, fault?: 'drop' | 'stall'): void;
  port: number;
  baseDn: string;
  rootDn: string;
  rootPw: string;
  /** Everything slapd wrote to stderr (its log at `-d 0`: startup errors). */
  log(): string;
  add(dn: string, attributes: Record<string, string | string[]>): Promise<void>;
  modify(dn: string, changes: Array<{ op: 'add' | 'delete' | 'replace'; attr: string; values: string[] }>): Promise<void>;
  /** modifyDN: a rename, or a move when `newDn` has another parent. */
  moveTo(dn: string, newDn: string): Promise<void>;
  del(dn: string): Promise<void>;
  /** The entryUUID of an entry (the provider's external id). */
  uuidOf(dn: string): Promise<string>;
  /** Kill slapd now (SIGKILL): open connections drop. Idempotent. */
  kill(): Promise<void>;
  /** Kill slapd and remove its directory. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const conf = (dir: string, { tls, sizeLimit, mapSizeMb = 64, monitor = false, noSync = false }: SlapdOptions) => `
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile ${dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload syncprov
moduleload ppolicy
moduleload refint
sizelimit unlimited
${tls ? `TLSCACertificateFile ${tls.caPath}\nTLSCertificateFile ${tls.certPath}\nTLSCertificateKeyFile ${tls.keyPath}\n` : ''}${monitor ? 'database monitor\n' : ''}database mdb
maxsize ${mapSizeMb * 1024 * 1024}
${noSync ? 'dbnosync\n' : ''}suffix "${BASE_DN}"
rootdn "${ROOT_DN}"
rootpw ${ROOT_PW}
${sizeLimit ? `sizelimit ${sizeLimit}\n` : ''}directory ${dir}/data
index objectClass,entryCSN,entryUUID,uid,mail,member,uniqueMember,memberUid eq
overlay syncprov
overlay ppolicy
overlay refint
refint_attributes member uniqueMember
`;

/** The base entry and ou=people, ou=groups: every server starts with them. */
const BASE_ENTRIES: Array<[string, Record<string, string | string[]>]> = [
  [BASE_DN, { objectClass: ['dcObject', 'organization'], dc: 'roster', o: 'Roster test' }],
  [`ou=people,${BASE_DN}`, { objectClass: 'organizationalUnit', ou: 'people' }],
  [`ou=groups,${BASE_DN}`, { objectClass: 'organizationalUnit', ou: 'groups' }],
];

const asLdif = ([dn, attributes]: (typeof BASE_ENTRIES)[number]) =>
  [`dn: ${dn}`, ...Object.entries(attributes).flatMap(([name, v]) => (Array.isArray(v) ? v : [v]).map((value) => `${name}: ${value}`)), '', ''].join('\n');

/** Start slapd on a free port with the base entry and ou=people, ou=groups (and what `preload` gives). */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const binary = options.binary ?? SLAPD;
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: the LDAP tests need OpenLDAP's server (apt-get install -y slapd ldap-utils; see README "Development")`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'roster-slapd-'));
  await mkdir(path.join(dir, 'data'));
  await writeFile(path.join(dir, 'slapd.conf'), conf(dir, options));
  if (options.preload) {
    await writeFile(path.join(dir, 'base.ldif'), BASE_ENTRIES.map(asLdif).join(''));
    const entries = 'file' in options.preload ? options.preload.file : path.join(dir, 'preload.ldif');
    if ('text' in options.preload) await writeFile(entries, options.preload.text);
    // `-T a` is slapadd (the same program); it skips the monitor database (which takes no entries) with a notice: -n names the mdb one.
    const slapadd = (file: string) =>
      promisify(execFile)(binary, ['-T', 'a', '-q', '-w', '-n', options.monitor ? '2' : '1', '-f', path.join(dir, 'slapd.conf'), '-l', file], { maxBuffer: 16 << 20 });
    try {
      await slapadd(path.join(dir, 'base.ldif'));
      await slapadd(entries);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`slapadd could not load the preloaded LDIF: ${(err as { stderr?: string }).stderr?.trim() || String(err)}`);
    }
  }
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}/`;
  const ldapsUrl = options.tls ? `ldaps://127.0.0.1:${await freePort()}/` : undefined;
  const listen = ldapsUrl ? `${url} ${ldapsUrl}` : url;
  const child: ChildProcess = spawn(binary, ['-d', '0', '-f', path.join(dir, 'slapd.conf'), '-h', listen], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const admin = new Client({ url, timeout: 5000, connectTimeout: 2000 });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  // Ready when a root bind works (slapd listens before it accepts binds only briefly, if at all).
  let ready = false;
  for (let i = 0; i < 100 && !ready && child.exitCode === null; i++) {
    try {
      await admin.bind(ROOT_DN, ROOT_PW);
      ready = true;
    } catch {
      await sleep(20);
    }
  }
  if (!ready) {
    await kill();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`slapd did not start on ${url}: ${log.trim() || `exit code ${child.exitCode}`}`);
  }

  const proxy = await startDroppingProxy(port);
  const slapd: Slapd = {
    url,
    ldapsUrl,
    faultyUrl: `ldap://127.0.0.1:${proxy.port}/`,
    failRequestsContaining: (text, fault = 'drop') => {
      proxy.pattern = text === null ? null : Buffer.from(text);
      proxy.fault = fault;
    },
    port,
    baseDn: BASE_DN,
    rootDn: ROOT_DN,
    rootPw: ROOT_PW,
    log: () => log,
    add: (dn, attributes) => admin.add(dn, attributes),
    modify: (dn, changes) =>
      admin.modify(dn, changes.map((c) => new Change({ operation: c.op, modification: new Attribute({ type: c.attr, values: c.values }) }))),
    moveTo: (dn, newDn) => admin.modifyDN(dn, newDn),
    del: (dn) => admin.del(dn),
    async uuidOf(dn) {
      const { searchEntries } = await admin.search(dn, { scope: 'base', attributes: ['entryUUID'] });
      const uuid = searchEntries[0]?.entryUUID;
      if (typeof uuid !== 'string') throw new Error(`no entryUUID on ${dn}`);
      return uuid;
    },
    kill: async () => {
      await admin.unbind().catch(() => undefined);
      await kill();
    },
    async stop() {
      await proxy.close();
      await slapd.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (!options.preload) for (const [dn, attributes] of BASE_ENTRIES) await slapd.add(dn, attributes);
  return slapd;
}

export interface DroppingProxy {
  port: number;
  pattern: Buffer | null;
  fault: 'drop' | 'stall';
  close(): Promise<void>;
}

/** A proxy to 127.0.0.1:`targetPort` that drops (or stalls) a request whose bytes contain `pattern`; the Samba scenario uses it too. */
export async function startDroppingProxy(targetPort: number): Promise<DroppingProxy> {
  const open = new Set<net.Socket>();
  const state: DroppingProxy = { port: 0, pattern: null, fault: 'drop', close: async () => undefined };
  const server = createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    open.add(client).add(upstream);
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      if (!state.pattern || !chunk.includes(state.pattern)) upstream.write(chunk);
      else if (state.fault === 'drop') drop();
      // stall: the request goes nowhere, and the connection stays open.
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () => {
    for (const socket of open) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

/** Attributes of an inetOrgPerson under ou=people (or `ou`). */
export function person(uid: string, extra: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return { objectClass: ['inetOrgPerson'], uid, cn: `${uid} Person`, sn: 'Person', givenName: uid, mail: `${uid}@roster.test`, ...extra };
}
