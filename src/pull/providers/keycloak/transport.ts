/**
 * The admin client sends every request with Node's global `fetch`, which
 * takes no http.Agent: the outbound URL policy's agents (src/core/net/outbound.ts)
 * cannot be handed to it. Node's fetch does take a `dispatcher` (an undici
 * Agent) per request, and an Agent's `connect.lookup` is where the policy
 * refuses an address a name resolves to (DNS rebinding included). Roster does
 * not depend on the `undici` package: the Agent class is the one Node's fetch
 * registers under undici's documented interop key, the global dispatcher
 * symbol. Where that is not an Agent (another global dispatcher was
 * installed), the policy is checked on what the name resolves to before each
 * sign-in instead, and the report says so once.
 *
 * An IP literal never reaches `lookup`: the policy checks it (with the rest
 * of the URL) before the first request, see guardEndpoint. Redirects are
 * refused (`redirect: 'error'`): the admin API never redirects, and a
 * redirect could lead the bearer token elsewhere.
 */
import { policyLookup } from '../../../core/net/outbound.js';
import { resolvedUrlRefusal } from '../../../core/net/outbound.js';
import { urlRefusal } from '../../../core/net/url-policy.js';
import { ProviderError } from '../types.js';

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

type AgentClass = new (options: { connect: { lookup: typeof policyLookup }; keepAliveTimeout?: number }) => object;

let agentClass: Promise<AgentClass | null> | null = null;

async function findAgentClass(): Promise<AgentClass | null> {
  // Node creates its global dispatcher on the first fetch; a data: URL makes no connection.
  await fetch('data:,');
  const dispatcher = (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER];
  const ctor = (dispatcher as { constructor?: { name?: string } } | undefined)?.constructor;
  return typeof ctor === 'function' && ctor.name === 'Agent' ? (ctor as unknown as AgentClass) : null;
}

/** A dispatcher whose connections resolve through the URL policy, or null when Node offers none. */
export async function policyDispatcher(): Promise<object | null> {
  agentClass ??= findAgentClass().catch(() => null);
  const Agent = await agentClass;
  return Agent ? new Agent({ connect: { lookup: policyLookup } }) : null;
}

/** The URL as saved (scheme, IP literal, localhost), and, without a policy dispatcher, what it resolves to now. */
export async function guardEndpoint(baseUrl: string, resolveNow: boolean): Promise<void> {
  const refusal = urlRefusal(baseUrl) ?? (resolveNow ? await resolvedUrlRefusal(baseUrl) : undefined);
  if (refusal) throw new ProviderError('network', `Keycloak at ${baseUrl} is refused by the outbound URL policy: ${refusal}`);
}
