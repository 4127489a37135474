/**
 * What Roster knows of one kind of connection, in one place: its settings,
 * which of them are secrets or endpoints, whether Roster pulls from it or it
 * pushes to Roster (SCIM), and, for pulls, how to open its provider.
 *
 * A descriptor must stay cheap to import: `open` imports the provider's own
 * module (and so its IdP's SDK) only when a connection of that kind is used,
 * so a sync of Okta never loads @azure/identity or googleapis.
 */
import type { z } from 'zod';
import type { EndpointProtocol } from '../../core/net/url-policy.js';
import type { DirectoryProvider, ProviderContext } from './types.js';

interface DescriptorBase<K extends string> {
  kind: K;
  /**
   * The settings an admin gives, secrets included (split off before storing).
   * Strict: a misspelt field is an error, not silently ignored.
   */
  settings: z.ZodType<Record<string, unknown>>;
  /** Settings kept encrypted and shown only as "(set)". */
  secretFields: readonly string[];
  /**
   * Settings that say where the secrets are sent: the outbound URL policy
   * checks them before a connection test, and changing one needs the secret again.
   */
  endpointFields: readonly string[];
  /** What the endpoints speak (default `http`): the URL policy's scheme rule follows it. */
  endpointProtocol?: EndpointProtocol;
}

/** A connection Roster reads the directory from. */
export interface PullDescriptor<K extends string = string> extends DescriptorBase<K> {
  direction: 'pull';
  /**
   * Whether the one-user lookup (the login hook) lists every group the user
   * is in, nested ones included. When it does not, a login only adds
   * memberships, and losses wait for the scheduled sync.
   */
  groupsComplete: boolean;
  /** The provider for one connection; imports the provider's module on first use. */
  open(context: ProviderContext): Promise<DirectoryProvider>;
}

/** A connection the IdP pushes to over SCIM: it has settings but no provider. */
export interface PushDescriptor<K extends string = string> extends DescriptorBase<K> {
  direction: 'push';
}

export type ProviderDescriptor<K extends string = string> = PullDescriptor<K> | PushDescriptor<K>;
