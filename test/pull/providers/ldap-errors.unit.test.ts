/**
 * LDAP result codes (RFC 4511 §4.1.9) and socket failures as ProviderError
 * kinds, in src/pull/providers/ldap/client.ts: what the reconciler and the
 * connection test read from a failed call.
 */
import { BusyError, InsufficientAccessError, InvalidCredentialsError, NoSuchObjectError, SizeLimitExceededError, TimeLimitExceededError, UnavailableError, UnknownStatusCodeError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { OutboundRefusedError } from '../../../src/core/net/url-policy.js';
import { toProviderError } from '../../../src/pull/providers/ldap/client.js';

describe('an LDAP failure as a ProviderError', () => {
  it.each([
    [new InvalidCredentialsError(), 'auth', 49, /LDAP result 49 invalidCredentials/],
    [new NoSuchObjectError(), 'not-found', 32, /LDAP result 32 noSuchObject/],
    [new InsufficientAccessError(), 'permission', 50, /insufficientAccessRights/],
    [new BusyError('server busy'), 'rate-limited', 51, /LDAP result 51 busy \(server busy\)/],
    [new UnavailableError(), 'network', 52, /unavailable/],
    [new TimeLimitExceededError(), 'network', 3, /timeLimitExceeded/],
    [new SizeLimitExceededError(), 'bad-response', 4, /sizeLimitExceeded .*raise its size limit/],
    // ldapts has no class for 10 and drops the referral's URLs: the message says what to do.
    [new UnknownStatusCodeError(10), 'not-found', 10, /LDAP result 10 referral .*does not follow referrals: point baseDn at that server or add it as another connection/],
  ] as const)('maps %o', (error, kind, status, message) => {
    const pe = toProviderError(error, 'listing LDAP users');
    expect(pe).toMatchObject({ kind, status });
    expect(pe.message).toMatch(/^listing LDAP users: /);
    expect(pe.message).toMatch(message);
    expect(pe.cause).toBe(error);
  });

  it('names dropped connections, timeouts and TLS failures as network errors, and a policy refusal as a permission error', () => {
    expect(toProviderError(new Error('Connection closed before message response was received.'), 'x')).toMatchObject({ kind: 'network' });
    expect(toProviderError(Object.assign(new Error('self-signed certificate'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'x').message).toMatch(/TLS failed/);
    expect(toProviderError(new OutboundRefusedError('refused by the outbound URL policy: 10.0.0.1 is a private address'), 'x')).toMatchObject({ kind: 'permission' });
    // ldapts wraps a socket's error in its own: the policy's words still make it a refusal.
    expect(toProviderError(new Error('Socket error. Message type: BindRequest (0x60)\nrefused by the outbound URL policy: ...'), 'x')).toMatchObject({ kind: 'permission' });
  });
});
