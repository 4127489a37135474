/**
 * The registry of connection kinds: the only list of them in Roster. CLI
 * choices, the OpenAPI enum, settings validation, the login hook and the SCIM
 * checks all read it; adding an IdP is a folder with a descriptor
 * (./descriptor.ts) plus one line below.
 *
 * Descriptors are cheap to import: each provider's module (and so its IdP's
 * SDK) is imported when a connection of that kind is first opened, so a sync
 * of Okta never loads @azure/identity, the Graph client or googleapis.
 */
import { ValidationError } from '../../core/errors/index.js';
import { compileMapping } from '../../core/mapping/index.js';
import type { ProviderDescriptor, PullDescriptor } from './descriptor.js';
import { entra } from './entra/descriptor.js';
import { google } from './google/descriptor.js';
import { jumpcloud } from './jumpcloud/descriptor.js';
import { keycloak } from './keycloak/descriptor.js';
import { ldap } from './ldap/descriptor.js';
import { okta } from './okta/descriptor.js';
import { scim } from './scim/descriptor.js';
import { zitadel } from './zitadel/descriptor.js';
import { withExpressions } from './expressions.js';
import type { DirectoryProvider, ProviderContext } from './types.js';

const BUILTIN = [
  entra,
  okta,
  google,
  ldap,
  keycloak,
  zitadel,
  jumpcloud,
  scim,
] as const;

type Builtin = (typeof BUILTIN)[number];
export type ConnectionKind = Builtin['kind'];
export type ProviderKind = Extract<Builtin, { direction: 'pull' }>['kind'];

/** Every built-in kind, in registry order (a tuple, as z.enum and commander's choices want it). */
export const CONNECTION_KINDS = kindsOf(BUILTIN);
/** The kinds Roster pulls from. */
export const PROVIDER_KINDS = kindsOf(BUILTIN.filter((d): d is Extract<Builtin, { direction: 'pull' }> => d.direction === 'pull'));

function kindsOf<D extends { kind: string }>(descriptors: readonly D[]): readonly [D['kind'], ...D['kind'][]] {
  const [first, ...rest] = descriptors.map((d) => d.kind);
  if (first === undefined) throw new Error('the provider registry is empty');
  return [first, ...rest];
}

const registered = new Map<string, ProviderDescriptor>(BUILTIN.map((d) => [d.kind, d]));

/**
 * Add a kind at run time (a test's toy provider): the descriptor is then
 * found by every lookup below, as a built-in one is. Returns the undo.
 */
export function registerProvider(descriptor: ProviderDescriptor): () => void {
  if (registered.has(descriptor.kind)) throw new Error(`connection kind "${descriptor.kind}" is registered already`);
  registered.set(descriptor.kind, descriptor);
  return () => void registered.delete(descriptor.kind);
}

/** The descriptors registered now, built-in ones first. */
export function registeredKinds(): string[] {
  return [...registered.keys()];
}

export function findDescriptor(kind: string): ProviderDescriptor | undefined {
  return registered.get(kind);
}

/** The descriptor of `kind`, or a ValidationError listing the kinds there are. */
export function descriptorOf(kind: string): ProviderDescriptor {
  const descriptor = registered.get(kind);
  if (!descriptor) throw new ValidationError(`unknown connection kind "${kind}" (expected one of ${registeredKinds().join(', ')})`);
  return descriptor;
}

/** The pull descriptor of `kind`, or undefined for a push (SCIM) or unknown kind. */
export function pullDescriptorOf(kind: string): PullDescriptor | undefined {
  const descriptor = registered.get(kind);
  return descriptor?.direction === 'pull' ? descriptor : undefined;
}

/** The kinds registered now that Roster pulls from (the built-in PROVIDER_KINDS, and any added at run time). */
export function pullKinds(): string[] {
  return [...registered.values()].filter((d) => d.direction === 'pull').map((d) => d.kind);
}

/** The pull kinds in words, for messages: "entra, okta and google". */
export function pullKindsInWords(): string {
  const kinds = pullKinds();
  return kinds.length > 1 ? `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)}` : kinds.join('');
}

export function isProviderKind(kind: string): boolean {
  return pullDescriptorOf(kind) !== undefined;
}

/** Whether the IdP pushes to this connection over SCIM: every push kind does, a pull connection when push is enabled on it. */
export function acceptsScimPush(connection: { kind: string; pushEnabled: boolean }): boolean {
  return registered.get(connection.kind)?.direction === 'push' || connection.pushEnabled;
}

export async function createProvider(kind: string, context: ProviderContext): Promise<DirectoryProvider> {
  const descriptor = pullDescriptorOf(kind);
  if (!descriptor) throw new ValidationError(`connections of kind ${kind} are not pulled: there is no provider to open`);
  // Attribute expressions: the provider keeps each raw record (and requests what they read) only when there are some.
  const mapping = compileMapping(context.settings.expressions);
  if (!mapping) return descriptor.open(context);
  const provider = await descriptor.open({ ...context, sourceAttributes: mapping.attributes });
  return withExpressions(provider, mapping, context.logger);
}

export type * from './types.js';
export type { ProviderDescriptor, PullDescriptor, PushDescriptor } from './descriptor.js';
export { ProviderError } from './types.js';
