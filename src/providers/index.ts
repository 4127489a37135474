/**
 * The typed registry of pull providers: a kind without a factory does not
 * compile, and shared code never switches on the kind.
 *
 * Each provider's module (and so its IdP's SDK) is imported when a
 * connection of that kind is first used, not at start: a sync of Okta never
 * loads @azure/identity, the Graph client or googleapis, which would cost
 * the process tens of MB of code for nothing.
 */
import type { DirectoryProvider, ProviderContext, ProviderFactory } from './types.js';

export const PROVIDER_KINDS = ['entra', 'okta', 'google'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const PROVIDERS: { [K in ProviderKind]: () => Promise<ProviderFactory> } = {
  entra: async () => (await import('./entra/index.js')).createEntraProvider,
  okta: async () => (await import('./okta/index.js')).createOktaProvider,
  google: async () => (await import('./google/index.js')).createGoogleProvider,
};

export function isProviderKind(kind: string): kind is ProviderKind {
  return (PROVIDER_KINDS as readonly string[]).includes(kind);
}

export async function createProvider(kind: ProviderKind, context: ProviderContext): Promise<DirectoryProvider> {
  const factory = await PROVIDERS[kind]();
  return factory(context);
}

export type * from './types.js';
export { ProviderError } from './types.js';
