/**
 * The official admin client (@keycloak/keycloak-admin-client), signed in as
 * a service-account client, with every request counted, retried and paced.
 *
 * Sign-in: the client-credentials grant returns no refresh token, and the
 * client's own renewal needs one ("Cannot refresh token: missing refresh
 * token"). So Roster registers itself as the client's token provider: a
 * token about to expire (the client's own 5-second margin, on the JWT's
 * `exp`) is replaced by signing in again, once for all concurrent requests.
 * A 401 from the admin API (a token revoked, or a server clock ahead of
 * ours) signs in again and repeats the request once.
 *
 * Every call goes through `call()`: one attempt is one HTTP request
 * (counted), a 429 is waited out as Retry-After asks within the run's
 * throttle budget (../throttle.ts), a 5xx or a dropped connection is retried
 * `serverErrorRetries` times with backoff. Keycloak itself sends no 429; the
 * proxies and gateways in front of it do.
 */
import KcAdminClient from '@keycloak/keycloak-admin-client';
import type { ProviderContext } from '../types.js';
import { ProviderError } from '../types.js';
import { RETRYABLE_STATUSES, retryAfterMs, sleep, ThrottleBudget, throttleFloorMs } from '../throttle.js';
import { apiError, httpFailureOf, isDropped, tokenError } from './errors.js';
import type { KeycloakSettings } from './settings.js';
import { guardEndpoint, policyDispatcher } from './transport.js';

export type KeycloakAdmin = InstanceType<typeof KcAdminClient>;

export class KeycloakApi {
  readonly kc: KeycloakAdmin;
  /** Sign-ins so far (the first, and each renewal). */
  signIns = 0;
  private signingIn: Promise<void> | null = null;
  private ready: Promise<void> | null = null;
  /** Whether each connection's address goes through the URL policy (./transport.ts). */
  private policyPerConnection = false;

  constructor(
    private readonly context: ProviderContext,
    readonly settings: KeycloakSettings,
    private readonly budget: ThrottleBudget = ThrottleBudget.fromSettings(context.settings),
  ) {
    this.kc = new KcAdminClient({
      baseUrl: settings.baseUrl,
      realmName: settings.realm,
      timeout: settings.requestTimeoutMs,
      requestOptions: { redirect: 'error' },
    });
    this.kc.registerTokenProvider({ getAccessToken: () => this.accessToken() });
  }

  /** Once per client: the URL policy's dispatcher (see ./transport.ts), or the check that stands in for it. */
  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      const dispatcher = await policyDispatcher();
      this.policyPerConnection = dispatcher !== null;
      if (dispatcher) {
        this.kc.setConfig({ requestOptions: { redirect: 'error', dispatcher } as RequestInit });
      } else {
        this.context.logger.warn('Keycloak: Node offers no undici Agent to enforce the outbound URL policy per connection; checking the resolved address before each sign-in instead');
      }
    })();
    return this.ready;
  }

  /** Signs in unless a valid token is at hand (the connection test's first check). */
  async signedIn(): Promise<void> {
    await this.accessToken();
  }

  private async accessToken(): Promise<string | undefined> {
    if (this.kc.accessToken && !this.kc.isTokenExpired()) return this.kc.accessToken;
    this.signingIn ??= this.signIn().finally(() => (this.signingIn = null));
    await this.signingIn;
    return this.kc.accessToken;
  }

  private async signIn(): Promise<void> {
    await this.prepare();
    const { baseUrl, realm, clientId, clientSecret } = this.settings;
    await guardEndpoint(baseUrl, !this.policyPerConnection);
    await this.attempt(
      () => {
        this.context.stats.apiRequests++;
        return this.kc.auth({ grantType: 'client_credentials', clientId, clientSecret });
      },
      (e) => tokenError(e, realm, clientId),
    );
    this.signIns++;
    if (this.signIns > 1) this.context.logger.debug('Keycloak access token renewed by signing in again (client credentials have no refresh token)');
  }

  /** One admin API request (`send` makes exactly one), with sign-in, retries and counting around it. */
  async call<T>(what: string, send: (kc: KeycloakAdmin) => Promise<T>): Promise<T> {
    let reSignedIn = false;
    return this.attempt(
      async () => {
        await this.accessToken();
        // Counted once the token is there: a refused sign-in sends no API request.
        this.context.stats.apiRequests++;
        return send(this.kc);
      },
      (e) => apiError(e, what),
      () => {
        if (reSignedIn) return false;
        // The token was refused before its `exp`: drop it, so the next attempt signs in again.
        reSignedIn = true;
        this.kc.accessToken = undefined;
        return true;
      },
    );
  }

  private async attempt<T>(send: () => Promise<T>, fail: (e: unknown) => unknown, onUnauthorized?: () => boolean): Promise<T> {
    const { context, settings } = this;
    let serverRetries = 0;
    let throttles = 0;
    for (;;) {
      if (context.signal?.aborted) throw new ProviderError('network', 'Keycloak sync aborted', { cause: context.signal.reason });
      try {
        return await send();
      } catch (e) {
        if (e instanceof ProviderError) throw e; // from a sign-in inside the attempt: already counted and mapped
        const http = httpFailureOf(e);
        if (http?.status === 429) {
          const delayMs = Math.max(retryAfterMs(http.headers.get('retry-after')), throttleFloorMs(settings.retryDelayMs, throttles));
          context.stats.throttled++;
          if (!this.budget.take(delayMs)) {
            context.logger.warn("Keycloak kept throttling past the run's throttle budget; giving up", { delayMs, budgetMs: this.budget.totalMs });
            throw fail(e);
          }
          context.logger.warn('Keycloak answered 429; waiting as Retry-After asks', { delayMs, attempt: ++throttles });
          await sleep(delayMs, context.signal);
          continue;
        }
        if (((http && RETRYABLE_STATUSES.has(http.status)) || isDropped(e)) && serverRetries < settings.serverErrorRetries) {
          const delayMs = settings.retryDelayMs * 2 ** serverRetries++;
          context.logger.warn('Keycloak request failed; retrying', { status: http?.status, attempt: serverRetries, delayMs });
          await sleep(delayMs, context.signal);
          continue;
        }
        if (http?.status === 401 && onUnauthorized?.()) continue;
        throw fail(e);
      }
    }
  }
}
