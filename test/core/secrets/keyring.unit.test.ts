import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors/index.js';
import { SecretKeyring, decryptSecret, encryptSecret, parseSecretKey } from '../../../src/core/secrets/index.js';

const key = randomBytes(32);

describe('secret encryption', () => {
  it('round-trips a value bound to its context', () => {
    const blob = encryptSecret(key, { clientSecret: 's3cret' }, 'connection:a');
    expect(blob).not.toContain('s3cret');
    expect(decryptSecret(key, blob, 'connection:a')).toEqual({ clientSecret: 's3cret' });
  });

  it('refuses a tampered ciphertext', () => {
    const blob = encryptSecret(key, 'value', 'connection:a');
    const parts = blob.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => decryptSecret(key, parts.join('.'), 'connection:a')).toThrow(ConfigError);
  });

  it('refuses a blob copied onto another connection, and a wrong key', () => {
    const blob = encryptSecret(key, 'value', 'connection:a');
    expect(() => decryptSecret(key, blob, 'connection:b')).toThrow(/cannot decrypt/);
    expect(() => decryptSecret(randomBytes(32), blob, 'connection:a')).toThrow(/cannot decrypt/);
  });

  it('parses base64 and hex keys and rejects short ones', () => {
    expect(parseSecretKey(key.toString('base64')).equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('hex')).equals(key)).toBe(true);
    expect(() => parseSecretKey('too-short')).toThrow(/must be 32 bytes/);
  });

  it('refuses to store secrets on Postgres without ROSTER_SECRET_KEY', () => {
    const keyring = new SecretKeyring({ secretKey: undefined, backend: 'postgres', dataDir: undefined });
    expect(() => keyring.encrypt('x', 'connection:a', 'the okta credentials')).toThrow(/ROSTER_SECRET_KEY is not set.*okta credentials/);
  });

  it('generates and reuses an embedded key file readable only by its owner', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'roster-key-'));
    const first = new SecretKeyring({ secretKey: undefined, backend: 'pglite', dataDir });
    const blob = first.encrypt({ a: 1 }, 'connection:x', 'test');
    const file = path.join(dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseSecretKey(readFileSync(file, 'utf8')).length).toBe(32);
    const second = new SecretKeyring({ secretKey: undefined, backend: 'pglite', dataDir });
    expect(second.decrypt(blob, 'connection:x')).toEqual({ a: 1 });
  });
});
