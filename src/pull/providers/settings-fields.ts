/**
 * Field schemas the providers' settings share: endpoint URLs under the
 * outbound URL policy, non-empty text, and the settings every pull connection
 * takes (attribute mapping, scope, concurrency, throttle budget).
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors/index.js';
import { expressionsSetting } from '../../core/mapping/index.js';
import { urlRefusal } from '../../core/net/url-policy.js';
import { throttleBudgetSeconds } from './throttle.js';

/** An endpoint Roster sends a credential to: the outbound URL policy decides (https; no loopback, private, metadata...). */
export const endpointUrl = () =>
  z.string().superRefine((value, ctx) => {
    const refusal = urlRefusal(value.trim());
    if (refusal) ctx.addIssue({ code: 'custom', message: refusal });
  });
/** A directory server Roster binds to: ldaps:// or ldap:// (StartTLS), same address rules as endpointUrl. */
export const ldapEndpointUrl = () =>
  z.string().superRefine((value, ctx) => {
    const refusal = urlRefusal(value.trim(), undefined, 'ldap');
    if (refusal) ctx.addIssue({ code: 'custom', message: refusal });
  });
export const text = () => z.string().trim().min(1, 'must not be empty');
export const posInt = () => z.number().int().positive();

/**
 * Settings every pull connection shares: which IdP field becomes which
 * common-model field (each provider validates the field names it knows),
 * which users are in scope, and how many requests may run at once.
 */
export const pullCommon = {
  attributeMapping: z
    .strictObject({ userName: text(), email: text(), displayName: text(), givenName: text(), familyName: text() })
    .partial()
    .optional(),
  scope: z
    .strictObject({
      /** Group external ids or display names: only their (flattened) members are synced. */
      groups: z.array(text()).optional(),
      /** Globs like `*@contractors.example`: matching users are left out. */
      excludeEmailPatterns: z.array(text()).optional(),
    })
    .optional(),
  concurrency: z.number().int().min(1).max(16).optional(),
  /** How long one run may wait out the IdP's throttling (429, rate-limit resets) before it gives up; default 300. */
  throttleBudgetSeconds: throttleBudgetSeconds().optional(),
  /** JSONata expressions over the IdP's raw user record: standard fields and named custom attributes (src/core/mapping). */
  expressions: expressionsSetting(),
};

/**
 * A stored setting the provider cannot use. src/pull/providers/connection-settings.ts validates
 * settings before they are stored, so this means they were stored another
 * way or by an older Roster; every provider says it the same way, naming the field.
 */
export function unusableSetting(field: string, message: string): ConfigError {
  return new ConfigError(message, { details: { field } });
}
