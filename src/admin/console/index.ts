/**
 * The admin console: static files (HTML, CSS, ES modules) served at /admin,
 * a single page that talks to /api/v1 with the admin's key. There is no
 * build step: the files in the top-level `console/` folder are served as
 * they are, from a source checkout (tsx) and from dist/ alike.
 *
 * Every answer under /admin carries a Content-Security-Policy that allows
 * only this origin: no inline script or style, no third-party anything. The
 * API key lives in the page's sessionStorage; nothing here ever sees it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const CONSOLE_PREFIX = '/admin';

/** `console/` is two folders up from both src/admin/console/ and dist/admin/console/ (like drizzle/). */
export const CONSOLE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../console');

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  // The page's URL never holds a secret, but nothing outside needs to know it either.
  'referrer-policy': 'no-referrer',
  // Revalidate on each load (ETag): an upgraded server serves its own console at once.
  'cache-control': 'no-cache',
};

export function registerConsole(app: FastifyInstance): void {
  void app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
      return payload;
    });
    // One route per file, listed at start (`wildcard: false`): the server's
    // `ignoreTrailingSlash` keeps a `/admin/*` wildcard from matching `/admin/`,
    // while a plain `/admin/` route also answers `/admin`. The page uses absolute
    // paths, so it needs no redirect to a trailing slash. Nothing is listed.
    await scope.register(fastifyStatic, {
      root: CONSOLE_ROOT,
      prefix: `${CONSOLE_PREFIX}/`,
      wildcard: false,
      index: 'index.html',
      decorateReply: false,
      cacheControl: false,
      dotfiles: 'ignore',
    });
  });
}
