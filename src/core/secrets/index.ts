/**
 * IdP credentials at rest: AES-256-GCM with a key from ROSTER_SECRET_KEY.
 * Each ciphertext is bound (as additional authenticated data) to the row it
 * belongs to, so a blob copied onto another connection does not decrypt.
 *
 * Key policy: a Postgres deployment must be given the key; without one Roster
 * refuses to store secrets. The embedded default generates a key into its
 * data folder on first need and says so, so that a first run needs no set-up.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';

const VERSION = 'v1';
const KEY_HINT = 'generate one with: openssl rand -base64 32';

/** Parse a 32-byte key given as base64 (44 chars) or hex (64 chars). */
export function parseSecretKey(raw: string, source = 'ROSTER_SECRET_KEY'): Buffer {
  const text = raw.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== 32) {
    throw new ConfigError(`${source} must be 32 bytes, base64 or hex encoded (${KEY_HINT})`);
  }
  return key;
}

export function encryptSecret(key: Buffer, plaintext: unknown, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(JSON.stringify(plaintext), 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function decryptSecret(key: Buffer, blob: string, context: string): unknown {
  const [version, iv, tag, body] = blob.split('.');
  if (version !== VERSION || !iv || !tag || body === undefined) {
    throw new ConfigError('stored secret has an unknown format');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError('cannot decrypt a stored secret: ROSTER_SECRET_KEY is not the key it was stored with', {
      cause: err,
    });
  }
}

export interface KeyringOptions {
  /** Raw ROSTER_SECRET_KEY, if set. */
  secretKey: string | undefined;
  backend: 'postgres' | 'pglite';
  /** Embedded data folder, where a generated key is kept. */
  dataDir: string | undefined;
  logger?: Logger;
}

/** Hands out the encryption key, generating the embedded default's on first need. */
export class SecretKeyring {
  private key: Buffer | undefined;
  constructor(private readonly options: KeyringOptions) {
    if (options.secretKey) this.key = parseSecretKey(options.secretKey);
  }

  private keyFile(): string | undefined {
    return this.options.backend === 'pglite' && this.options.dataDir && !this.options.dataDir.startsWith('memory://')
      ? path.join(this.options.dataDir, 'secret.key')
      : undefined;
  }

  /** The key, or a ConfigError that says how to provide one. */
  require(purpose: string): Buffer {
    if (this.key) return this.key;
    const file = this.keyFile();
    if (file && existsSync(file)) {
      this.key = parseSecretKey(readFileSync(file, 'utf8'), file);
      return this.key;
    }
    if (this.options.backend === 'pglite') {
      const generated = randomBytes(32);
      if (file) {
        writeFileSync(file, generated.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
        this.options.logger?.warn(
          `generated a secret key for the embedded database at ${file}; back it up, and set ROSTER_SECRET_KEY for a server deployment`,
        );
      }
      this.key = generated;
      return generated;
    }
    throw new ConfigError(
      `ROSTER_SECRET_KEY is not set: Roster refuses to store ${purpose} unencrypted (${KEY_HINT})`,
    );
  }

  encrypt(plaintext: unknown, context: string, purpose: string): string {
    return encryptSecret(this.require(purpose), plaintext, context);
  }

  decrypt(blob: string, context: string): unknown {
    return decryptSecret(this.require('secrets'), blob, context);
  }
}
