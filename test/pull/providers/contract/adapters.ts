/**
 * The one adapter per IdP that tests use: the contract suite, the fault
 * suite and the end-to-end scenarios (./scenario.ts) all start their fakes
 * through these.
 */
import type { ContractAdapter } from './adapter.js';
import { entraAdapter } from './entra.js';
import { googleAdapter } from './google.js';
import { keycloakAdapter } from './keycloak.js';
import { startLdapScenario } from './ldap.js';
import { startSambaScenario } from './samba.js';
import { jumpcloudAdapter } from './jumpcloud.js';
import { oktaAdapter } from './okta.js';
import { zitadelAdapter } from './zitadel.js';
import { startScenario, type ScenarioIdp } from './scenario.js';

export const ADAPTERS: readonly ContractAdapter[] = [entraAdapter, oktaAdapter, googleAdapter, keycloakAdapter, zitadelAdapter, jumpcloudAdapter];

/**
 * Every IdP the end-to-end scenarios run against: the adapters' fakes, and
 * LDAP's real slapd and Samba AD DC, which have no fake to program (see ./ldap.ts, ./samba.ts).
 */
export const SCENARIOS: ReadonlyArray<{ kind: string; start: () => Promise<ScenarioIdp> }> = [
  ...ADAPTERS.map((adapter) => ({ kind: adapter.kind, start: () => startScenario(adapter) })),
  { kind: 'ldap', start: startLdapScenario },
  { kind: 'ldap (active-directory, Samba)', start: startSambaScenario },
];

export { entraAdapter, googleAdapter, jumpcloudAdapter, keycloakAdapter, oktaAdapter, zitadelAdapter };
