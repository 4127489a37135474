/**
 * The outbound URL policy. IdP endpoints and webhook URLs are requests Roster
 * makes on a tenant's behalf, with a tenant's credentials or data: they go
 * over https, and never to this machine or the network around it (loopback,
 * private, shared CGNAT, link-local with the cloud metadata service,
 * unspecified, multicast or reserved addresses, also written as IPv4-mapped
 * or NAT64 IPv6), unless the operator trusts the host in
 * `ROSTER_TRUSTED_HOSTS`: host names or CIDRs, comma-separated. A trusted
 * host may also be reached over plain http. Directory servers (the ldap
 * provider) are ldaps:// or ldap:// URLs under the same address rules
 * (EndpointProtocol below).
 *
 * The policy is checked twice: on the URL when it is saved (urlRefusal: the
 * scheme, an IP literal, `localhost`), and on every address a name resolves
 * to when a connection is made (addressRefusal, used by the agents in
 * ./agents.ts), so a name that resolves elsewhere later (DNS rebinding) is
 * still refused.
 */
import { isIP } from 'node:net';

export const TRUSTED_HOSTS_ENV = 'ROSTER_TRUSTED_HOSTS';

interface Cidr {
  bytes: Uint8Array;
  prefix: number;
  text: string;
}

export interface TrustedHosts {
  /** Host names, lower case, no trailing dot. */
  names: ReadonlySet<string>;
  cidrs: readonly Cidr[];
}

/** Thrown (or passed to a socket's callback) when a request would reach a refused address. */
export class OutboundRefusedError extends Error {
  readonly code = 'ERR_ROSTER_OUTBOUND_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

/** An IPv4 or IPv6 address as bytes (4 or 16), zone id dropped; undefined if it is not one. */
export function addressBytes(address: string): Uint8Array | undefined {
  const text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(text);
  if (version === 4) return Uint8Array.from(text.split('.').map(Number));
  if (version !== 6) return undefined;
  let tail: number[] = [];
  let body = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail = v4[1]!.split('.').map(Number);
    body = text.slice(0, -v4[1]!.length) + '0:0';
  }
  const [head, rest] = body.includes('::') ? body.split('::') : [body, undefined];
  const words = (s: string | undefined) => (s ? s.split(':').filter((w) => w !== '').map((w) => parseInt(w, 16)) : []);
  const left = words(head);
  const right = words(rest);
  const all = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  if (v4) bytes.set(tail, 12);
  return bytes;
}

function parseCidr(text: string): Cidr | undefined {
  const [address, prefixText] = text.split('/');
  const bytes = addressBytes(address ?? '');
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { bytes, prefix, text };
}

function inCidr(bytes: Uint8Array, cidr: Cidr): boolean {
  if (bytes.length !== cidr.bytes.length) return false;
  for (let bit = 0; bit < cidr.prefix; bit += 8) {
    const bits = Math.min(8, cidr.prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    if ((bytes[bit / 8]! & mask) !== (cidr.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

const ranges = (kind: string, list: string[]) => list.map((text) => ({ kind, cidr: parseCidr(text)! }));

/** What Roster does not connect to on a tenant's behalf, by what it is (the word appears in the refusal). */
const REFUSED = [
  ...ranges('loopback', ['127.0.0.0/8', '::1/128']),
  ...ranges('unspecified', ['0.0.0.0/8', '::/128']),
  ...ranges('private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']),
  ...ranges('shared (CGNAT)', ['100.64.0.0/10']),
  ...ranges('link-local', ['169.254.0.0/16', 'fe80::/10', 'fec0::/10']),
  ...ranges('multicast', ['224.0.0.0/4', 'ff00::/8']),
  ...ranges('reserved', ['192.0.0.0/24', '198.18.0.0/15', '240.0.0.0/4']),
];

/** IPv6 forms that carry an IPv4 address in their last 32 bits: IPv4-mapped, IPv4-compatible, NAT64 (RFC 6052). */
const EMBEDDING_V4 = ['::ffff:0:0/96', '::/96', '64:ff9b::/96'].map((t) => parseCidr(t)!);

/** The kind of refused range an address is in (checking the IPv4 inside IPv6 forms that embed one), if any. */
function refusedKind(bytes: Uint8Array): string | undefined {
  if (bytes.length === 16 && EMBEDDING_V4.some((c) => inCidr(bytes, c)) && !REFUSED.some((r) => inCidr(bytes, r.cidr))) {
    return refusedKind(bytes.slice(12));
  }
  return REFUSED.find((r) => inCidr(bytes, r.cidr))?.kind;
}

/** `ROSTER_TRUSTED_HOSTS`: `idp.internal, 10.1.0.0/16, 127.0.0.1, [::1]`. A malformed entry is an error, not ignored. */
export function parseTrustedHosts(value: string | undefined): TrustedHosts {
  const names = new Set<string>();
  const cidrs: Cidr[] = [];
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    const cidr = parseCidr(entry);
    if (cidr) cidrs.push(cidr);
    else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(entry)) names.add(entry.replace(/\.$/, ''));
    else throw new OutboundRefusedError(`${TRUSTED_HOSTS_ENV}: "${raw.trim()}" is neither a host name, an IP address nor a CIDR`);
  }
  return { names, cidrs };
}

let cached: { value: string | undefined; trusted: TrustedHosts } | undefined;

/** The operator's trusted hosts, read from the environment each time (tests and the demo set it). */
export function trustedHosts(env: NodeJS.ProcessEnv = process.env): TrustedHosts {
  const value = env[TRUSTED_HOSTS_ENV];
  if (cached && cached.value === value) return cached.trusted;
  const trusted = parseTrustedHosts(value);
  cached = { value, trusted };
  return trusted;
}

const an = (kind: string) => `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
const ADVICE = `; list the host in ${TRUSTED_HOSTS_ENV} to allow it`;

function normalHost(host: string): string {
  return host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

function trustedAddress(bytes: Uint8Array, trusted: TrustedHosts): boolean {
  const v4 = bytes.length === 16 && EMBEDDING_V4.some((c) => inCidr(bytes, c)) ? bytes.slice(12) : undefined;
  return trusted.cidrs.some((c) => inCidr(bytes, c) || (v4 !== undefined && inCidr(v4, c)));
}

function isTrustedHost(host: string, trusted: TrustedHosts): boolean {
  const name = normalHost(host);
  if (trusted.names.has(name)) return true;
  const bytes = addressBytes(name);
  return bytes !== undefined && trustedAddress(bytes, trusted);
}

/** The kind of refused address `address` (what `host` resolved to) is, or undefined when Roster may connect to it. */
function refusedAddressKind(host: string, address: string, trusted: TrustedHosts): string | undefined {
  if (trusted.names.has(normalHost(host))) return undefined;
  const bytes = addressBytes(address);
  if (!bytes) return 'unparsable';
  if (trustedAddress(bytes, trusted)) return undefined;
  return refusedKind(bytes);
}

/**
 * Why Roster will not connect to `address` (what `host` resolved to), or
 * undefined. The message names the host and the kind of address, never the
 * port: refusing 10.0.0.1:22 and 10.0.0.1:443 reads the same.
 */
export function addressRefusal(host: string, address: string, trusted: TrustedHosts = trustedHosts()): string | undefined {
  const kind = refusedAddressKind(host, address, trusted);
  if (!kind) return undefined;
  const name = normalHost(host);
  const what = addressBytes(name) ? `${name} is ${an(kind)} address` : `${name} resolves to ${an(kind)} address`;
  return `refused by the outbound URL policy: ${what}${ADVICE}`;
}

/**
 * What an endpoint speaks: `http` (IdP APIs, webhooks: https, plain http
 * only to a trusted host) or `ldap` (directory servers: ldaps://, or ldap://
 * which the LDAP provider upgrades with StartTLS; plain ldap:// without
 * StartTLS is refused there, in its settings, unless the host is trusted,
 * since a simple bind would send the bind password in clear text).
 */
export type EndpointProtocol = 'http' | 'ldap';

/**
 * Why this URL may not be used for an outbound request, or undefined; said
 * as what the URL must be ("must use https"), to follow a field's name. It
 * must be http(s), https unless its host is trusted (for `ldap`: ldap or
 * ldaps), and not name an address the policy refuses (an IP literal, or
 * `localhost`). Names are checked again, on what they resolve to, at connect time.
 */
export function urlRefusal(value: string | URL, trusted: TrustedHosts = trustedHosts(), protocol: EndpointProtocol = 'http'): string | undefined {
  let url: URL;
  try {
    url = typeof value === 'string' ? new URL(value) : value;
  } catch {
    return protocol === 'ldap' ? 'must be an ldaps:// or ldap:// URL' : 'must be an https URL';
  }
  const host = normalHost(url.hostname);
  const isTrusted = isTrustedHost(host, trusted);
  if (protocol === 'ldap') {
    if (url.protocol !== 'ldaps:' && url.protocol !== 'ldap:') return 'must be an ldaps:// or ldap:// URL';
    if (!host) return 'must name a host';
  } else if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isTrusted)) {
    return url.protocol === 'http:' ? `must use https (plain http only to a host listed in ${TRUSTED_HOSTS_ENV})` : 'must be an https URL';
  }
  if (isTrusted) return undefined;
  const kind = host === 'localhost' || host.endsWith('.localhost') ? 'loopback' : addressBytes(host) ? refusedAddressKind(host, host, trusted) : undefined;
  return kind ? `must not point at ${an(kind)} address (${host})${ADVICE}` : undefined;
}

/** Whether the operator trusts this host (ROSTER_TRUSTED_HOSTS): plain http, or ldap:// without StartTLS, may reach it. */
export function isTrustedUrlHost(hostname: string, trusted: TrustedHosts = trustedHosts()): boolean {
  return isTrustedHost(hostname, trusted);
}
