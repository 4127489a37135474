/**
 * The typed registry of pull providers: a kind without a factory does not
 * compile, and shared code never switches on the kind.
 */
import { createEntraProvider } from './entra/index.js';
import { createGoogleProvider } from './google/index.js';
import { createOktaProvider } from './okta/index.js';
import type { DirectoryProvider, ProviderContext, ProviderFactory } from './types.js';

export const PROVIDER_KINDS = ['entra', 'okta', 'google'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const PROVIDERS: { [K in ProviderKind]: ProviderFactory } = {
  entra: createEntraProvider,
  okta: createOktaProvider,
  google: createGoogleProvider,
};

export function isProviderKind(kind: string): kind is ProviderKind {
  return (PROVIDER_KINDS as readonly string[]).includes(kind);
}

export function createProvider(kind: ProviderKind, context: ProviderContext): DirectoryProvider {
  return PROVIDERS[kind](context);
}

export type * from './types.js';
export { ProviderError } from './types.js';
