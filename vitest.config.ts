import { configDefaults, defineConfig } from 'vitest/config';

/** Unit tests are named by their file: pure code, no store, no socket, no subprocess. */
const UNIT_TESTS = 'test/**/*.unit.test.ts';

// Two projects, one run: `vitest run` runs both, `vitest run --project unit` the
// unit tests alone (npm run test:unit). One suite, two backends: DATABASE_URL
// set = every store test runs on that Postgres server (a fresh database per test
// file); unset = embedded PGlite.
export default defineConfig({
  test: {
    pool: 'forks',
    // The fakes listen on 127.0.0.1, which the outbound URL policy refuses unless trusted
    // (src/core/net/url-policy.ts); the policy's own tests set their own list.
    env: { ROSTER_TRUSTED_HOSTS: '127.0.0.1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [UNIT_TESTS],
          // Pure code needs no process of its own nor a fresh module graph per file: this
          // takes the project from ~12 s to ~3 s. A unit test restores any global it changes.
          pool: 'threads',
          isolate: false,
          // Opening a database, a socket or a subprocess fails the test (test/support/unit-guard.ts).
          setupFiles: ['test/support/unit-guard.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, UNIT_TESTS],
          // One test CA per run for the HTTPS fakes (sets NODE_EXTRA_CA_CERTS before workers fork).
          globalSetup: ['test/fakes/tls-setup.ts'],
        },
      },
    ],
  },
});
