/** Keycloak connection settings: the key names, the secret split off, mappings the provider can read. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ValidationError } from '../../../src/core/errors/index.js';
import { validateSettings } from '../../../src/pull/providers/connection-settings.js';
import { parseCursor } from '../../../src/pull/providers/keycloak/events.js';
import { mapUser } from '../../../src/pull/providers/keycloak/map.js';
import { DEFAULT_MAPPING, parseKeycloakSettings } from '../../../src/pull/providers/keycloak/settings.js';

const base = { baseUrl: 'https://sso.example.com', realm: 'acme', clientId: 'roster-sync' };

describe('keycloak connection settings', () => {
  it('accepts the example in config/keycloak.settings.example.json and keeps clientSecret as the secret', () => {
    const example: unknown = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../config/keycloak.settings.example.json'), 'utf8'));
    const { settings, secrets } = validateSettings('keycloak', example);
    expect(Object.keys(settings).sort()).toEqual(['baseUrl', 'clientId', 'pageSize', 'realm']);
    expect(Object.keys(secrets ?? {})).toEqual(['clientSecret']);
  });

  it.each([
    ['baseUrl', { ...base, baseUrl: 'http://10.1.2.3', clientSecret: 's' }],
    ['realm', { ...base, realm: ' ', clientSecret: 's' }],
    ['clientSecret', base],
    ['pageSize', { ...base, clientSecret: 's', pageSize: 5000 }],
    ['realmName', { ...base, clientSecret: 's', realmName: 'acme' }],
  ])('refuses a bad or missing %s, naming it', (field, input) => {
    expect(() => validateSettings('keycloak', input)).toThrow(ValidationError);
    expect(() => validateSettings('keycloak', input)).toThrow(new RegExp(field));
  });

  it('opens only with a clientSecret, and refuses a mapping to a field Keycloak does not have', () => {
    expect(parseKeycloakSettings(base, { clientSecret: 's' })).toMatchObject({ baseUrl: 'https://sso.example.com', pageSize: 100, mapping: DEFAULT_MAPPING });
    expect(() => parseKeycloakSettings(base, {})).toThrow(ConfigError);
    expect(() => parseKeycloakSettings({ ...base, attributeMapping: { userName: 'login' } }, { clientSecret: 's' })).toThrow(/attributeMapping\.userName/);
  });
});

describe('keycloak mapping and parsing', () => {
  it('maps enabled:false to inactive, falls back to the names for displayName and to username for userName', () => {
    const user = mapUser({ id: 'u1', username: 'ann', firstName: 'Ann', lastName: 'Lee', enabled: false, attributes: { badge: [''] } }, { ...DEFAULT_MAPPING, userName: 'attributes.badge' });
    expect(user).toEqual({ externalId: 'u1', userName: 'ann', email: null, displayName: 'Ann Lee', givenName: 'Ann', familyName: 'Lee', active: false, status: 'disabled' });
    // No `enabled` at all: fail closed.
    expect(mapUser({ id: 'u2', username: 'bo' }, DEFAULT_MAPPING).active).toBe(false);
  });

  it('takes back only a cursor it wrote', () => {
    expect(parseCursor({ v: 1, source: 'keycloak-admin-events', since: 5, seen: ['a'] })).toEqual({ v: 1, source: 'keycloak-admin-events', since: 5, seen: ['a'] });
    expect(parseCursor({ deltaLink: 'x' })).toBeNull();
    expect(parseCursor({ v: 1, source: 'keycloak-admin-events', since: 'yesterday', seen: [] })).toBeNull();
  });
});
