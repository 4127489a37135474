/**
 * The provider registry (src/pull/providers/index.ts) is the only list of kinds,
 * and importing it stays cheap: no descriptor pulls in an IdP's SDK, which
 * each provider's module loads only when a connection of its kind is opened.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONNECTION_KINDS, PROVIDER_KINDS, acceptsScimPush, descriptorOf, pullDescriptorOf } from '../../../src/pull/providers/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SDKS = ['@azure/identity', '@microsoft/microsoft-graph-client', '@okta/okta-sdk-nodejs', '@googleapis/admin', 'google-auth-library', 'ldapts', '@zitadel/client', '@connectrpc/connect-node', '@keycloak/keycloak-admin-client'];

/** Packages a module reaches through static (not type-only, not dynamic) imports, following the project's own files. */
function staticPackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(entry);
  return packages;
}

const sdksReached = (entry: string) => {
  const packages = [...staticPackages(path.join(ROOT, entry))];
  return SDKS.filter((sdk) => packages.some((p) => p === sdk || p.startsWith(`${sdk}/`)));
};

describe('the provider registry', () => {
  it('loads no IdP SDK until a provider is opened', () => {
    expect(sdksReached('src/pull/providers/index.ts')).toEqual([]);
    // The walk does see an SDK where there is one: in each provider's own module.
    expect(sdksReached('src/pull/providers/entra/index.ts')).toContain('@azure/identity');
    expect(sdksReached('src/pull/providers/okta/index.ts')).toEqual(['@okta/okta-sdk-nodejs']);
    expect(sdksReached('src/pull/providers/google/index.ts')).toContain('@googleapis/admin');
    expect(sdksReached('src/pull/providers/ldap/index.ts')).toEqual(['ldapts']);
    expect(sdksReached('src/pull/providers/zitadel/index.ts')).toContain('@zitadel/client');
  });

  it('lists every kind once, pull kinds with a provider and push kinds without', () => {
    expect(new Set(CONNECTION_KINDS).size).toBe(CONNECTION_KINDS.length);
    for (const kind of CONNECTION_KINDS) expect(descriptorOf(kind).kind).toBe(kind);
    expect(CONNECTION_KINDS.filter((k) => pullDescriptorOf(k))).toEqual([...PROVIDER_KINDS]);
    expect(acceptsScimPush({ kind: 'scim', pushEnabled: false })).toBe(true);
    expect(acceptsScimPush({ kind: 'okta', pushEnabled: false })).toBe(false);
    expect(acceptsScimPush({ kind: 'okta', pushEnabled: true })).toBe(true);
  });

  it('names only schema fields as secrets and endpoints', () => {
    for (const kind of CONNECTION_KINDS) {
      const { settings, secretFields, endpointFields } = descriptorOf(kind);
      expect(settings, kind).toBeInstanceOf(z.ZodObject);
      const fields = settings instanceof z.ZodObject ? Object.keys(settings.shape) : [];
      for (const field of [...secretFields, ...endpointFields]) expect(fields, `${kind}.${field}`).toContain(field);
    }
  });

  it('declares as endpoints exactly the settings the outbound URL policy guards', () => {
    for (const kind of CONNECTION_KINDS) {
      const { settings, endpointFields, endpointProtocol } = descriptorOf(kind);
      const shape = settings instanceof z.ZodObject ? (settings.shape as Record<string, z.ZodType>) : {};
      // A field takes a public URL (or a list of them) but refuses the cloud metadata address: the policy is on it.
      const scheme = endpointProtocol === 'ldap' ? 'ldaps' : 'https';
      const takes = (field: string, url: string) => shape[field]!.safeParse(url).success || shape[field]!.safeParse([url]).success;
      const guarded = Object.keys(shape).filter((field) => takes(field, `${scheme}://idp.example.com`) && !takes(field, `${scheme}://169.254.169.254`));
      expect(guarded.sort(), kind).toEqual([...endpointFields].sort());
    }
  });

  it('is what the README synopsis of `connection create --kind` lists', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`--kind ${CONNECTION_KINDS.join('|')}`);
  });
});
