/**
 * The one adapter per IdP that tests use: the contract suite, the fault
 * suite and the end-to-end scenarios (./scenario.ts) all start their fakes
 * through these.
 */
import type { ContractAdapter } from './adapter.js';
import { entraAdapter } from './entra.js';
import { googleAdapter } from './google.js';
import { oktaAdapter } from './okta.js';

export const ADAPTERS: readonly ContractAdapter[] = [entraAdapter, oktaAdapter, googleAdapter];

export { entraAdapter, googleAdapter, oktaAdapter };
