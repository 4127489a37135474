/**
 * Connection settings, whatever the kind: each kind's descriptor in the
 * provider registry (src/pull/providers) has its zod schema, its secret fields and
 * its endpoint fields; this validates against it. Secrets are split off before
 * anything is stored, kept encrypted in `connections.secrets`, and shown only
 * as "(set)".
 */
import { ValidationError } from '../../core/errors/index.js';
import { descriptorOf } from './index.js';
import { parseWith } from '../../core/validation/index.js';

export { CONNECTION_KINDS, type ConnectionKind } from './index.js';

/** A known kind, or a ValidationError listing the kinds there are. */
export function parseKind(kind: string): string {
  return descriptorOf(kind).kind;
}

export interface SplitSettings {
  settings: Record<string, unknown>;
  /** Null when the kind has no secret, or none was given. */
  secrets: Record<string, unknown> | null;
}

/** Validate a kind's full settings and split the secret fields off. */
export function validateSettings(kind: string, input: unknown): SplitSettings {
  const spec = descriptorOf(kind);
  const parsed = parseWith(spec.settings, input ?? {}, `${kind} settings`);
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    (spec.secretFields.includes(key) ? secrets : settings)[key] = value;
  }
  return { settings, secrets: Object.keys(secrets).length ? secrets : null };
}

/** Two endpoint values name the same place (`https://x` and `https://x/` do). */
function sameEndpoint(a: unknown, b: unknown): boolean {
  const normal = (v: unknown) => {
    if (v === undefined || v === null || v === '') return '';
    try {
      return new URL(String(v).trim()).href;
    } catch {
      return String(v);
    }
  };
  return normal(a) === normal(b);
}

/**
 * New settings for an existing connection. The input replaces the
 * non-secret settings; a secret it leaves out keeps its stored value, so
 * tuning a timeout does not mean pasting the client secret again. But a
 * stored secret never follows a changed endpoint: whoever moves a
 * connection to another server must know its secret (otherwise a tenant
 * key could send the stored token to a server of its choosing).
 */
export function mergeSettings(
  kind: string,
  input: Record<string, unknown>,
  stored: { settings: Record<string, unknown>; secrets: Record<string, unknown> | null },
): SplitSettings {
  const spec = descriptorOf(kind);
  const storedSecrets = stored.secrets && Object.keys(stored.secrets).length ? stored.secrets : null;
  const moved = spec.endpointFields.filter((k) => !sameEndpoint(input[k], stored.settings[k]));
  if (moved.length && storedSecrets) {
    if (!spec.secretFields.some((k) => k in input)) {
      const quoted = (keys: readonly string[]) => keys.map((k) => `"${k}"`).join(' and ');
      const secrets = spec.secretFields.filter((k) => k in storedSecrets);
      throw new ValidationError(
        `${kind} settings: changing ${quoted(moved)} sends the connection's credentials to a new server: give ${quoted(secrets)} again in the same update`,
        { details: { fields: secrets, endpoints: moved } },
      );
    }
    return validateSettings(kind, input);
  }
  try {
    return validateSettings(kind, input);
  } catch (err) {
    if (!storedSecrets) throw err;
    const carried = Object.fromEntries(Object.entries(storedSecrets).filter(([k]) => !(k in input)));
    return validateSettings(kind, { ...input, ...carried });
  }
}

export const MASK = '(set)';

/** Settings as shown to people: secrets present appear as "(set)", never their value. */
export function maskedSettings(kind: string, settings: Record<string, unknown>, secretKeys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...settings };
  for (const key of descriptorOf(kind).secretFields) if (secretKeys.includes(key)) out[key] = MASK;
  return out;
}
