/**
 * How the console's files are served, without a browser: the routes, the
 * headers, and that every module the page imports exists. The end-to-end
 * test (console.e2e.test.ts) drives the page itself.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, CONSOLE_ROOT } from '../../../src/admin/console/index.js';
import { buildServer } from '../../../src/server/index.js';
import { operationContext } from '../operations/support.js';
import { createTestStore, type TestStore } from '../../support/store.js';

let store: TestStore;
let app: FastifyInstance;

beforeAll(async () => {
  store = await createTestStore();
  app = buildServer(operationContext(store));
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await store?.close();
});

/** Paths relative to console/, with forward slashes as in URLs. */
const consoleFiles = async () => (await readdir(CONSOLE_ROOT, { recursive: true })).filter((f) => /\.(html|css|js)$/.test(f)).map((f) => f.split(path.sep).join('/'));

describe('the console\'s static files', () => {
  it('come from the top-level console/ folder, next to drizzle/', () => {
    expect(CONSOLE_ROOT).toBe(path.resolve(import.meta.dirname, '../../../console'));
  });

  it('answer /admin, /admin/ and /admin/index.html with the page and the security headers', async () => {
    for (const url of ['/admin', '/admin/', '/admin/index.html']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.body).toContain('<title>Roster admin</title>');
    }
  });

  it('serve every module and stylesheet the page loads, with its type', async () => {
    const html = await readFile(path.join(CONSOLE_ROOT, 'index.html'), 'utf8');
    const referenced = [...html.matchAll(/(?:src|href)="(\/admin\/[^"]+)"/g)].map((m) => m[1]!);
    for (const file of (await consoleFiles()).filter((f) => f.endsWith('.js'))) {
      const source = await readFile(path.join(CONSOLE_ROOT, file), 'utf8');
      for (const m of source.matchAll(/from '(\.\/[^']+)'/g)) referenced.push(path.posix.join('/admin', path.posix.dirname(file), m[1]!));
    }
    expect(referenced).toContain('/admin/js/connections.js');
    for (const url of new Set(referenced)) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(url.endsWith('.css') ? /^text\/css/ : /javascript/);
    }
  });

  it('list no folder and serve nothing outside console/', async () => {
    for (const url of ['/admin/js/', '/admin/../package.json', '/admin/%2e%2e/package.json', '/admin/nope.js']) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
  });

  it('hold no inline script, inline style or innerHTML, which the policy (or safety) forbids', async () => {
    for (const file of await consoleFiles()) {
      const text = await readFile(path.join(CONSOLE_ROOT, file), 'utf8');
      expect(text, file).not.toMatch(/\sstyle=|innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function/);
      if (file.endsWith('.html')) expect(text.match(/<script\b[^>]*>/g), file).toEqual(['<script type="module" src="/admin/js/main.js">']);
    }
  });
});
