/**
 * Opening a connection to the directory: URL failover, TLS (ldaps://, or
 * StartTLS on ldap://), the bind, and the outbound URL policy on the address
 * each socket connects to. LDAP result codes (RFC 4511 §4.1.9) and socket
 * failures become ProviderErrors here, in one place.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import { addressRefusal, OutboundRefusedError } from '../../../core/net/url-policy.js';
import { policyLookup, resolvedUrlRefusal } from '../../../core/net/outbound.js';
import type { ProviderContext } from '../types.js';
import { ProviderError, type ProviderErrorKind } from '../types.js';
import type { LdapSettings } from './settings.js';

/** RFC 4511 result codes Roster names. */
export const RESULT = {
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  referral: 10,
  adminLimitExceeded: 11,
  noSuchObject: 32,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
} as const;

const CODE_NAMES = new Map<number, string>(Object.entries(RESULT).map(([name, code]) => [code, name]));

const KIND_BY_CODE: Record<number, ProviderErrorKind> = {
  [RESULT.timeLimitExceeded]: 'network',
  [RESULT.sizeLimitExceeded]: 'bad-response',
  [RESULT.adminLimitExceeded]: 'bad-response',
  // The entry lives on another server (referrals are reported, not followed: ./referrals.ts).
  [RESULT.referral]: 'not-found',
  [RESULT.noSuchObject]: 'not-found',
  [RESULT.invalidCredentials]: 'auth',
  [RESULT.insufficientAccessRights]: 'permission',
  // Busy and unavailable are transient: the next run tries again.
  [RESULT.busy]: 'rate-limited',
  [RESULT.unavailable]: 'network',
  // 53 is what OpenLDAP answers a bind without a password (an unauthenticated bind).
  [RESULT.unwillingToPerform]: 'auth',
};

const REFUSED_BY_POLICY = 'refused by the outbound URL policy';

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|EPROTO|SSL/;

/** Whether a socket error is about TLS (a certificate not trusted, a handshake refused). */
export function isTlsError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && TLS_CODES.test(code)) || (e instanceof Error && /certificate|TLS|SSL|handshake/i.test(e.message));
}

/** Any failure of an LDAP call as a ProviderError that says what was being done. */
export function toProviderError(e: unknown, what: string): ProviderError {
  if (e instanceof ProviderError) return e;
  // ldapts wraps a socket's error in its own, keeping the message: the policy's refusal is recognised by it.
  if (e instanceof OutboundRefusedError || (e instanceof Error && e.message.includes(REFUSED_BY_POLICY))) {
    return new ProviderError('permission', `${what}: ${e.message}`, { cause: e });
  }
  if (e instanceof ResultCodeError) {
    const hint =
      e.code === RESULT.sizeLimitExceeded || e.code === RESULT.adminLimitExceeded
        ? ' (the server limits how many entries the bind DN may read: raise its size limit, or check that the server allows paged results)'
        : e.code === RESULT.referral
          ? ' (the entry is on another server and Roster does not follow referrals: point baseDn at that server or add it as another connection)'
          : '';
    // ldapts's message is the server's diagnostic text, often empty (" Code: 0x4"): name the code instead.
    const name = CODE_NAMES.get(e.code) ?? e.constructor.name.replace(/Error$/, '');
    const diagnostic = e.message.replace(/\s*Code: 0x[0-9a-f]+\s*$/i, '').trim();
    return new ProviderError(KIND_BY_CODE[e.code] ?? 'bad-response', `${what}: LDAP result ${e.code} ${name}${diagnostic ? ` (${diagnostic})` : ''}${hint}`, { cause: e, status: e.code });
  }
  const message = e instanceof Error ? e.message : String(e);
  if (isTlsError(e)) return new ProviderError('network', `${what}: TLS failed: ${message}`, { cause: e });
  // Socket errors, "Connection closed before message response", ldapts timeouts: the run is incomplete.
  return new ProviderError('network', `${what}: ${message}`, { cause: e });
}

/** A socket under the outbound URL policy: an IP literal is checked here, a name on what it resolves to. */
function refusedLiteral(host: string): OutboundRefusedError | undefined {
  const refusal = net.isIP(host) ? addressRefusal(host, host) : undefined;
  return refusal ? new OutboundRefusedError(refusal) : undefined;
}

function failedSocket<S extends net.Socket>(socket: S, error: Error): S {
  process.nextTick(() => socket.destroy(error));
  return socket;
}

export interface OpenedClient {
  client: Client;
  url: string;
}

function tlsOptions(settings: LdapSettings, host: string): tls.ConnectionOptions {
  return {
    rejectUnauthorized: settings.tlsRejectUnauthorized,
    ...(settings.caCert ? { ca: settings.caCert } : {}),
    ...(net.isIP(host) ? {} : { servername: host }),
  };
}

function newClient(url: string, settings: LdapSettings): Client {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const secure = new URL(url).protocol === 'ldaps:';
  return new Client({
    url,
    timeout: settings.timeoutMs,
    connectTimeout: Math.min(settings.timeoutMs, 10_000),
    // Only for ldaps://: tlsOptions on an ldap:// client would make ldapts speak TLS at once.
    ...(secure ? { tlsOptions: tlsOptions(settings, host) } : {}),
    createConnection: ((port: number, h: string) => {
      const socket = new net.Socket();
      const refused = refusedLiteral(h);
      return refused ? failedSocket(socket, refused) : socket.connect({ port, host: h, lookup: policyLookup });
    }) as typeof net.connect,
    createSecureConnection: ((...args: unknown[]) => {
      // StartTLS: one options object with the plain socket, already connected under the policy. `host`
      // is what the certificate is checked against (Node would check "localhost" without it).
      if (typeof args[0] === 'object' && args[0] !== null) return tls.connect({ ...(args[0] as tls.ConnectionOptions), ...tlsOptions(settings, host), host });
      const [port, h] = args as [number, string];
      const refused = refusedLiteral(h);
      if (refused) return failedSocket(new tls.TLSSocket(new net.Socket()), refused);
      return tls.connect({ port, host: h, lookup: policyLookup, ...tlsOptions(settings, host) });
    }) as typeof tls.connect,
  });
}

/**
 * Connect and bind to the first server that answers. A server that cannot be
 * reached (or whose TLS fails) passes the turn to the next; rejected
 * credentials do not, since every server of a directory shares them.
 */
export async function openClient(context: ProviderContext, settings: LdapSettings): Promise<OpenedClient> {
  if (!settings.tlsRejectUnauthorized) {
    context.logger.warn('LDAP connection opened with tlsRejectUnauthorized false: the server certificate is not verified');
  }
  let last: ProviderError | undefined;
  for (const url of settings.urls) {
    // Before any packet: the URL and what its name resolves to now (the sockets check again at connect).
    const refusal = await resolvedUrlRefusal(url, 'ldap');
    if (refusal) {
      last = new ProviderError('permission', `connecting to ${url}: ${REFUSED_BY_POLICY}: the URL ${refusal}`);
      context.logger.warn('LDAP server refused by the outbound URL policy, trying the next', { url });
      continue;
    }
    const client = newClient(url, settings);
    try {
      if (new URL(url).protocol === 'ldap:' && settings.startTls) {
        const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
        await client.startTLS(tlsOptions(settings, host));
      }
    } catch (e) {
      await client.unbind().catch(() => undefined);
      last = toProviderError(e, `connecting to ${url}`);
      if (e instanceof ResultCodeError) last = new ProviderError('network', `connecting to ${url}: StartTLS refused (${e.message}); use ldaps:// or a server with TLS`, { cause: e });
      context.logger.warn('LDAP server not usable, trying the next', { url, error: last.message });
      continue;
    }
    try {
      context.stats.apiRequests++;
      await client.bind(settings.bindDn, settings.bindPassword);
      return { client, url };
    } catch (e) {
      await client.unbind().catch(() => undefined);
      const pe = toProviderError(e, `binding to ${url} as ${settings.bindDn}`);
      if (pe.kind !== 'network') throw pe;
      last = pe;
      context.logger.warn('LDAP server not usable, trying the next', { url, error: pe.message });
    }
  }
  throw last ?? new ProviderError('network', 'no LDAP server to connect to');
}
