/**
 * The provider contract: one list of behaviours the reconciler relies on
 * (src/pull/providers/types.ts, DESIGN.md "Pull: providers and the reconciler"),
 * run against all three providers through their official SDKs, over HTTP, to
 * their fake IdPs. Each adapter in ./contract/ seeds its fake and builds its
 * provider; where an IdP genuinely differs (no nesting, no delta, deletions
 * seen another way) the adapter names the IdP's documented behaviour and the
 * suite asserts that instead, never skipping.
 *
 * Provider-specific behaviour (auth flavours, national clouds, rate-limit
 * headers, the SDKs' quirks) stays in the per-provider files next to this one.
 */
import { describe } from 'vitest';
import { ADAPTERS } from './contract/adapters.js';
import { changesCases } from './contract/changes.cases.js';
import { failuresCases } from './contract/failures.cases.js';
import { listingCases } from './contract/listing.cases.js';
import { membersCases } from './contract/members.cases.js';

describe.each(ADAPTERS)('the $kind provider', (adapter) => {
  describe('full listing', () => listingCases(adapter));
  describe('members', () => membersCases(adapter));
  describe('changes', () => changesCases(adapter));
  describe('failures', () => failuresCases(adapter));
});
