/** Messages between run.ts, the fake IdP process (fake.ts) and the Roster sync process (sync.ts). */
export type ProviderName = 'entra' | 'okta' | 'google' | 'ldap' | 'keycloak' | 'zitadel' | 'jumpcloud';
export const PROVIDERS: readonly ProviderName[] = ['entra', 'okta', 'google', 'ldap', 'keycloak', 'zitadel', 'jumpcloud'];

export type FakeRequest =
  | { cmd: 'start'; provider: ProviderName; users: number; groups: number; memberships: number }
  | { cmd: 'change'; fraction: number }
  | { cmd: 'served' }
  | { cmd: 'stop' };

export type FakeResponse =
  | {
      ok: true;
      settings?: Record<string, unknown>;
      minimumRequests?: number;
      /** What the minimum is made of (requests per listing), where a provider's figures need it explained. */
      minimumDetail?: Record<string, number>;
      buildMs?: number;
      changed?: number;
      requests?: number;
    }
  | { ok: false; error: string };

/** What run.ts tells the sync process. */
export interface SyncJob {
  provider: ProviderName;
  databaseUrl: string;
  settings: Record<string, unknown>;
}

/** sync.ts → run.ts: a request for the fake, or the result. */
export type SyncMessage =
  | { type: 'fake'; id: number; request: FakeRequest }
  | { type: 'result'; result: unknown }
  | { type: 'error'; error: string };

/** run.ts → sync.ts */
export type RunMessage = { type: 'job'; job: SyncJob } | { type: 'fake'; id: number; response: FakeResponse };
