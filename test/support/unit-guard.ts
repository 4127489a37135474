/**
 * Setup file of the `unit` project (vitest.config.ts). A unit test runs pure
 * code, so that `npm run test:unit` takes seconds and needs no Postgres, no
 * browser and no test CA. A `*.unit.test.ts` file that opens a database, a
 * socket or a subprocess, even through a helper such as test/support/store.ts
 * or a fake IdP, fails at that call with a message saying what to do.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { vi } from 'vitest';

function refuse(what: string): never {
  throw new Error(`a unit test (*.unit.test.ts) runs pure code only: it may not ${what}; name the file *.test.ts to make it an integration test`);
}

// Both database drivers, whoever imports them (src/core/store/db.ts, test/support/store.ts).
vi.mock('@electric-sql/pglite', () => ({
  PGlite: class {
    constructor() {
      refuse('open an embedded database (PGlite)');
    }
  },
}));
vi.mock('postgres', () => ({ default: () => refuse('open a Postgres connection') }));

// Every TCP or TLS client (http, fetch, postgres.js) connects through net.Socket, every server listens through net.Server.
net.Socket.prototype.connect = function connect(): never {
  refuse('open a socket');
};
net.Server.prototype.listen = function listen(): never {
  refuse('listen on a socket (an HTTP server or a fake IdP)');
};

const SUBPROCESS_FUNCTIONS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
for (const name of SUBPROCESS_FUNCTIONS) {
  Object.defineProperty(childProcess, name, { value: () => refuse(`start a subprocess (child_process.${name})`), configurable: true, writable: true });
}
// Named imports of node:child_process (`import { spawn } ...`) see the patched functions too.
syncBuiltinESMExports();
