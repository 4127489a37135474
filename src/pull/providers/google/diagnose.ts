/**
 * The token check of `roster connection test`. With domain-wide delegation a
 * missing scope fails the token request itself: Google answers 401
 * `unauthorized_client` when the admin did not list one of the requested
 * scopes for the service account's client id (Admin console > Security >
 * API controls > Domain-wide delegation). It does not say which scope, so on
 * that error we ask for each scope alone to name the missing ones.
 */
import type { ConnectionTestResult, ProviderContext } from '../types.js';
import type { JWT } from 'google-auth-library';
import { GOOGLE_SCOPES, createJwt, oauthError, toProviderError, type GoogleSettings } from './client.js';

export async function diagnoseToken(jwt: JWT, settings: GoogleSettings, context: ProviderContext): Promise<ConnectionTestResult['checks'][number]> {
  const name = 'token';
  try {
    await jwt.authorize();
    return { name, ok: true, detail: `acting as ${settings.subject} with ${GOOGLE_SCOPES.join(', ')}` };
  } catch (error) {
    if (oauthError(error) !== 'unauthorized_client') return { name, ok: false, detail: toProviderError(error, 'obtaining a token', settings).message };
  }
  const missing: string[] = [];
  for (const scope of GOOGLE_SCOPES) {
    try {
      await createJwt(settings, context, [scope]).authorize();
    } catch (error) {
      if (oauthError(error) === 'unauthorized_client') missing.push(scope);
    }
  }
  const client = settings.clientId ?? settings.clientEmail;
  return {
    name,
    ok: false,
    detail:
      `domain-wide delegation not granted for these scopes to client ${client}: ${(missing.length ? missing : GOOGLE_SCOPES).join(', ')} ` +
      '(Admin console > Security > API controls > Domain-wide delegation)',
  };
}
