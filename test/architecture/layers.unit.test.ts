/**
 * The tree shows the design (issue 11), and this keeps it true: each group of
 * src/ imports only what its place allows.
 *
 *   core/   the data and its rules: imports only core/
 *   pull/   the scheduled reconciler: core/ and itself
 *   push/   the SCIM receiver: core/, itself, and the provider registry
 *           (which kinds are pushed to is the registry's to say)
 *   login/  the sync-on-login hook: core/, pull/ (it opens a provider) and itself
 *   admin/  operations, API, CLI, console, reports, events, webhooks: anything
 *           but server/, which only the CLI may start; admin/operations, the
 *           layer the CLI and the API share, imports none of its callers
 *   server/ the HTTP server hosting push, login and admin: anything
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const GROUPS = ['core', 'pull', 'push', 'login', 'admin', 'server'] as const;
const REGISTRY = 'pull/providers/index.ts';

/** Why `from` (a path under src/) may not import `to`, or undefined when it may. */
export function layerViolation(from: string, to: string): string | undefined {
  const [fromGroup = '', fromPart = ''] = from.split('/');
  const [toGroup = '', toPart = ''] = to.split('/');
  if (fromGroup === toGroup) {
    if (fromGroup === 'admin' && fromPart === 'operations' && ['api', 'cli', 'console'].includes(toPart)) return 'admin/operations imports none of its callers';
    return undefined;
  }
  switch (fromGroup) {
    case 'core':
      return 'core/ imports only core/';
    case 'pull':
      return toGroup === 'core' ? undefined : 'pull/ imports only core/';
    case 'push':
      return toGroup === 'core' || to === REGISTRY ? undefined : 'push/ imports only core/ and the provider registry';
    case 'login':
      return toGroup === 'core' || toGroup === 'pull' ? undefined : 'login/ imports only core/ and pull/';
    case 'admin':
      if (toGroup !== 'server') return undefined;
      return fromPart === 'cli' ? undefined : 'only the CLI starts or speaks to the server';
    default:
      return undefined;
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const found: string[] = [];
  for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
    const target = path.resolve(path.dirname(file), match[1] ?? '').replace(/\.js$/, '.ts');
    found.push(path.relative(SRC, target).split(path.sep).join('/'));
  }
  return found;
}

describe('the layers of src/', () => {
  it('has exactly the groups the design names', () => {
    const top = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(top.sort()).toEqual([...GROUPS].sort());
  });

  it('says which imports cross a layer the wrong way', () => {
    expect(layerViolation('core/store/users.ts', 'core/errors/index.ts')).toBeUndefined();
    expect(layerViolation('core/connections/index.ts', 'pull/providers/index.ts')).toMatch(/core\/ imports only core/);
    expect(layerViolation('pull/reconcile/run.ts', 'admin/metrics/index.ts')).toMatch(/pull\//);
    expect(layerViolation('push/scim/auth.ts', REGISTRY)).toBeUndefined();
    expect(layerViolation('push/scim/auth.ts', 'pull/providers/open.ts')).toMatch(/push\//);
    expect(layerViolation('login/service.ts', 'pull/providers/open.ts')).toBeUndefined();
    expect(layerViolation('login/service.ts', 'admin/operations/index.ts')).toMatch(/login\//);
    expect(layerViolation('admin/operations/tokens.ts', 'admin/api/index.ts')).toMatch(/callers/);
    expect(layerViolation('admin/operations/sync.ts', 'server/serve.ts')).toMatch(/CLI/);
    expect(layerViolation('admin/cli/main.ts', 'server/index.ts')).toBeUndefined();
  });

  it('finds no import in src/ that crosses a layer the wrong way', () => {
    const wrong: string[] = [];
    let crossing = 0;
    for (const file of sourceFiles(SRC)) {
      const from = path.relative(SRC, file).split(path.sep).join('/');
      for (const to of importsOf(file)) {
        if (from.split('/')[0] !== to.split('/')[0]) crossing++;
        const why = layerViolation(from, to);
        if (why) wrong.push(`src/${from} imports src/${to}: ${why}`);
      }
    }
    expect(wrong).toEqual([]);
    // The scan sees the imports that do cross groups (a reader that found none would pass anything).
    expect(crossing).toBeGreaterThan(100);
  });
});
